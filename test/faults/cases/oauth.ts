/** The token, PAR, revocation and JWKS endpoints misbehaving, through the public API. */
import { expect } from 'vitest'
import {
  type EciConsentError,
  type EciConsumer,
  type EciHttpError,
  type EciNetworkError,
  ErrorCode,
  type Grant,
} from '../../../src/index.js'
import {
  type Behaviour,
  cutOff,
  echo,
  endless,
  giant,
  gzipBomb,
  json,
  never,
  redirect,
  resetAfterHeaders,
  resetBeforeHeaders,
  sequence,
  text,
  trickle,
} from '../../support/hostile-server.js'
import type { FaultCase, World } from '../harness.js'
import { ACCOUNT, CODE, consumer, grantFor, signedResponse, tokenBody, VERIFIER } from '../provider.js'
import { basicBody } from './eci.js'

const exchange = (c: EciConsumer) => c.exchangeCode({ code: CODE, codeVerifier: VERIFIER })

/** A code exchange against `/token` answering with `behaviour`. */
const codeExchange =
  (behaviour: Behaviour, options: Parameters<typeof consumer>[2] = {}) =>
  async (w: World) => {
    const c = await consumer(w, {}, options)
    w.server.on('/token', behaviour)
    w.start()
    return exchange(c)
  }

/** A data call on an expired grant, so the session refreshes against `/token` first. */
const refreshThenBasic =
  (behaviour: Behaviour, options: Parameters<typeof consumer>[2] = {}) =>
  async (w: World) => {
    const c = await consumer(w, {}, options)
    w.server.on('/token', behaviour)
    w.server.on('/eci', json(200, basicBody()))
    const session = c.session(grantFor(w))
    w.start()
    return session.basic(ACCOUNT)
  }

const invalid = (attempts = 1): FaultCase['expect'] => ({
  outcome: 'EciHttpError',
  code: ErrorCode.INVALID_RESPONSE,
  attempts,
})
const timeout = (attempts = 1): FaultCase['expect'] => ({
  outcome: 'EciNetworkError',
  code: ErrorCode.TIMEOUT,
  attempts,
})
const http = (attempts: number, check?: (e: EciHttpError) => void): FaultCase['expect'] => ({
  outcome: 'EciHttpError',
  code: ErrorCode.HTTP_ERROR,
  attempts,
  check: check as FaultCase['expect']['check'],
})

const badToken = (name: string, did: string, over: Record<string, unknown>): FaultCase => ({
  area: 'token',
  name,
  did,
  expect: invalid(),
  run: async (w) => {
    for (const v of Object.values(over)) if (typeof v === 'string') w.secret(`issued ${name}`, v)
    return codeExchange(json(200, tokenBody(over)))(w)
  },
})

