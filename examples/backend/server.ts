/**
 * A producer backend on plain `node:http`: the server side of ECIS consent, and data for the
 * signed-in customer.
 *
 *   GET  /connect              begins consent (`consumer.beginConsent`); the transaction waits in
 *                              this customer's server-side session (cookie `sid`) → 302 to the provider
 *   GET  /eci/callback         completes consent (`consumer.completeConsent`), stores the Grant → 303 /accounts
 *   GET  /accounts             every granted account's ECI Basic, as JSON
 *   GET  /invoices/:account    the account's invoice history with line items, streamed as NDJSON
 *   GET  /api/eci/config       public settings for the browser app (examples/browser)
 *   POST /api/eci/exchange     the browser hand-off: { code, codeVerifier } → `consumer.exchangeCode`
 *
 * Grants live in a Map standing in for your database; `onGrant` persists every token rotation.
 *
 * Run it (the package must be built, since `ecis-consumer` resolves to dist/ through package.json `exports`):
 *
 *   npm run build && npx node examples/backend/server.ts      # Node 24 runs the .ts file as it is
 *   open http://127.0.0.1:3000/connect                          # consent page of the embedded mock provider
 *
 * By default it starts the mock provider (`ecis-consumer/mock/node`) on loopback with an
 * interactive consent page, and a fresh ES256 key. For a real provider set
 * ECIS_ISSUER, ECIS_CLIENT_ID and ECIS_PRIVATE_JWK (path of a private JWK file), plus PUBLIC_URL
 * when the backend is reached under another origin than http://127.0.0.1:PORT (PORT, default 3000).
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Basic,
  type ConsentTransaction,
  EciConsentError,
  EciConsumer,
  EciError,
  EciHttpError,
  type EciSession,
  ErrorCode,
  type Grant,
} from 'ecis-consumer'
import { type MockProviderServer, startMockProviderServer } from 'ecis-consumer/mock/node'

export interface BackendOptions {
  /** Port to listen on; 0 picks a free one. @default 3000 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Origin the customer's browser reaches this backend at. @default http://HOST:PORT */
  publicUrl?: string
  /** The provider's issuer. @default an embedded mock provider on loopback */
  issuer?: string
  /** Your client_id at the provider. @default 'acme-solar' */
  clientId?: string
  /** Your private signing key (JWK). Required with `issuer`; generated for the mock otherwise. */
  privateJwk?: JsonWebKey
  /** Redirect URI of the browser app (examples/browser) that posts codes to /api/eci/exchange. */
  spaRedirectUri?: string
  /** Consent behaviour of the embedded mock provider. @default 'auto' */
  mockConsent?: 'auto' | 'interactive' | 'deny'
}

export interface Backend {
  /** Where the backend listens, e.g. http://127.0.0.1:3000. */
  url: string
  /** The provider's issuer. */
  issuer: string
  /** The embedded mock provider, when no `issuer` was given. */
  mock: MockProviderServer | undefined
  /** The "database": customer id → stored Grant (JSON text, as a database column would hold it). */
  grants: Map<string, string>
  close(): Promise<void>
}

interface WebSession {
  customerId: string
  /** The pending consent transaction: holds the PKCE verifier, so it never leaves the server. */
  transaction?: ConsentTransaction
}

const SCOPES = ['basic', 'invoice', 'invoice_detail'] as const

/** A fresh ES256 key pair (WebCrypto) with a `kid`, for the embedded mock provider. */
async function makeKey(kid: string): Promise<{ privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid, alg: 'ES256' }
  const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: 'ES256', use: 'sig' }
  return { privateJwk, publicJwk }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

export function redirect(res: ServerResponse, status: 302 | 303, location: string): void {
  res.writeHead(status, { location, 'cache-control': 'no-store' })
  res.end()
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  let text = ''
  for await (const chunk of req) {
    text += chunk
    if (text.length > limit) throw new Error('body too large')
  }
  return JSON.parse(text)
}

