/**
 * `createGreenButtonProvider`: a mock Green Button Data Custodian as MSW handlers — scope
 * selection, authorize (auto-consent or `access_denied`), token (`client_secret_basic`; code
 * with optional PKCE, refresh with rotation, client credentials), revocation, the subscription
 * with date filters, usage points, `Authorization` and `ApplicationInformation` resources,
 * `BatchList` notifications to a client's notify URI; faults and a call log.
 * @module
 */
import { type HttpHandler, HttpResponse, http } from 'msw'
import { oauthError, readForm, redirect } from '../http.js'
import {
  applicationInformationXml,
  atom,
  authorizationXml,
  batchListXml,
  endlessFeed,
  giantFeed,
  htmlPage,
  xmlBomb,
} from './custodian-bodies.js'
import { CustodianState, type MockAuthorization } from './custodian-state.js'
import type {
  MockGreenButtonCall,
  MockGreenButtonEndpoint,
  MockGreenButtonFault,
  MockGreenButtonOptions,
  MockGreenButtonProvider,
} from './custodian-types.js'

type Note = Omit<MockGreenButtonCall, 'endpoint' | 'method' | 'status' | 'at'> & {
  fault?: MockGreenButtonFault | undefined
}
type Handle = (request: Request, note: Note, params: Record<string, string>) => Response | Promise<Response>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The hostile bodies a fault may send instead of a resource. */
function hostileBody(fault: MockGreenButtonFault | undefined): Response | undefined {
  switch (fault?.body) {
    case 'xml-bomb':
      return xmlBomb()
    case 'giant':
      return giantFeed()
    case 'endless':
      return endlessFeed()
    case 'html':
      return htmlPage()
    default:
      return undefined
  }
}

function bearer(s: CustodianState, request: Request): MockAuthorization | undefined {
  const m = /^Bearer ([\w\-.~+/]+=*)$/.exec(request.headers.get('authorization') ?? '')
  return m ? s.byAccessToken(m[1] as string) : undefined
}

const invalidToken = () =>
  new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } })

