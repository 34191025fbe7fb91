/**
 * `createMockProvider`: a conformant ECIS provider as MSW request handlers.
 * @module
 */
import { decodeJwt } from 'jose/jwt/decode'
import { HttpResponse, http } from 'msw'
import { EciConfigError, ErrorCode } from '../errors.js'
import { handleAuthorize, handleConsentForm } from './authorize.js'
import { type CallNote, MockContext } from './context.js'
import { handleEci, handleEciMethod } from './eci-endpoint.js'
import { brokenBodyResponse, FaultQueue, isStatusFault, statusFaultResponse, truncate } from './faults.js'
import { finish, oauthError, preflight, readBody } from './http.js'
import { handleJwks, handleMetadata, metadataUrls } from './metadata.js'
import { handlePar } from './par.js'
import { handleRevocation } from './revocation.js'
import { handleToken } from './token.js'
import type { MockCall, MockEndpoint, MockFault, MockGrantInfo, MockProvider, MockProviderOptions } from './types.js'

type Handler = (ctx: MockContext, request: Request, note: CallNote) => Response | Promise<Response>

/** Best-effort `client_id` (and request claims) of a request a fault answered before the real handler ran. */
async function peek(ctx: MockContext, endpoint: MockEndpoint, request: Request, note: CallNote): Promise<void> {
  try {
    if (endpoint === 'authorize') {
      note.client = new URL(request.url).searchParams.get('client_id') ?? undefined
    } else if (endpoint === 'eci') {
      const token = /^(?:Bearer|DPoP) (\S+)$/i.exec(request.headers.get('Authorization') ?? '')?.[1]
      note.client = token ? ctx.state.accessTokens.get(token)?.clientId : undefined
      note.claims = decodeJwt(((await readBody(request.clone())) ?? '').trim())
    } else if (endpoint === 'token' || endpoint === 'par' || endpoint === 'revocation') {
      const form = new URLSearchParams((await readBody(request.clone())) ?? '')
      const assertion = form.get('client_assertion')
      const iss = assertion ? decodeJwt(assertion).iss : undefined
      note.client = form.get('client_id') ?? iss
    }
  } catch {
    // Unreadable requests simply stay anonymous in the log.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
  const idPrefix = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  )
  let counter = 0

  const run =
    (endpoint: MockEndpoint, handler: Handler, { faultable = true } = {}) =>
    async ({ request }: { request: Request }): Promise<Response> => {
      const requestId = `req_${idPrefix}${(++counter).toString(16).padStart(6, '0')}`
      const fault = faultable ? faults.take(endpoint) : undefined
      const note: CallNote = { fault }
      const record = (status: number) => {
        const call: MockCall = { endpoint, method: request.method, status, client: note.client }
        if (note.claims) call.claims = note.claims
        calls.push(call)
      }
      let response: Response
      try {
        if (fault?.delayMs) await sleep(fault.delayMs)
        if (fault?.network === 'reset') {
          await peek(ctx, endpoint, request, note)
          record(0)
          return HttpResponse.error()
        }
        if (fault && isStatusFault(endpoint, fault)) {
          await peek(ctx, endpoint, request, note)
          response = statusFaultResponse(endpoint, fault)
        } else if (fault?.body === 'malformed' || fault?.body === 'html') {
          await peek(ctx, endpoint, request, note)
          response = brokenBodyResponse(fault.body, fault.status ?? 200)
        } else {
          response = await handler(ctx, request, note)
          if (fault?.body === 'truncated') response = await truncate(response, fault.status ?? response.status)
          else if (fault?.body !== undefined && fault.status !== undefined) {
            response = new Response(response.body, { status: fault.status, headers: response.headers })
          }
        }
        if (fault?.retryAfter !== undefined || response.status === 429) {
          const headers = new Headers(response.headers)
          headers.set('Retry-After', String(Math.ceil(fault?.retryAfter ?? 0)))
          response = new Response(response.body, { status: response.status, headers })
        }
      } catch {
        response = oauthError(500, 'server_error', 'the mock provider failed unexpectedly')
      }
      response = finish(response, requestId, ctx.date())
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
    revokeGrants: () => {
      for (const f of ctx.state.families.values()) f.revoked = true
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