/** Maps an SDK error to an HTTP answer of this backend; never echoes secrets (the SDK's messages hold none). */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof EciConsentError) {
    // The customer must (re)consent: declined, stale or replayed callback, refused code or refresh token.
    sendJson(res, error.code === ErrorCode.ACCESS_DENIED ? 403 : 401, {
      error: 'consent_required',
      code: error.code,
      connect: '/connect',
    })
  } else if (error instanceof EciHttpError && error.status === 404) {
    sendJson(res, 404, { error: 'not_found' })
  } else if (error instanceof EciHttpError && error.status === 429) {
    sendJson(res, 503, { error: 'provider_busy' }, { 'retry-after': String(error.retryAfter ?? 60) })
  } else if (error instanceof EciError) {
    console.error(`ECI call failed: ${error.name} ${error.code}: ${error.message}`)
    sendJson(res, 502, { error: 'provider_error', code: error.code })
  } else {
    console.error(error)
    sendJson(res, 500, { error: 'internal_error' })
  }
}

export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const host = options.host ?? '127.0.0.1'
  const clientId = options.clientId ?? 'acme-solar'
  const grants = new Map<string, string>() // your database
  const webSessions = new Map<string, WebSession>() // your session store
  const eciSessions = new Map<string, EciSession>() // one EciSession per stored grant
  let consumer: EciConsumer | undefined

  // Listen first: with port 0 the redirect URI is only known once the port is.
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const publicUrl = (options.publicUrl ?? `http://${host}:${port}`).replace(/\/$/, '')
  const redirectUri = `${publicUrl}/eci/callback`
  const spaRedirectUri = options.spaRedirectUri ?? 'http://localhost:5173/'

  let mock: MockProviderServer | undefined
  let issuer = options.issuer
  let privateJwk = options.privateJwk
  try {
    if (!issuer) {
      const key = await makeKey('acme-solar-1')
      privateJwk ??= key.privateJwk
      mock = await startMockProviderServer({
        port: 0,
        consent: options.mockConsent ?? 'auto',
        clients: [{ clientId, redirectUris: [redirectUri, spaRedirectUri], jwks: { keys: [key.publicJwk] } }],
      })
      issuer = mock.issuer
    }
    if (!privateJwk) throw new Error('privateJwk (ECIS_PRIVATE_JWK) is required with a real issuer')
    consumer = await EciConsumer.discover({
      issuer,
      clientId,
      clientAuth: { method: 'private_key_jwt', key: privateJwk },
      redirectUri,
      // Plain HTTP is for the loopback mock only.
      allowInsecureRequests: mock !== undefined,
    })
  } catch (error) {
    server.close()
    await mock?.close()
    throw error
  }
  const eci = consumer

  function webSession(req: IncomingMessage, res: ServerResponse): WebSession {
    const sid = readCookie(req, 'sid')
    const existing = sid ? webSessions.get(sid) : undefined
    if (existing) return existing
    const fresh: WebSession = { customerId: randomUUID() } // stands in for your logged-in user
    const id = randomUUID()
    webSessions.set(id, fresh)
    // SameSite=Lax: the cookie comes back on the provider's top-level redirect to /eci/callback.
    res.setHeader('set-cookie', `sid=${id}; HttpOnly; SameSite=Lax; Path=/`)
    return fresh
  }

  async function saveGrant(customerId: string, grant: Grant): Promise<void> {
    grants.set(customerId, JSON.stringify(grant)) // encrypt at rest in a real database
  }

  /** The customer's EciSession, or undefined before consent. Rotated grants are persisted by onGrant. */
  function eciSession(customerId: string): EciSession | undefined {
    let session = eciSessions.get(customerId)
    const stored = grants.get(customerId)
    if (!session && stored) {
      session = eci.session(JSON.parse(stored) as Grant, { onGrant: (g) => saveGrant(customerId, g) })
      eciSessions.set(customerId, session)
    }
    return session
  }

  async function connected(customerId: string, grant: Grant): Promise<void> {
    await saveGrant(customerId, grant)
    eciSessions.delete(customerId)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', publicUrl)
    const web = webSession(req, res)
    const route = `${req.method} ${url.pathname}`

    if (route === 'GET /') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<!doctype html><title>Acme Solar</title><p><a href="/connect">Connect your utility account</a></p>')
      return
    }

    if (route === 'GET /connect') {
      const { url: authorizationUrl, transaction } = await eci.beginConsent({ scopes: [...SCOPES] })
      web.transaction = transaction
      redirect(res, 302, authorizationUrl)
      return
    }

    if (route === 'GET /eci/callback') {
      const transaction = web.transaction
      delete web.transaction // one use, whatever happens next
      if (!transaction) {
        sendJson(res, 400, { error: 'no_pending_consent', connect: '/connect' })
        return
      }
      const grant = await eci.completeConsent(url, transaction)
      await connected(web.customerId, grant)
      redirect(res, 303, '/accounts')
      return
    }

    if (route === 'GET /api/eci/config') {
      sendJson(res, 200, { issuer, clientId, redirectUri: spaRedirectUri, allowInsecureRequests: mock !== undefined })
      return
    }

    if (route === 'POST /api/eci/exchange') {
      // CSRF: only a same-origin script can send a JSON body here (a cross-site form cannot).
      if (!req.headers['content-type']?.startsWith('application/json')) {
        sendJson(res, 415, { error: 'json_required' })
        return
      }
      const body = (await readJson(req)) as { code?: unknown; codeVerifier?: unknown; redirectUri?: unknown }
      if (typeof body.code !== 'string' || typeof body.codeVerifier !== 'string') {
        sendJson(res, 400, { error: 'invalid_request' })
        return
      }
      // Never let the page choose an arbitrary redirect URI: only the registered one is accepted.
      if (body.redirectUri !== undefined && body.redirectUri !== spaRedirectUri) {
        sendJson(res, 400, { error: 'invalid_redirect_uri' })
        return
      }
      const grant = await eci.exchangeCode({
        code: body.code,
        codeVerifier: body.codeVerifier,
        redirectUri: spaRedirectUri,
      })
      await connected(web.customerId, grant)
      sendJson(res, 200, { accounts: grant.accounts })
      return
    }

    const session = eciSession(web.customerId)
    if (route === 'GET /accounts' || url.pathname.startsWith('/invoices/')) {
      if (!session) {
        sendJson(res, 401, { error: 'not_connected', connect: '/connect' })
        return
      }
    }

    if (route === 'GET /accounts' && session) {
      const basics: Basic[] = await Promise.all(session.accounts.map((account) => session.basic(account)))
      sendJson(res, 200, basics)
      return
    }

    const invoices = /^\/invoices\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'GET' && invoices?.[1] && session) {
      const account = decodeURIComponent(invoices[1])
      if (!session.accounts.includes(account)) {
        sendJson(res, 404, { error: 'not_found' })
        return
      }
      const since = url.searchParams.get('since') ?? undefined
      const history = session.invoices(account, { detail: true, concurrency: 4, since })
      // Pull the first invoice before committing to 200, so an early failure gets a proper status.
      let next = await history.next()
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      try {
        while (!next.done) {
          res.write(`${JSON.stringify(next.value)}\n`)
          next = await history.next()
        }
      } catch (error) {
        // Too late for a status code: end the stream with an error line the client can detect.
        res.write(`${JSON.stringify({ error: error instanceof EciError ? error.code : 'internal_error' })}\n`)
      }
      res.end()
      return
    }

    sendJson(res, 404, { error: 'not_found' })
  }

  return {
    url: publicUrl,
    issuer,
    mock,
    grants,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await mock?.close()
    },
  }
}

/** `npx node examples/backend/server.ts`: configuration from the environment. */
async function main(): Promise<void> {
  const env = process.env
  const privateJwk = env.ECIS_PRIVATE_JWK
    ? (JSON.parse(await readFile(env.ECIS_PRIVATE_JWK, 'utf8')) as JsonWebKey)
    : undefined
  const backend = await startBackend({
    port: Number(env.PORT ?? 3000),
    publicUrl: env.PUBLIC_URL,
    issuer: env.ECIS_ISSUER,
    clientId: env.ECIS_CLIENT_ID,
    privateJwk,
    spaRedirectUri: env.SPA_REDIRECT_URI,
    mockConsent: 'interactive',
  })
  console.log(`Provider: ${backend.issuer}${backend.mock ? ' (embedded mock)' : ''}`)
  console.log(`Backend:  ${backend.url} — open ${backend.url}/connect to connect a utility account`)
  const stop = () => {
    backend.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.main) await main()
