/**
 * `createMockProvider`: a conformant ECIS provider as MSW request handlers.
 * @module
 */
import { type HttpHandler, HttpResponse, http } from 'msw'
import { EciConfigError, ErrorCode } from '../errors.js'
import { handleAuthorize, handleConsentForm } from './authorize.js'
import { type CallNote, MockContext } from './context.js'
import { withResponseDefects } from './defects.js'
import { handleEci, handleEciMethod } from './eci-endpoint.js'
import { answerUnderFault, FaultQueue, type Handler } from './faults.js'
import { issueNextInvoices } from './fixtures.js'
import { finish, oauthError, preflight } from './http.js'
import { handleJwks, handleMetadata, metadataUrls } from './metadata.js'
import { handlePar } from './par.js'
import { handleRevocation } from './revocation.js'
import { handleToken } from './token.js'
import type { MockCall, MockEndpoint, MockFault, MockGrantInfo, MockProvider, MockProviderOptions } from './types.js'

/** Waits the configured ECI latency. */
function latency(ctx: MockContext): Promise<void> | undefined {
  const [min, max] = ctx.eciLatency
  const ms = min + Math.random() * (max - min)
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined
}

/** The MSW handlers of every endpoint; each call runs under its queued fault and lands in `calls`. */
function createHandlers(ctx: MockContext, calls: MockCall[], faults: FaultQueue): HttpHandler[] {
  const idPrefix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  )
  let counter = 0

  const run =
    (endpoint: MockEndpoint, handler: Handler, { faultable = true } = {}) =>
    async ({ request }: { request: Request }): Promise<Response> => {
      const at = Date.now()
      const requestId = `req_${idPrefix}${(++counter).toString(16).padStart(6, '0')}`
      const fault = faultable ? faults.take(endpoint) : undefined
      const note: CallNote = { at, fault }
      const record = (status: number) => {
        const call: MockCall = { endpoint, at, method: request.method, status, client: note.client }
        if (note.claims) call.claims = note.claims
        calls.push(call)
      }
      let response: Response
      try {
        const answer = await answerUnderFault(ctx, endpoint, request, note, handler)
        if (answer === 'reset') {
          record(0)
          return HttpResponse.error()
        }
        response = answer
        if (endpoint === 'eci') await latency(ctx)
      } catch {
        response = oauthError(500, 'server_error', 'the mock provider failed unexpectedly')
      }
      response = finish(withResponseDefects(ctx.defects, endpoint, response), requestId, ctx.date(), note.headers)
      record(response.status)
      return response
    }

  const options_ = () => finish(preflight(), `req_${idPrefix}preflight`, ctx.date())
  const urls = [...metadataUrls(ctx.issuer), ...Object.values(ctx.endpoints), ctx.resource]
  const handlers = [
    ...metadataUrls(ctx.issuer).map((url) => http.get(url, run('metadata', handleMetadata))),
    http.get(ctx.endpoints.jwks, run('jwks', handleJwks)),
    http.get(ctx.endpoints.authorize, run('authorize', handleAuthorize)),
    http.post(ctx.endpoints.authorize, run('authorize', handleConsentForm)),
    http.post(ctx.endpoints.par, run('par', handlePar)),
    http.post(ctx.endpoints.token, run('token', handleToken)),
    http.post(ctx.endpoints.revocation, run('revocation', handleRevocation)),
    http.post(ctx.resource, run('eci', handleEci)),
    ...[...new Set(urls)].map((url) => http.options(url, options_)),
    // Every other method at the ECI endpoint: 400 invalid_request with `Allow: POST` (§7.1).
    // Logged like other ECI calls, but never consumes a queued fault.
    http.all(ctx.resource, run('eci', handleEciMethod, { faultable: false })),
  ]
  return handlers
}

/**
 * Creates a mock ECI Provider: authorization server (metadata, JWKS, authorize, PAR, token,
 * revocation) and ECI endpoint, as MSW handlers that work with `setupServer` and `setupWorker`.
 * Synchronous; keys are made on first use.
 *
 * @throws {EciConfigError} for invalid options (unknown consent owner, bad URLs, duplicate clients …).
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { createMockProvider } from 'ecis-consumer/mock'
 *
 * const provider = createMockProvider({
 *   issuer: 'https://auth.utility.example',
 *   resource: 'https://api.utility.example/eci/v1',
 *   clients: [{ clientId: 'acme-solar', redirectUris: ['https://acme.example/cb'], jwks: { keys: [publicJwk] } }],
 * })
 * const server = setupServer(...provider.handlers)
 * server.listen({ onUnhandledFrame: 'error' })
 * ```
 */
export function createMockProvider(options: MockProviderOptions): MockProvider {
  const ctx = new MockContext(options)
  const calls: MockCall[] = []
  const faults = new FaultQueue()
  const handlers = createHandlers(ctx, calls, faults)
  const now = () => ctx.now()
  return {
    handlers,
    calls,
    issuer: ctx.issuer,
    resource: ctx.resource,
    fixtures: ctx.fixtures,
    fault: (spec: MockFault) => faults.add(spec),
    clearFaults: () => faults.clear(),
    expireAccessTokens: () => {
      for (const t of ctx.state.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now() - 1)
    },
    expireRefreshTokens: () => {
      for (const t of ctx.state.refreshTokens.values()) t.expiresAt = Math.min(t.expiresAt, now() - 1)
    },
    revokeGrants: (filter) => {
      const owners = filter?.owners === undefined ? undefined : new Set(filter.owners)
      for (const f of ctx.state.families.values()) if (!owners || owners.has(f.ownerId)) f.revoked = true
    },
    issueInvoices: (accounts) => {
      try {
        return issueNextInvoices(ctx.fixtures, accounts)
      } catch (error) {
        throw new EciConfigError(ErrorCode.INVALID_OPTION, `issueInvoices(): ${(error as Error).message}`)
      }
    },
    grants: (): MockGrantInfo[] =>
      [...ctx.state.families.values()].map((f) => ({
        clientId: f.clientId,
        ownerId: f.ownerId,
        accounts: [...f.accounts],
        scopes: f.actions.map((a) => `eci:${a}`),
        revoked: f.revoked,
        dpopJkt: f.jkt,
      })),
    setClockOffset: (seconds: number) => {
      if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
        throw new EciConfigError(ErrorCode.INVALID_OPTION, 'setClockOffset(): `seconds` must be a finite number')
      }
      ctx.clockOffset = Math.trunc(seconds)
    },
    now,
    clearCalls: () => {
      calls.length = 0
    },
    jwks: async () => ({ keys: [(await ctx.providerKey()).publicJwk] }),
  }
}