export const tokenCases: FaultCase[] = [
  {
    area: 'token',
    name: 'never answers',
    did: 'reads the code exchange, never answers',
    expect: timeout(),
    run: codeExchange(never),
  },
  {
    area: 'token',
    name: 'trickled',
    did: '200 headers, then 1 byte / 50 ms',
    expect: timeout(),
    run: codeExchange(trickle(50)),
  },
  {
    area: 'token',
    name: 'gzip bomb',
    did: '270 kB gzip → 256 MB',
    expect: invalid(),
    run: codeExchange(gzipBomb(), { timeout: 5000 }),
    limitMs: 30_000,
  },
  {
    area: 'token',
    name: 'giant, declared',
    did: 'Content-Length: 200 MB',
    expect: invalid(),
    run: codeExchange(giant(200 * 1024 * 1024)),
  },
  { area: 'token', name: 'endless', did: 'chunked spaces without end', expect: invalid(), run: codeExchange(endless) },
  badToken('CR/LF in the access token', 'access_token "abc\\r\\nX-Evil: 1…"', {
    access_token: 'abc\r\nX-Evil: 1-SECRET',
  }),
  badToken('space in the refresh token', 'refresh_token "abc def…"', { refresh_token: 'abc def-SECRET-123' }),
  badToken('20 kB access token', 'access_token of 20 000 characters', { access_token: 'A'.repeat(20_000) }),
  badToken('access_token a number', 'access_token: 12345678', { access_token: 12345678 }),
  badToken('no access_token', 'no access_token member', { access_token: undefined }),
  badToken('no token_type', 'no token_type member', { token_type: undefined }),
  badToken('negative expires_in', 'expires_in: -5', { expires_in: -5 }),
  {
    area: 'token',
    name: 'expires_in a numeric string',
    did: 'expires_in: "3600"',
    // openid-client reads a numeric string as the number (some providers send one); "soon" is refused.
    expect: {
      outcome: 'ok',
      attempts: 1,
      check: (g) => expect((g as Grant).expiresAt).toBeGreaterThan(Date.now() / 1000 + 3000),
    },
    run: async (w) => {
      const grant = (await codeExchange(json(200, tokenBody({ expires_in: '3600' })))(w)) as Grant
      return { expiresAt: grant.expiresAt }
    },
  },
  badToken('expires_in not a number', 'expires_in: "soon"', { expires_in: 'soon' }),
  {
    area: 'token',
    name: 'expires_in 1e309',
    did: 'expires_in: 1e309 (Infinity)',
    expect: invalid(),
    run: codeExchange(text(200, 'application/json', JSON.stringify(tokenBody()).replace('3600', '1e309'))),
  },
  {
    area: 'token',
    name: 'expires_in 0',
    did: 'expires_in: 0',
    expect: {
      outcome: 'ok',
      attempts: 1,
      check: (g) => expect((g as Grant).expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000)),
    },
    run: async (w) => {
      const grant = (await codeExchange(json(200, tokenBody({ expires_in: 0 })))(w)) as Grant
      return { expiresAt: grant.expiresAt }
    },
  },
  {
    area: 'token',
    name: 'text/html 200',
    did: '200 text/html',
    expect: invalid(),
    run: codeExchange(text(200, 'text/html', '<p>ok</p>')),
  },
  {
    area: 'token',
    name: 'bad JSON',
    did: '200 {"access_token":',
    expect: invalid(),
    run: codeExchange(text(200, 'application/json', '{"access_token":')),
  },
  {
    area: 'token',
    name: 'JSON array',
    did: '200 [token response]',
    expect: invalid(),
    run: codeExchange(json(200, [tokenBody()])),
  },
  {
    area: 'token',
    name: '503, then 200',
    did: '503 Retry-After: 0, then tokens',
    expect: { outcome: 'ok', attempts: 2 },
    run: async (w) => {
      await codeExchange(sequence(json(503, {}, { 'retry-after': '0' }), json(200, tokenBody())))(w)
      return 'grant'
    },
  },
  {
    area: 'token',
    name: '503 storm',
    did: '503 temporarily_unavailable ×3',
    expect: http(3, (e) => expect(e.error).toBe('temporarily_unavailable')),
    run: codeExchange(json(503, { error: 'temporarily_unavailable' })),
  },
  {
    area: 'token',
    name: '429 with Retry-After: 0',
    did: '429 Retry-After: 0 ×3',
    expect: http(3, (e) => expect(e.status).toBe(429)),
    run: codeExchange(json(429, { error: 'slow_down' }, { 'retry-after': '0' })),
  },
  {
    area: 'token',
    name: '429 with Retry-After: 3600',
    did: '429 Retry-After: 3600',
    expect: http(1, (e) => expect(e.retryAfter).toBe(3600)),
    run: codeExchange(json(429, { error: 'slow_down' }, { 'retry-after': '3600' })),
  },
  {
    area: 'token',
    name: '500',
    did: '500 server_error',
    expect: http(1),
    run: codeExchange(json(500, { error: 'server_error' })),
  },
  {
    area: 'token',
    name: 'reset after send',
    did: 'code exchange: headers, then TCP reset',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: 1 },
    run: codeExchange(resetAfterHeaders),
  },
  {
    area: 'token',
    name: 'reset before headers',
    did: 'code exchange: TCP reset on request',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: 1 },
    run: codeExchange(resetBeforeHeaders),
  },
  {
    area: 'token',
    name: 'connection refused',
    did: 'token_endpoint on a port nothing listens on',
    expect: {
      outcome: 'EciNetworkError',
      code: ErrorCode.NETWORK,
      attempts: 0,
      check: (e) => expect((e as EciNetworkError).rootCause).toBe('ECONNREFUSED'),
    },
    run: async (w) => {
      const { closedPort } = await import('../../hostile/support.js')
      const port = await closedPort()
      const c = await consumer(w, { token_endpoint: `http://127.0.0.1:${port}/token` })
      w.start()
      return exchange(c)
    },
  },
  {
    area: 'token',
    name: 'redirect to another origin',
    did: '307 to another origin',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.UNEXPECTED_REDIRECT,
      attempts: { '/token': 1, 'other origin /token': 0 },
      check: (e, w) => expect((e as EciHttpError).message).toContain(w.other.url),
    },
    run: (w) => codeExchange(redirect(307, `${w.other.url}/token?code=${CODE}`))(w),
  },
  {
    area: 'token',
    name: 'invalid_grant on exchange',
    did: '400 invalid_grant, echoing the request',
    expect: { outcome: 'EciConsentError', code: ErrorCode.INVALID_GRANT, attempts: 1 },
    run: codeExchange(echo(400, 'invalid_grant', ['body', 'request-id'])),
  },
  {
    area: 'token',
    name: 'echoed code and verifier',
    did: '400 invalid_request echoing the form',
    expect: http(1, (e) => expect(e.errorDescription).toContain('[redacted]')),
    run: codeExchange(echo(400, 'invalid_request', ['body'])),
  },
  {
    area: 'token',
    name: 'echo in X-Request-Id',
    did: '400 with X-Request-Id echoing the form',
    expect: http(1, (e) => expect(e.requestId).toContain('[redacted]')),
    run: codeExchange(echo(400, 'invalid_request', ['request-id'])),
  },
  {
    area: 'token',
    name: '401 challenge echo',
    did: '401 invalid_client, WWW-Authenticate echoing the form',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: 1 },
    run: codeExchange(echo(401, 'invalid_client', ['www-authenticate', 'body'])),
  },
  {
    area: 'token',
    name: 'client secret echoed',
    did: 'client_secret_basic; 401 echoing Authorization: Basic',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: 1 },
    run: async (w) => {
      const secret = 'client-secret-faults-0123456789-SECRET'
      w.secret('client secret', secret)
      return codeExchange(echo(401, 'invalid_client', ['body', 'request-id']), {
        clientAuth: { method: 'client_secret_basic', secret },
        signingKey: w.keys.privateJwk,
      })(w)
    },
  },
  {
    area: 'token',
    name: 'client secret echoed decoded',
    did: 'client_secret_basic; 401 "wrong secret <the secret>"',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: 1 },
    run: async (w) => {
      const secret = 'client-secret-faults-decoded-0123456789'
      w.secret('client secret', secret)
      const decoded: Behaviour = (req, res, body) => {
        const basic = String(req.headers.authorization ?? '').replace(/^Basic /, '')
        const password = decodeURIComponent(Buffer.from(basic, 'base64').toString().split(':')[1] ?? '')
        json(401, { error: 'invalid_client', error_description: `wrong secret ${password}` })(req, res, body)
      }
      return codeExchange(decoded, {
        clientAuth: { method: 'client_secret_basic', secret },
        signingKey: w.keys.privateJwk,
      })(w)
    },
  },
  {
    area: 'token',
    name: 'invalid_grant on refresh',
    did: '400 invalid_grant echoing the refresh token; then a 2nd call',
    expect: { outcome: 'EciConsentError', code: ErrorCode.INVALID_GRANT, attempts: { '/token': 1, '/eci': 0 } },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/token', echo(400, 'invalid_grant', ['body']))
      const session = c.session(grantFor(w))
      w.start()
      await session.basic(ACCOUNT).catch(() => {})
      return session.basic(ACCOUNT)
    },
  },
  {
    area: 'token',
    name: 'refresh echo',
    did: 'refresh: 400 invalid_request echoing the form',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: { '/token': 1, '/eci': 0 } },
    run: refreshThenBasic(echo(400, 'invalid_request', ['body', 'request-id'])),
  },
  {
    area: 'token',
    name: 'refresh reset, no reuse window',
    did: 'refresh: headers, then TCP reset',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: { '/token': 1, '/eci': 0 } },
    run: refreshThenBasic(resetAfterHeaders),
  },
  {
    area: 'token',
    name: 'refresh reset, reuse window 30 s',
    did: 'refresh: reset, then tokens',
    expect: { outcome: 'ok', attempts: { '/token': 2, '/eci': 1 } },
    run: async (w) => {
      await refreshThenBasic(sequence(resetAfterHeaders, json(200, tokenBody())), { refreshReuseWindow: 30 })(w)
      return 'data'
    },
  },
  {
    area: 'token',
    name: 'refresh timeout, no reuse window',
    did: 'refresh: never answers',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: { '/token': 1, '/eci': 0 } },
    run: refreshThenBasic(never),
  },
  {
    area: 'token',
    name: 'refresh timeout, reuse window 30 s',
    did: 'refresh: never answers, three times (retry limit 2; inside the window a resend is safe)',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: { '/token': 3, '/eci': 0 } },
    run: refreshThenBasic(never, { refreshReuseWindow: 30 }),
  },
  {
    area: 'token',
    name: 'refresh 503 then tokens',
    did: 'refresh: 503 Retry-After: 0, then tokens',
    expect: { outcome: 'ok', attempts: { '/token': 2, '/eci': 1 } },
    run: async (w) => {
      await refreshThenBasic(sequence(json(503, {}, { 'retry-after': '0' }), json(200, tokenBody())))(w)
      return 'data'
    },
  },
  {
    area: 'token',
    name: 'completeConsent echo',
    did: 'backend consent; token 400 echoing code, verifier, assertion',
    expect: http(1),
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/token', echo(400, 'invalid_request', ['body', 'request-id', 'www-authenticate']))
      const { url, transaction } = await c.beginConsent({ scopes: ['basic'] })
      w.secret('transaction verifier', transaction.codeVerifier)
      w.secret('transaction state', transaction.state)
      const state = new URL(url).searchParams.get('state')
      const callback = `http://127.0.0.1/callback?code=${CODE}&state=${state}&iss=${encodeURIComponent(w.server.url)}`
      w.start()
      return c.completeConsent(callback, transaction)
    },
  },
  {
    area: 'eci',
    name: 'DPoP nonce loop',
    did: '401 use_dpop_nonce with a new nonce every time',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.HTTP_ERROR,
      attempts: { '/eci': 2 },
      check: (e) => expect((e as EciHttpError).error).toBe('use_dpop_nonce'),
    },
    run: async (w) => {
      const c = await consumer(w, { dpop_signing_alg_values_supported: ['ES256'] }, { dpop: true })
      w.server.on('/token', json(200, tokenBody({ token_type: 'DPoP' })))
      const grant = await exchange(c)
      let n = 0
      w.server.on('/eci', (req, res, body) =>
        json(
          401,
          { error: 'use_dpop_nonce' },
          {
            'www-authenticate': `DPoP error="use_dpop_nonce", error_description="${String(req.headers.dpop)}"`,
            'dpop-nonce': `nonce-${n++}`,
          },
        )(req, res, body),
      )
      const session = c.session(grant)
      w.start()
      return session.basic(ACCOUNT)
    },
  },
]

