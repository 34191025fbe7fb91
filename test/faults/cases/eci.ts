/** The ECI endpoint misbehaving, driven through `createEciClient` and sessions. */
import { expect } from 'vitest'
import { type EciHttpError, type EciNetworkError, type EciValidationError, ErrorCode } from '../../../src/index.js'
import { basicBody as conformantBasic, invoiceBody } from '../../support/eci-endpoint.js'
import {
  brotliBomb,
  corruptGzip,
  cutOff,
  deflateBomb,
  echo,
  echoOf,
  endless,
  giant,
  gzipBomb,
  hugeHeader,
  json,
  never,
  notHttp,
  redirect,
  resetAfterHeaders,
  resetBeforeHeaders,
  sequence,
  text,
  trickle,
  trickleHeaders,
} from '../../support/hostile-server.js'
import type { FaultCase, World } from '../harness.js'
import {
  ACCESS_TOKEN,
  ACCOUNT,
  consumer,
  eciClient,
  grantFor,
  INVOICE,
  NEW_ACCESS_TOKEN,
  TIMEOUT_MS,
  tokenBody,
} from '../provider.js'

export const basicBody = (over: Record<string, unknown> = {}) => ({ ...conformantBasic(ACCOUNT), ...over })

/**
 * Bombs get a long deadline: the size cap must stop them, not a timeout (which a loaded machine
 * could hit first while inflating).
 */
const BOMB = { timeout: 5000 }

/** One Basic call with `createEciClient` against `/eci` answering with `behaviour`. */
const basic =
  (behaviour: Parameters<World['server']['on']>[1], options: Parameters<typeof eciClient>[1] = {}) =>
  async (w: World) => {
    w.server.on('/eci', behaviour)
    const client = eciClient(w, options)
    w.start()
    return client.basic(ACCOUNT)
  }

const network = (attempts: number, check?: (e: EciNetworkError) => void): FaultCase['expect'] => ({
  outcome: 'EciNetworkError',
  code: ErrorCode.NETWORK,
  attempts,
  check: check as FaultCase['expect']['check'],
})
const invalid = (attempts = 1): FaultCase['expect'] => ({
  outcome: 'EciHttpError',
  code: ErrorCode.INVALID_RESPONSE,
  attempts,
})
const http = (attempts: number, check?: (e: EciHttpError) => void): FaultCase['expect'] => ({
  outcome: 'EciHttpError',
  code: ErrorCode.HTTP_ERROR,
  attempts,
  check: check as FaultCase['expect']['check'],
})
const validation = (check?: (e: EciValidationError) => void): FaultCase['expect'] => ({
  outcome: 'EciValidationError',
  code: ErrorCode.VALIDATION_FAILED,
  attempts: 1,
  check: check as FaultCase['expect']['check'],
})

/** The redirect cases: the POST must not go to the other origin, nor its body become data. */
const redirectCase = (status: number): FaultCase => ({
  area: 'eci',
  name: `${status} to another origin`,
  did: `${status} Location: other origin with the token in the query`,
  expect: {
    outcome: 'EciHttpError',
    code: ErrorCode.UNEXPECTED_REDIRECT,
    attempts: 1,
    check: (e, w) => {
      const error = e as EciHttpError
      expect(error.message).toContain(w.other.url)
      expect(error.message).not.toContain('/steal')
      expect(w.other.total()).toBe(0)
    },
  },
  run: async (w) => {
    w.other.on('/steal', json(200, basicBody()))
    return basic(redirect(status, `${w.other.url}/steal?token=${ACCESS_TOKEN}`))(w)
  },
})