function epoch(value: string | null): number | undefined {
  if (value === null) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

async function token(s: CustodianState, request: Request, note: Note): Promise<Response> {
  const client = s.authenticate(request.headers.get('authorization'))
  const form = await readForm(request)
  if (!client) return oauthError(401, 'invalid_client', 'client_secret_basic authentication failed')
  note.client = client.clientId
  if (!form) return oauthError(400, 'invalid_request', 'expected a form body')
  const grantType = form.get('grant_type') ?? undefined
  note.grantType = grantType
  let a: MockAuthorization | undefined
  if (grantType === 'client_credentials') {
    const value = crypto.randomUUID()
    s.clientTokens.set(value, { clientId: client.clientId, expiresAt: Date.now() / 1000 + s.lifetime })
    return HttpResponse.json({ access_token: value, token_type: 'Bearer', expires_in: s.lifetime, scope: 'FB=36_40' })
  }
  if (grantType === 'authorization_code') {
    const code = await s.redeem(
      form.get('code') ?? '',
      client.clientId,
      form.get('redirect_uri') ?? '',
      form.get('code_verifier'),
    )
    if (!code) return oauthError(400, 'invalid_grant', 'the code is unknown, spent, expired or the verifier is wrong')
    a = s.authorize(client.clientId, code.scope)
  } else if (grantType === 'refresh_token') {
    a = s.rotate(form.get('refresh_token') ?? '', client.clientId)
    if (!a) return oauthError(400, 'invalid_grant', 'the refresh token is not valid')
  } else return oauthError(400, 'unsupported_grant_type', 'unsupported grant_type')
  note.subscription = a.id
  const body: Record<string, unknown> = {
    access_token: s.issueAccessToken(a),
    token_type: 'Bearer',
    expires_in: s.lifetime,
    refresh_token: a.refreshToken,
    scope: a.scope,
    resourceURI: `${s.resourceBase}/Batch/Subscription/${a.id}`,
    authorizationURI: `${s.resourceBase}/Authorization/${a.id}`,
  }
  if (note.fault?.body === 'no-resource-uri') delete body.resourceURI
  if (note.fault?.body === 'foreign-resource-uri') body.resourceURI = `https://elsewhere.example/Subscription/${a.id}`
  return HttpResponse.json(body, { headers: { 'Cache-Control': 'no-store' } })
}

function authorize(s: CustodianState, request: Request): Response {
  const q = new URL(request.url).searchParams
  const client = s.clients.get(q.get('client_id') ?? '')
  const redirectUri = q.get('redirect_uri') ?? ''
  if (!client?.redirectUris.includes(redirectUri)) {
    return new Response('Unknown client or redirect URI', { status: 400, headers: { 'Content-Type': 'text/plain' } })
  }
  const back = new URL(redirectUri)
  const state = q.get('state')
  if (state !== null) back.searchParams.set('state', state)
  const scope = q.get('scope') ?? ''
  if (q.get('response_type') !== 'code' || !s.scopes.includes(scope)) {
    back.searchParams.set('error', q.get('response_type') !== 'code' ? 'unsupported_response_type' : 'invalid_scope')
    return redirect(back.href)
  }
  if (s.consent === 'deny') {
    back.searchParams.set('error', 'access_denied')
    return redirect(back.href)
  }
  const challenge = q.get('code_challenge') ?? undefined
  if (challenge !== undefined && q.get('code_challenge_method') !== 'S256') {
    back.searchParams.set('error', 'invalid_request')
    return redirect(back.href)
  }
  back.searchParams.set('code', s.newCode({ clientId: client.clientId, redirectUri, scope, challenge }))
  return redirect(back.href)
}

function scopeSelection(s: CustodianState, request: Request): Response {
  const client = s.clients.get(new URL(request.url).searchParams.get('client_id') ?? '')
  if (!client) return new Response('Unknown client', { status: 400 })
  const back = new URL(client.scopeSelectionUri ?? (client.redirectUris[0] as string))
  for (const scope of s.scopes) back.searchParams.append('scope', scope)
  back.searchParams.set('DataCustodianID', 'mock-data-custodian')
  return redirect(back.href)
}

function resource(s: CustodianState, kind: 'subscription' | 'usage-point' | 'authorization'): Handle {
  return (request, note, params) => {
    const a = bearer(s, request)
    if (!a) return invalidToken()
    note.client = a.clientId
    const id = params.id as string
    note.subscription = id
    if (a.id !== id) return new Response(null, { status: 403 })
    const hostile = hostileBody(note.fault)
    if (hostile) return hostile
    const sub = a.subscription
    if (kind === 'authorization') return atom(authorizationXml(a, s.resourceBase, sub.publishedUntil))
    const q = new URL(request.url).searchParams
    note.query = q.toString() || undefined
    const min = epoch(q.get('published-min')) ?? epoch(q.get('updated-min'))
    const max = epoch(q.get('published-max')) ?? epoch(q.get('updated-max'))
    const xml = sub.serve({ min, max }, kind === 'usage-point' ? params.point : undefined)
    return xml === undefined ? new Response(null, { status: 404 }) : atom(xml)
  }
}

function applicationInformation(s: CustodianState): Handle {
  return (request, note, params) => {
    const m = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')
    const t = m ? s.clientTokens.get(m[1] as string) : undefined
    if (!t || t.expiresAt < Date.now() / 1000) return invalidToken()
    note.client = t.clientId
    const client = s.clients.get(params.clientId as string)
    if (!client || client.clientId !== t.clientId) return new Response(null, { status: 403 })
    return hostileBody(note.fault) ?? atom(applicationInformationXml(client, s.base, s.resourceBase, s.scopes))
  }
}

/** The MSW handlers of the mock, logging each call into `calls`. */
function custodianHandlers(s: CustodianState, calls: MockGreenButtonCall[]): HttpHandler[] {
  const dc = `${s.base}/DataCustodian`
  const run =
    (endpoint: MockGreenButtonEndpoint, handle: Handle) =>
    async ({ request, params }: { request: Request; params: Record<string, unknown> }) => {
      const at = Date.now()
      const note: Note = { fault: s.takeFault(endpoint) }
      const fault = note.fault
      if (fault?.delayMs) await sleep(fault.delayMs)
      let response: Response
      if (fault?.network === 'reset') {
        calls.push({ endpoint, at, method: request.method, status: 0 })
        return HttpResponse.error()
      }
      if (fault?.status !== undefined && fault.body === undefined) {
        const headers: Record<string, string> =
          fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) }
        response = oauthError(
          fault.status,
          fault.error ?? (fault.status >= 500 ? 'server_error' : 'invalid_request'),
          'injected fault',
          headers,
        )
      } else response = await handle(request, note, params as Record<string, string>)
      const { fault: _, ...seen } = note
      calls.push({ endpoint, at, method: request.method, status: response.status, ...seen })
      return response
    }
  return [
    http.get(
      `${dc}/scopeSelection`,
      run('scope-selection', (r) => scopeSelection(s, r)),
    ),
    http.get(
      `${dc}/oauth/authorize`,
      run('authorize', (r) => authorize(s, r)),
    ),
    http.post(
      `${dc}/oauth/token`,
      run('token', (r, n) => token(s, r, n)),
    ),
    http.post(
      `${dc}/oauth/revoke`,
      run('revocation', async (r, n) => {
        const client = s.authenticate(r.headers.get('authorization'))
        if (!client) return oauthError(401, 'invalid_client', 'client_secret_basic authentication failed')
        n.client = client.clientId
        s.revokeToken((await readForm(r))?.get('token') ?? '', client.clientId)
        return new Response(null, { status: 200 })
      }),
    ),
    http.get(`${s.resourceBase}/Batch/Subscription/:id`, run('subscription', resource(s, 'subscription'))),
    http.get(
      `${s.resourceBase}/Batch/Subscription/:id/UsagePoint/:point`,
      run('usage-point', resource(s, 'usage-point')),
    ),
    http.get(`${s.resourceBase}/Authorization/:id`, run('authorization', resource(s, 'authorization'))),
    http.get(
      `${s.resourceBase}/ApplicationInformation/:clientId`,
      run('application-information', applicationInformation(s)),
    ),
  ]
}