/** Server-side consent with PAR against `/par` answering with `behaviour`. */
const par =
  (behaviour: Behaviour, options: Parameters<typeof consumer>[2] = {}) =>
  async (w: World) => {
    const c = await consumer(w, { pushed_authorization_request_endpoint: `${w.server.url}/par` }, options)
    w.server.on('/par', behaviour)
    w.start()
    return c.beginConsent({ scopes: ['basic'] })
  }

export const parCases: FaultCase[] = [
  {
    area: 'par',
    name: 'never answers',
    did: 'reads the PAR request, never answers (a resent PAR only makes another request_uri)',
    expect: timeout(3),
    run: par(never),
  },
  { area: 'par', name: 'trickled', did: '201 headers, then 1 byte / 50 ms', expect: timeout(3), run: par(trickle(50)) },
  {
    area: 'par',
    name: 'gzip bomb',
    did: '270 kB gzip → 256 MB',
    expect: invalid(),
    run: par(gzipBomb(201), { timeout: 5000 }),
    limitMs: 30_000,
  },
  {
    area: 'par',
    name: '503 storm',
    did: '503 ×3',
    expect: http(3),
    run: par(json(503, { error: 'temporarily_unavailable' })),
  },
  {
    area: 'par',
    name: 'echoed client assertion',
    did: '400 echoing the form (client assertion)',
    expect: http(1),
    run: par(echo(400, 'invalid_request', ['body', 'request-id'])),
  },
  {
    area: 'par',
    name: 'no request_uri',
    did: '201 {"expires_in": 60}',
    expect: invalid(),
    run: par(json(201, { expires_in: 60 })),
  },
  {
    area: 'par',
    name: 'expires_in not a number',
    did: '201 expires_in: "soon"',
    expect: invalid(),
    run: par(json(201, { request_uri: 'urn:ietf:params:oauth:request_uri:x', expires_in: 'soon' })),
  },
  {
    area: 'par',
    name: 'reset after send',
    did: 'headers, then TCP reset',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: 3 },
    run: par(resetAfterHeaders),
  },
  {
    area: 'par',
    name: 'redirect to another origin',
    did: '307 to another origin',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.UNEXPECTED_REDIRECT,
      attempts: { '/par': 1, 'other origin /par': 0 },
    },
    run: (w) => par(redirect(307, `${w.other.url}/par`))(w),
  },
  {
    area: 'par',
    name: 'text/html 201',
    did: '201 text/html',
    expect: invalid(),
    run: par(text(201, 'text/html', '<p>created</p>')),
  },
]