export const eciCases: FaultCase[] = [
  // Cut off, reset, not HTTP: network failures, retried (new JWT each time).
  {
    area: 'eci',
    name: 'body cut off',
    did: 'Content-Length 5000, 21 bytes sent, close',
    expect: network(3),
    run: basic(cutOff()),
  },
  {
    area: 'eci',
    name: 'reset mid-body',
    did: 'headers, then TCP reset',
    expect: network(3),
    run: basic(resetAfterHeaders),
  },
  {
    area: 'eci',
    name: 'reset before headers',
    did: 'TCP reset on request',
    expect: network(3, (e) => expect(e.rootCause).toBe('ECONNRESET')),
    run: basic(resetBeforeHeaders),
  },
  {
    area: 'eci',
    name: 'corrupt gzip',
    did: 'gzip body that does not inflate',
    expect: network(3),
    run: basic(corruptGzip),
  },
  { area: 'eci', name: 'not HTTP', did: 'an SSH banner instead of HTTP', expect: network(3), run: basic(notHttp) },
  {
    area: 'eci',
    name: 'connection refused',
    did: 'nothing listens',
    expect: network(0, (e) => {
      expect(e.rootCause).toBe('ECONNREFUSED')
      expect(e.message).toContain('ECONNREFUSED')
    }),
    run: async (w) => {
      const { closedPort } = await import('../../hostile/support.js')
      const port = await closedPort()
      const client = eciClient(w, { resource: `http://127.0.0.1:${port}/eci` })
      w.start()
      return client.basic(ACCOUNT)
    },
  },
  {
    area: 'eci',
    name: 'response header of 64 kB',
    did: '200 with a 64 kB header',
    expect: network(3),
    run: basic(hugeHeader(64 * 1024, basicBody())),
  },
  // Time: every wait is bounded by the call's timeout.
  {
    area: 'eci',
    name: 'never answers',
    did: 'reads the request, never answers',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: 3 },
    run: basic(never),
  },
  {
    area: 'eci',
    name: 'trickled body',
    did: '200 headers, then 1 byte / 50 ms',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: 3 },
    run: basic(trickle(50)),
  },
  {
    area: 'eci',
    name: 'trickled headers',
    did: 'status line and headers 1 byte / 50 ms',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: 3 },
    run: basic(trickleHeaders(50)),
  },
  {
    area: 'eci',
    name: 'timeout not retried when told',
    did: 'never answers; retryOnTimeout: false',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: 1 },
    run: basic(never, { retry: { limit: 2, backoffLimit: 20, retryOnTimeout: false } }),
  },
  {
    area: 'eci',
    name: 'caller aborts',
    did: 'never answers; the caller aborts once the request arrived',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.ABORTED, attempts: 1 },
    run: async (w) => {
      const caller = new AbortController()
      w.server.on('/eci', () => setTimeout(() => caller.abort(), 20))
      const client = eciClient(w, { timeout: 5000 })
      w.start()
      return client.basic(ACCOUNT, { signal: caller.signal })
    },
  },
  // Size: decompressed bytes are capped at 1 MiB.
  { area: 'eci', name: 'endless body', did: 'chunked spaces without end', expect: invalid(), run: basic(endless) },
  {
    area: 'eci',
    name: 'giant body, declared',
    did: 'Content-Length: 200 MB',
    expect: invalid(),
    run: basic(giant(200 * 1024 * 1024)),
  },
  {
    area: 'eci',
    name: 'giant body, chunked',
    did: '20 MB chunked, no Content-Length',
    expect: invalid(),
    run: basic(giant(20 * 1024 * 1024, { declare: false })),
  },
  {
    area: 'eci',
    name: 'gzip bomb',
    did: '270 kB gzip → 256 MB',
    expect: invalid(),
    run: basic(gzipBomb(), BOMB),
    limitMs: 30_000,
  },
  {
    area: 'eci',
    name: 'deflate bomb',
    did: '64 kB deflate → 64 MB',
    expect: invalid(),
    run: async (w) => basic(await deflateBomb(), BOMB)(w),
    limitMs: 30_000,
  },
  {
    area: 'eci',
    name: 'brotli bomb',
    did: 'a few hundred bytes of br → 256 MB',
    expect: invalid(),
    run: async (w) => basic(await brotliBomb(), BOMB)(w),
    limitMs: 30_000,
  },
  // Redirects: never followed.
  redirectCase(301),
  redirectCase(302),
  redirectCase(303),
  redirectCase(307),
  redirectCase(308),
  // Status storms.
  {
    area: 'eci',
    name: '503 storm',
    did: '503 on every attempt',
    expect: http(3, (e) => expect(e.status).toBe(503)),
    run: basic(json(503, { error: 'temporarily_unavailable' })),
  },
  {
    area: 'eci',
    name: '502 storm',
    did: '502 (HTML) on every attempt',
    expect: http(3),
    run: basic(text(502, 'text/html', '<h1>Bad gateway</h1>')),
  },
  { area: 'eci', name: '504 storm', did: '504 on every attempt', expect: http(3), run: basic(json(504, {})) },
  {
    area: 'eci',
    name: '503, 503, then 200',
    did: 'two 503s, then the data',
    expect: { outcome: 'ok', attempts: 3 },
    run: basic(sequence(json(503, {}), json(503, {}), json(200, basicBody()))),
  },
  {
    area: 'eci',
    name: '500',
    did: '500 server_error',
    expect: http(1),
    run: basic(json(500, { error: 'server_error' })),
  },
  {
    area: 'eci',
    name: '429 with Retry-After: 0',
    did: '429 Retry-After: 0, every attempt',
    expect: http(3, (e) => expect(e.retryAfter).toBe(0)),
    run: basic(json(429, { error: 'rate_limited' }, { 'retry-after': '0' })),
  },
  {
    area: 'eci',
    name: '429 without Retry-After',
    did: '429, every attempt',
    expect: http(3, (e) => expect(e.status).toBe(429)),
    run: basic(json(429, {})),
  },
  {
    area: 'eci',
    name: '429 with Retry-After: 3600',
    did: '429 Retry-After: 3600',
    expect: http(1, (e) => expect(e.retryAfter).toBe(3600)),
    run: basic(json(429, {}, { 'retry-after': '3600' })),
  },
  {
    area: 'eci',
    name: '429 with a far HTTP-date',
    did: 'Retry-After: a date next year',
    expect: http(1, (e) => expect(e.retryAfter).toBeGreaterThan(60)),
    run: basic(json(429, {}, { 'retry-after': new Date(Date.now() + 365 * 86_400_000).toUTCString() })),
  },
  {
    area: 'eci',
    name: '429 with a garbage Retry-After',
    did: 'Retry-After: soon',
    expect: http(3, (e) => expect(e.retryAfter).toBeUndefined()),
    run: basic(json(429, {}, { 'retry-after': 'soon' })),
  },
  // 401 loops.
  {
    area: 'eci',
    name: '401 loop in a session',
    did: '401 invalid_token on every call; refresh works',
    expect: {
      outcome: 'EciHttpError',
      code: ErrorCode.HTTP_ERROR,
      attempts: { '/eci': 2, '/token': 1 },
      check: (e) => expect((e as EciHttpError).error).toBe('invalid_token'),
    },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/eci', echo(401, 'invalid_token', ['www-authenticate']))
      w.server.on('/token', json(200, tokenBody()))
      const session = c.session(grantFor(w, { fresh: true }))
      w.start()
      return session.basic(ACCOUNT)
    },
  },
  {
    area: 'eci',
    name: '401 without a refresh token',
    did: '401 invalid_token; grant has no refresh token',
    expect: { outcome: 'EciConsentError', code: ErrorCode.INVALID_GRANT, attempts: { '/eci': 1, '/token': 0 } },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/eci', echo(401, 'invalid_token', ['www-authenticate', 'body']))
      const session = c.session(grantFor(w, { fresh: true, refresh: false }))
      w.start()
      return session.basic(ACCOUNT)
    },
  },
  {
    area: 'eci',
    name: '401 with createEciClient',
    did: '401 invalid_token, no onInvalidToken',
    expect: http(1, (e) => expect(e.status).toBe(401)),
    run: basic(echo(401, 'invalid_token', ['www-authenticate'])),
  },
  // Echoed secrets.
  {
    area: 'eci',
    name: 'echo in error_description',
    did: '400 echoing Authorization + request JWT',
    expect: http(1, (e) => expect(e.errorDescription).toContain('[redacted]')),
    run: basic(echo(400, 'invalid_request', ['body'])),
  },
  {
    area: 'eci',
    name: 'echo in X-Request-Id',
    did: '400, X-Request-Id echoing the request',
    expect: http(1, (e) => {
      expect(e.requestId).toContain('[redacted]')
      expect(e.requestId!.length).toBeLessThanOrEqual(128)
    }),
    run: basic(echo(400, 'invalid_request', ['request-id'])),
  },
  {
    area: 'eci',
    name: 'echo in WWW-Authenticate',
    did: '403 challenge echoing the request',
    expect: http(1),
    run: basic(echo(403, 'insufficient_scope', ['www-authenticate'])),
  },
  {
    area: 'eci',
    name: 'token as the error code',
    did: '400 {"error": <the access token>}',
    expect: http(1),
    run: basic((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: req.headers.authorization?.split(' ')[1] }))
    }),
  },
  {
    area: 'eci',
    name: 'echo in a 200 body',
    did: 'valid Basic with the request JWT in meter_number',
    expect: { outcome: 'ok', attempts: 1 },
    // The SDK returns the data as sent: a provider can put anything in a field. The collector
    // checks only errors and deviations here.
    run: async (w) => {
      const value = await basic((req, res, body) =>
        json(200, basicBody({ rate_code: 'R-1', note: echoOf(req, body) }))(req, res, body),
      )(w)
      return { fields: Object.keys(value as object) }
    },
  },
  {
    area: 'eci',
    name: 'echo as a field name',
    did: 'Basic with the request JWT as an unknown field name',
    expect: { outcome: 'ok', attempts: 1 },
    run: async (w) => {
      const value = await basic((req, res, body) => json(200, { ...basicBody(), [body.trim()]: 1 })(req, res, body))(w)
      return { fields: Object.keys(value as object) }
    },
  },
  // Content types and JSON.
  {
    area: 'eci',
    name: 'text/html 200',
    did: '200 text/html login page',
    expect: invalid(),
    run: basic(text(200, 'text/html', '<html>login</html>')),
  },
  {
    area: 'eci',
    name: 'no content type',
    did: '200 JSON without Content-Type',
    expect: invalid(),
    run: basic(text(200, undefined, JSON.stringify(basicBody()))),
  },
  {
    area: 'eci',
    name: 'bad JSON',
    did: '200 {"system_account_id":',
    expect: invalid(),
    run: basic(text(200, 'application/json', '{"system_account_id":')),
  },
  {
    area: 'eci',
    name: 'empty body',
    did: '200 application/json, no body',
    expect: invalid(),
    run: basic(text(200, 'application/json', '')),
  },
  {
    area: 'eci',
    name: 'JSON with a BOM and NULs',
    did: '200 \\ufeff{…}\\u0000',
    expect: invalid(),
    run: basic(text(200, 'application/json', `\ufeff${JSON.stringify(basicBody())}\u0000`)),
  },
  {
    area: 'eci',
    name: 'signed response, no JWKS',
    did: '200 application/jwt; no jwks_uri known',
    expect: invalid(),
    run: basic(text(200, 'application/jwt', 'eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.')),
  },
  {
    area: 'eci',
    name: '204 No Content',
    did: '204 on a Basic request',
    expect: invalid(),
    run: basic((_req, res) => res.writeHead(204).end()),
  },
  // Schema breaks.
  { area: 'eci', name: 'JSON null', did: '200 null', expect: validation(), run: basic(json(200, null)) },
  { area: 'eci', name: 'JSON array', did: '200 [basic]', expect: validation(), run: basic(json(200, [basicBody()])) },
  {
    area: 'eci',
    name: 'missing fields',
    did: '200 {system_account_id} only',
    expect: validation((e) => expect(e.issues.length).toBeGreaterThan(0)),
    run: basic(json(200, { system_account_id: ACCOUNT })),
  },
  {
    area: 'eci',
    name: 'wrong types',
    did: 'numbers for strings, a string list as a string',
    expect: validation(),
    run: basic(json(200, basicBody({ rate_code: 7, system_invoice_ids: 'inv-1' }))),
  },
  {
    area: 'eci',
    name: '500k bad invoice ids',
    did: '0.95 MB Basic, 500k numbers as ids',
    expect: validation((e) => {
      expect(e.issues.length).toBeLessThanOrEqual(100)
      expect(e.issueCount).toBe(500_000)
      expect(e.message.length).toBeLessThan(1200)
      expect(e.requestId).toBe('req-777')
    }),
    run: basic(json(200, basicBody({ system_invoice_ids: Array(500_000).fill(1) }), { 'x-request-id': 'req-777' }), {
      timeout: 5000,
    }),
  },
  {
    area: 'eci',
    name: 'deeply nested JSON',
    did: '200 with 100k nested arrays in a field',
    expect: validation(),
    run: basic(
      text(
        200,
        'application/json',
        `{"system_account_id":"${ACCOUNT}","rate_code":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      ),
    ),
  },
  {
    area: 'eci',
    name: 'another account',
    did: '200 Basic of another account',
    expect: { outcome: 'EciHttpError', code: ErrorCode.RESPONSE_MISMATCH, attempts: 1 },
    run: basic(json(200, basicBody({ system_account_id: '9999-999' }))),
  },
  {
    area: 'eci',
    name: 'another invoice',
    did: '200 Invoice of another invoice id',
    expect: { outcome: 'EciHttpError', code: ErrorCode.RESPONSE_MISMATCH, attempts: 1 },
    run: async (w) => {
      w.server.on('/eci', json(200, invoiceBody(ACCOUNT, 'another-invoice')))
      const client = eciClient(w)
      w.start()
      return client.invoice(ACCOUNT, INVOICE)
    },
  },
  {
    area: 'eci',
    name: 'lenient deviations',
    did: 'numeric strings, date-times, extra fields',
    expect: { outcome: 'ok', attempts: 1 },
    run: basic(json(200, basicBody({ next_read_date: '2026-12-15T00:00:00Z', extra: ACCESS_TOKEN })), {
      validation: 'lenient',
    }),
  },
  {
    area: 'eci',
    name: 'refresh 503 during a 401',
    did: '401 invalid_token, token endpoint 503 ×3',
    expect: { outcome: 'EciHttpError', code: ErrorCode.HTTP_ERROR, attempts: { '/eci': 1, '/token': 3 } },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/eci', json(401, {}, { 'www-authenticate': 'Bearer error="invalid_token"' }))
      w.server.on('/token', json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '0' }))
      const session = c.session(grantFor(w, { fresh: true }))
      w.start()
      return session.basic(ACCOUNT)
    },
  },
  {
    area: 'eci',
    name: 'invoices() stream cut off',
    did: 'Basic fine, then every Invoice cut off',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.NETWORK },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/eci', sequence(json(200, basicBody()), cutOff()))
      const session = c.session(grantFor(w, { fresh: true }))
      w.start()
      const seen: unknown[] = []
      for await (const invoice of session.invoices(ACCOUNT, { concurrency: 2 })) seen.push(invoice)
      return seen
    },
  },
  {
    area: 'eci',
    name: 'per-call timeout wins',
    did: 'never answers; call timeout 250 ms',
    expect: { outcome: 'EciNetworkError', code: ErrorCode.TIMEOUT, attempts: 1 },
    run: async (w) => {
      w.server.on('/eci', never)
      const client = eciClient(w, { timeout: TIMEOUT_MS * 100, retry: 0 })
      w.start()
      return client.basic(ACCOUNT, { timeout: 250 })
    },
  },
  {
    area: 'eci',
    name: 'session refresh then data',
    did: 'expired grant; token fine, ECI fine',
    expect: {
      outcome: 'ok',
      attempts: { '/token': 1, '/eci': 1 },
      check: (value) => expect((value as { accessToken: string }).accessToken).toBe(NEW_ACCESS_TOKEN),
    },
    run: async (w) => {
      const c = await consumer(w)
      w.server.on('/token', json(200, tokenBody()))
      w.server.on('/eci', json(200, basicBody()))
      const session = c.session(grantFor(w))
      w.start()
      await session.basic(ACCOUNT)
      return { accessToken: session.grant.accessToken }
    },
  },
]