/**
 * A mock Green Button Data Custodian (Connect My Data) as MSW handlers, fed by
 * `generateEspiFeed`: every consent creates a subscription with its own deterministic feed.
 * @throws {EciConfigError} without `clients`.
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { createGreenButtonProvider } from 'ecis-consumer/mock'
 *
 * const custodian = createGreenButtonProvider({
 *   clients: [{ clientId: 'acme', clientSecret: 's3cret', redirectUris: ['https://acme.example/cb'] }],
 * })
 * setupServer(...custodian.handlers).listen()
 * ```
 */
export function createGreenButtonProvider(options: MockGreenButtonOptions): MockGreenButtonProvider {
  const s = new CustodianState(options)
  const calls: MockGreenButtonCall[] = []
  const dc = `${s.base}/DataCustodian`
  const handlers = custodianHandlers(s, calls)
  return {
    handlers,
    calls,
    endpoints: {
      authorizationEndpoint: `${dc}/oauth/authorize`,
      tokenEndpoint: `${dc}/oauth/token`,
      resourceEndpoint: s.resourceBase,
      revocationEndpoint: `${dc}/oauth/revoke`,
      scopeSelection: `${dc}/scopeSelection`,
    },
    fault: (fault) => s.addFault(fault),
    clearFaults: () => s.clearFaults(),
    applicationInformationXml(clientId) {
      const client = s.clients.get(clientId)
      if (!client) throw new Error(`No client ${clientId}`)
      return applicationInformationXml(client, s.base, s.resourceBase, s.scopes)
    },
    publishMonth(subscriptionId) {
      const changed: string[] = []
      for (const a of s.authorizations.values()) {
        if (subscriptionId !== undefined && a.id !== subscriptionId) continue
        if (a.subscription.publishMonth()) changed.push(`${s.resourceBase}/Batch/Subscription/${a.id}`)
      }
      return changed
    },
    async notify(clientId, resourceUris) {
      const client = s.clients.get(clientId)
      if (!client?.notifyUri) throw new Error(`Client ${clientId} registered no notifyUri`)
      const fault = s.takeFault('notification')
      const response = await s.notifyFetch(client.notifyUri, {
        method: 'POST',
        headers: { 'Content-Type': 'application/xml' },
        body: fault?.body === 'xml-bomb' ? await xmlBomb().text() : batchListXml(resourceUris),
      })
      await response.body?.cancel()
      calls.push({
        endpoint: 'notification',
        at: Date.now(),
        method: 'POST',
        status: response.status,
        client: clientId,
      })
      return response.status
    },
    revokeAuthorization(subscriptionId, options = {}) {
      const a = s.authorizations.get(subscriptionId)
      if (!a) return
      if (options.keepTokens) a.reportedRevoked = true
      else a.revoked = true
    },
    subscriptions: () => [...s.authorizations.keys()],
  }
}