/** `session.revoke()` against `/revoke` answering with `behaviour`. */
const revoke =
  (behaviour: Behaviour, options: Parameters<typeof consumer>[2] = {}) =>
  async (w: World) => {
    const c = await consumer(w, {}, options)
    w.server.on('/revoke', behaviour)
    const session = c.session(grantFor(w, { fresh: true }))
    w.start()
    return session.revoke()
  }

export const revocationCases: FaultCase[] = [
  {
    area: 'revocation',
    name: 'never answers',
    did: 'reads the revocation, never answers (revoking twice is harmless)',
    expect: timeout(3),
    run: revoke(never),
  },
  { area: 'revocation', name: '503 storm', did: '503 ×3', expect: http(3), run: revoke(json(503, {})) },
  {
    area: 'revocation',
    name: 'echoed refresh token',
    did: '400 echoing the form (token, assertion)',
    expect: http(1, (e) => expect(e.errorDescription).toContain('[redacted]')),
    run: revoke(echo(400, 'invalid_request', ['body', 'request-id'])),
  },
  {
    area: 'revocation',
    name: 'reset',
    did: 'TCP reset on request',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: 3 },
    run: revoke(resetBeforeHeaders),
  },
  {
    area: 'revocation',
    name: 'gzip bomb',
    did: '200 with a 270 kB gzip → 256 MB body',
    expect: invalid(),
    run: revoke(gzipBomb(), { timeout: 5000 }),
    limitMs: 30_000,
  },
  {
    area: 'revocation',
    name: 'redirect to another origin',
    did: '308 to another origin',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.UNEXPECTED_REDIRECT,
      attempts: { '/revoke': 1, 'other origin /revoke': 0 },
    },
    run: (w) => revoke(redirect(308, `${w.other.url}/revoke`))(w),
  },
  {
    area: 'revocation',
    name: 'no revocation endpoint',
    did: 'metadata without revocation_endpoint',
    expect: { outcome: 'EciConfigError', code: ErrorCode.INVALID_METADATA, attempts: 0 },
    run: async (w) => {
      const c = await consumer(w, { revocation_endpoint: undefined })
      const session = c.session(grantFor(w, { fresh: true }))
      w.start()
      return session.revoke()
    },
  },
  {
    area: 'revocation',
    name: 'revoked, then a call',
    did: '200 to both revocations; then session.basic',
    expect: {
      outcome: 'EciConsentError',
      code: ErrorCode.GRANT_REVOKED,
      attempts: { '/revoke': 2, '/eci': 0 },
      check: (e) => expect((e as EciConsentError).code).toBe(ErrorCode.GRANT_REVOKED),
    },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/revoke', (_req, res) => res.writeHead(200).end())
      const session = c.session(grantFor(w, { fresh: true }))
      w.start()
      await session.revoke()
      return session.basic(ACCOUNT)
    },
  },
]

/** A signed Basic response on `/eci` whose verification needs `/jwks`, answering with `behaviour`. */
const jwks =
  (behaviour: Behaviour | { of: (w: World) => Behaviour }, options: Parameters<typeof consumer>[2] = {}) =>
  async (w: World) => {
    const c = await consumer(w, { jwks_uri: `${w.server.url}/jwks` }, options)
    const jwt = await signedResponse(w, basicBody())
    w.server.on('/eci', text(200, 'application/jwt', jwt))
    w.server.on('/jwks', typeof behaviour === 'function' ? behaviour : behaviour.of(w))
    const session = c.session(grantFor(w, { fresh: true }))
    w.start()
    return session.basic(ACCOUNT)
  }

const goodJwks = { of: (w: World) => json(200, { keys: [w.keys.providerPublicJwk] }) }

export const jwksCases: FaultCase[] = [
  {
    area: 'jwks',
    name: 'a good JWKS (control)',
    did: 'signed Basic, JWKS fine',
    expect: { outcome: 'ok', attempts: { '/eci': 1, '/jwks': 1 } },
    run: async (w) => {
      await jwks(goodJwks)(w)
      return 'verified'
    },
  },
  {
    area: 'jwks',
    name: 'redirect to another origin',
    did: '302 to the JWKS on another origin',
    // jose's createRemoteJWKSet never follows a JWKS redirect: the keys come from jwks_uri itself.
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.INVALID_RESPONSE,
      attempts: { '/eci': 1, '/jwks': 1, 'other origin /jwks': 0 },
    },
    run: async (w) => {
      w.other.on('/jwks', json(200, { keys: [w.keys.providerPublicJwk] }))
      return jwks({ of: (w) => redirect(302, `${w.other.url}/jwks`) })(w)
    },
  },
  {
    area: 'jwks',
    name: 'giant, declared',
    did: 'Content-Length: 200 MB',
    expect: invalid(2),
    run: jwks(giant(200 * 1024 * 1024)),
  },
  { area: 'jwks', name: 'endless', did: 'chunked spaces without end', expect: invalid(2), run: jwks(endless) },
  {
    area: 'jwks',
    name: 'gzip bomb',
    did: '270 kB gzip → 256 MB',
    expect: invalid(2),
    run: jwks(gzipBomb(), { timeout: 5000 }),
    limitMs: 30_000,
  },
  // The JWKS read runs inside the ECI attempt's deadline: a JWKS that never answers (or trickles)
  // is that attempt timing out, retried like any timed-out attempt. How many JWKS fetches the
  // attempts share (one in flight at a time) depends on the machine's speed, so the case asserts
  // what holds at any speed: typed, bounded, no secret.
  {
    area: 'jwks',
    name: 'never answers',
    did: 'never answers',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT },
    run: jwks(never),
  },
  {
    area: 'jwks',
    name: 'trickled',
    did: '200 headers, then 1 byte / 50 ms',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT },
    run: jwks(trickle(50)),
  },
  {
    area: 'jwks',
    name: 'bad JSON',
    did: '200 {"keys":',
    expect: invalid(2),
    run: jwks(text(200, 'application/json', '{"keys":')),
  },
  {
    area: 'jwks',
    name: 'not a JWKS',
    did: '200 {"keys": "none"}',
    expect: invalid(2),
    run: jwks(json(200, { keys: 'none' })),
  },
  { area: 'jwks', name: '500', did: '500', expect: invalid(2), run: jwks(json(500, {})) },
  {
    area: 'jwks',
    name: 'reset',
    did: 'TCP reset on request (a network failure: the attempt is retried, and the JWKS fetched again)',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: { '/eci': 3, '/jwks': 3 } },
    run: jwks(resetBeforeHeaders),
  },
  {
    area: 'jwks',
    name: 'cut off',
    did: 'Content-Length 5000, 21 bytes, close (a network failure, retried)',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK, attempts: { '/eci': 3, '/jwks': 3 } },
    run: jwks(cutOff()),
  },
  {
    area: 'jwks',
    name: 'another key',
    did: 'JWKS without the signing key (fetched once: no refetch within the 30 s cooldown)',
    expect: { outcome: 'EciHttpError', code: ErrorCode.INVALID_RESPONSE, attempts: { '/eci': 1, '/jwks': 1 } },
    run: jwks(
      json(200, {
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            kid: 'other',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          },
        ],
      }),
    ),
  },
]
