import { HttpResponse, http } from 'msw'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createEciClient,
  type EciClientOptions,
  EciConfigError,
  EciHttpError,
  EciNetworkError,
  EciValidationError,
  ErrorCode,
} from '../../src/index.js'
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  eciEndpoint,
  handlerFetch,
  invoiceBody,
  makeKeys,
  RESOURCE,
  type Responder,
  sha256b64url,
} from '../support/eci-endpoint.js'

let keys: Awaited<ReturnType<typeof makeKeys>>
beforeAll(async () => {
  keys = await makeKeys('ES256')
})

function setup(respond?: Responder, extra: Partial<EciClientOptions> = {}) {
  const endpoint = eciEndpoint(keys.publicJwk, respond)
  const client = createEciClient({
    resource: RESOURCE,
    clientId: CLIENT_ID,
    signingKey: keys.privateJwk,
    accessToken: ACCESS_TOKEN,
    fetch: handlerFetch([endpoint.handler]),
    retry: { limit: 2, backoffLimit: 20 },
    ...extra,
  })
  return { client, seen: endpoint.seen }
}

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  HttpResponse.json(body as Record<string, unknown>, { status, headers })

describe('ECI call: what goes on the wire', () => {
  it('POSTs a verified request JWT with the bearer token, typ and every profile claim', async () => {
    const { client, seen } = setup()
    const before = Math.floor(Date.now() / 1000)
    await client.invoice('0018-102', '09183eef267')
    expect(seen).toHaveLength(1)
    const [{ headers, header, claims }] = seen
    expect(headers.get('authorization')).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(headers.get('content-type')).toBe('application/jwt')
    expect(header).toEqual({ alg: 'ES256', kid: 'k-ES256', typ: 'eci-request+jwt' })
    expect(claims).toMatchObject({
      iss: CLIENT_ID,
      aud: RESOURCE,
      eci_request_type: 'invoice',
      system_account_id: '0018-102',
      system_invoice_id: '09183eef267',
      ath: await sha256b64url(ACCESS_TOKEN),
    })
    expect(claims.iat).toBeGreaterThanOrEqual(before - 1)
    expect((claims.exp as number) - (claims.iat as number)).toBe(60)
    expect(typeof claims.jti).toBe('string')
    expect((claims.jti as string).length).toBeGreaterThanOrEqual(22)
  })

  it('asks only for JSON when it cannot verify signed responses', async () => {
    const { client, seen } = setup()
    await client.basic('0018-102')
    expect(seen[0].headers.get('accept')).toBe('application/json')
  })

  it('sends basic without system_invoice_id and invoice_detail with it', async () => {
    const { client, seen } = setup()
    await client.basic('0018-102')
    await client.invoiceDetail('0018-102', 'inv-9')
    expect(seen[0].claims.eci_request_type).toBe('basic')
    expect('system_invoice_id' in seen[0].claims).toBe(false)
    expect(seen[1].claims).toMatchObject({ eci_request_type: 'invoice_detail', system_invoice_id: 'inv-9' })
  })

  it('gets the access token from a function on every call', async () => {
    let n = 0
    const { client, seen } = setup(undefined, { accessToken: () => `token-number-${++n}` })
    await client.basic('a')
    await client.basic('a')
    expect(seen.map((s) => s.headers.get('authorization'))).toEqual(['Bearer token-number-1', 'Bearer token-number-2'])
  })
})

describe('ECI call: responses', () => {
  it('returns validated objects with the canonical spelling', async () => {
    const { client } = setup()
    const invoice = await client.invoice('0018-102', 'inv-1')
    expect(invoice.service_period_end).toBe('2026-10-31')
    expect('serivce_period_end' in invoice).toBe(false)
    const detail = await client.invoiceDetail('0018-102', 'inv-1')
    expect(detail.credit_remaining_total).toBe(22.2)
    const basic = await client.basic('0018-102')
    expect(basic.system_invoice_ids).toEqual(['inv-1', 'inv-2'])
  })

  it('refuses a body for another account', async () => {
    const { client } = setup(() => json({ ...invoiceBody('9999-999', 'inv-1') }, 200))
    const error = await client.invoice('0018-102', 'inv-1').catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.RESPONSE_MISMATCH)
  })

  it('refuses a body for another invoice', async () => {
    const { client } = setup(() => json({ ...invoiceBody('0018-102', 'inv-other') }, 200))
    await expect(client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({ code: ErrorCode.RESPONSE_MISMATCH })
  })

  it('rejects a body that breaks the schema with every issue path', async () => {
    const { client } = setup(() =>
      json({ ...invoiceBody('0018-102', 'inv-1'), invoice_total: 'lots', invoice_date: '2026-02-30' }, 200),
    )
    const error = await client.invoice('0018-102', 'inv-1').catch((e) => e)
    expect(error).toBeInstanceOf(EciValidationError)
    expect(error.issues.map((i: { path: unknown[] }) => i.path[0]).sort()).toEqual(['invoice_date', 'invoice_total'])
  })

  it('coerces and reports deviations in lenient mode', async () => {
    const deviations: string[] = []
    const { client } = setup(() => json({ ...invoiceBody('0018-102', 'inv-1'), invoice_total: '84.12' }, 200), {
      validation: 'lenient',
      onDeviation: (d) => deviations.push(`${d.kind}:${d.path.join('.')}`),
    })
    const invoice = await client.invoice('0018-102', 'inv-1')
    expect(invoice.invoice_total).toBe(84.12)
    expect(deviations).toEqual(['numeric-string:invoice_total'])
  })

  it.each([
    [
      'malformed JSON',
      () => new HttpResponse('{"system_account_id": "0018', { headers: { 'content-type': 'application/json' } }),
    ],
    ['an HTML page', () => new HttpResponse('<html>Maintenance</html>', { headers: { 'content-type': 'text/html' } })],
  ])('turns %s into EciHttpError INVALID_RESPONSE', async (_name, body) => {
    const { client } = setup(() => body())
    const error = await client.basic('0018-102').catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
  })
})

describe('ECI call: errors', () => {
  it.each([
    [400, 'invalid_request'],
    [403, 'insufficient_scope'],
    [404, 'not_found'],
    [500, 'server_error'],
  ])('maps HTTP %i to EciHttpError carrying error, description and request id', async (status, code) => {
    const { client, seen } = setup(() =>
      json({ error: code, error_description: 'nope' }, status, { 'x-request-id': 'req-abc' }),
    )
    const error = await client.basic('0018-102').catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error).toMatchObject({
      status,
      error: code,
      errorDescription: 'nope',
      requestId: 'req-abc',
      code: ErrorCode.HTTP_ERROR,
    })
    expect(seen).toHaveLength(1)
  })

  it('reads error from WWW-Authenticate when the body has none', async () => {
    const { client } = setup(
      () =>
        new HttpResponse(null, {
          status: 403,
          headers: { 'www-authenticate': 'Bearer error="insufficient_scope", error_description="needs eci:invoice"' },
        }),
    )
    await expect(client.invoice('a', 'b')).rejects.toMatchObject({
      status: 403,
      error: 'insufficient_scope',
      errorDescription: 'needs eci:invoice',
    })
  })

  it('scrubs the access token from provider text', async () => {
    const { client } = setup(() =>
      json({ error: 'invalid_request', error_description: `bad token ${ACCESS_TOKEN}` }, 400),
    )
    const error = await client.basic('a').catch((e) => e)
    expect(error.message).not.toContain(ACCESS_TOKEN)
    expect(error.errorDescription).toBe('bad token [redacted]')
  })
})

describe('ECI call: retries', () => {
  it('survives two 503s and signs a new JWT (new jti) for every attempt', async () => {
    const { client, seen } = setup((_s, n) => (n <= 2 ? json({ error: 'temporarily_unavailable' }, 503) : undefined))
    const basic = await client.basic('0018-102')
    expect(basic.system_account_id).toBe('0018-102')
    expect(seen).toHaveLength(3)
    expect(new Set(seen.map((s) => s.claims.jti)).size).toBe(3)
  })

  it.each([429, 502, 504])('retries HTTP %i', async (status) => {
    const { client, seen } = setup((_s, n) => (n === 1 ? json({ error: 'x' }, status) : undefined))
    await client.basic('0018-102')
    expect(seen).toHaveLength(2)
  })

  it('gives up after the retry limit with the last error', async () => {
    const { client, seen } = setup(() => json({ error: 'temporarily_unavailable' }, 503, { 'x-request-id': 'r-last' }))
    const error = await client.basic('a').catch((e) => e)
    expect(error).toMatchObject({ status: 503, requestId: 'r-last' })
    expect(seen).toHaveLength(3)
  })

  it('does not retry 400, 403 or 404', async () => {
    for (const status of [400, 403, 404]) {
      const { client, seen } = setup(() => json({ error: 'x' }, status))
      await expect(client.basic('a')).rejects.toBeInstanceOf(EciHttpError)
      expect(seen).toHaveLength(1)
    }
  })

  it('honours Retry-After in seconds', async () => {
    const { client, seen } = setup((_s, n) =>
      n === 1 ? json({ error: 'slow_down' }, 429, { 'retry-after': '1' }) : undefined,
    )
    const start = Date.now()
    await client.basic('a')
    expect(Date.now() - start).toBeGreaterThanOrEqual(900)
    expect(seen).toHaveLength(2)
  })

  it('honours Retry-After as an HTTP-date', async () => {
    const { client, seen } = setup((_s, n) =>
      n === 1
        ? json({ error: 'slow_down' }, 503, { 'retry-after': new Date(Date.now() + 2000).toUTCString() })
        : undefined,
    )
    const start = Date.now()
    await client.basic('a')
    expect(Date.now() - start).toBeGreaterThanOrEqual(900)
    expect(seen).toHaveLength(2)
  })

  it('fails at once, with retryAfter on the error, when Retry-After exceeds maxRetryAfter', async () => {
    const { client, seen } = setup(() => json({ error: 'slow_down' }, 429, { 'retry-after': '120' }), {
      retry: { limit: 2, maxRetryAfter: 5_000 },
    })
    const error = await client.basic('a').catch((e) => e)
    expect(error).toMatchObject({ status: 429, retryAfter: 120 })
    expect(seen).toHaveLength(1)
  })

  it('stops waiting for a retry when the caller aborts', async () => {
    const { client, seen } = setup(() => json({ error: 'slow_down' }, 503, { 'retry-after': '30' }))
    const controller = new AbortController()
    const pending = client.basic('a', { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.ABORTED })
    expect(seen).toHaveLength(1)
  })

  it('retries a timed-out attempt with a new JWT', async () => {
    const { client, seen } = setup((_s, n) => (n === 1 ? new Promise<Response>(() => {}) : undefined), {
      timeout: 50,
      retry: { limit: 1, backoffLimit: 5 },
    })
    await client.basic('a')
    expect(seen).toHaveLength(2)
    expect(seen[0].claims.jti).not.toBe(seen[1].claims.jti)
  })

  it('retries a network failure, then reports EciNetworkError when it persists', async () => {
    let calls = 0
    const failing = handlerFetch([http.post(RESOURCE, () => HttpResponse.error())])
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: keys.privateJwk,
      accessToken: ACCESS_TOKEN,
      retry: { limit: 2, backoffLimit: 10 },
      fetch: (i, init) => {
        calls++
        return failing(i, init)
      },
    })
    const error = await client.basic('a').catch((e) => e)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.NETWORK)
    expect(calls).toBe(3)
  })

  it('times out an attempt with EciNetworkError TIMEOUT', async () => {
    const { client } = setup(() => new Promise<Response>(() => {}), { timeout: 50, retry: 0 })
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.TIMEOUT })
  })

  it('takes a per-call timeout over the client default', async () => {
    const { client } = setup(() => new Promise<Response>(() => {}), { timeout: 10_000, retry: 0 })
    const started = Date.now()
    await expect(client.basic('a', { timeout: 40 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT })
    expect(Date.now() - started).toBeLessThan(5_000)
    await expect(client.basic('a', { timeout: -1 })).rejects.toBeInstanceOf(EciConfigError)
  })

  it('stops at once when the caller aborts', async () => {
    const { client } = setup(() => new Promise<Response>(() => {}))
    const controller = new AbortController()
    const pending = client.basic('a', { signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    await expect(pending).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.ABORTED })
  })

  it('hands a 401 invalid_token to onInvalidToken once and retries with the new token', async () => {
    const refused: string[] = []
    const { client, seen } = setup(
      (s) =>
        s.headers.get('authorization') === `Bearer ${ACCESS_TOKEN}`
          ? new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
          : undefined,
      {
        onInvalidToken: ({ accessToken }) => {
          refused.push(accessToken)
          return 'fresh-access-token-1'
        },
      },
    )
    await client.basic('a')
    expect(refused).toEqual([ACCESS_TOKEN])
    expect(seen.map((s) => s.headers.get('authorization'))).toEqual([
      `Bearer ${ACCESS_TOKEN}`,
      'Bearer fresh-access-token-1',
    ])
    expect(seen[1].claims.ath).toBe(await sha256b64url('fresh-access-token-1'))
  })

  it('refreshes at most once per call', async () => {
    let hooks = 0
    const { client } = setup(
      () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }),
      { onInvalidToken: () => `fresh-access-token-${++hooks}` },
    )
    await expect(client.basic('a')).rejects.toMatchObject({ status: 401, error: 'invalid_token' })
    expect(hooks).toBe(1)
  })
})

describe('ECI call: bad input', () => {
  it.each([
    [{ resource: 'not a url' }],
    [{ clientId: '' }],
    [{ accessToken: '' }],
    [{ timeout: -1 }],
    [{ retry: { limit: 1.5 } }],
    [{ requestJwtExpiresIn: 301 }],
    [{ validation: 'loose' }],
  ])('refuses options %j with EciConfigError', (patch) => {
    expect(() =>
      createEciClient({
        resource: RESOURCE,
        clientId: CLIENT_ID,
        signingKey: keys.privateJwk,
        accessToken: ACCESS_TOKEN,
        ...(patch as Partial<EciClientOptions>),
      }),
    ).toThrow(EciConfigError)
  })

  it('refuses empty ids without sending anything', async () => {
    const { client, seen } = setup()
    await expect(client.basic('')).rejects.toBeInstanceOf(EciConfigError)
    await expect(client.invoice('a', '')).rejects.toBeInstanceOf(EciConfigError)
    expect(seen).toHaveLength(0)
  })

  it('reports a key that cannot sign as EciConfigError when called', async () => {
    const { client } = setup(undefined, { signingKey: keys.publicJwk })
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciConfigError', code: ErrorCode.INVALID_KEY })
  })
})

describe('ECI call: hostile bodies', () => {
  it('times out a 200 whose body never ends', async () => {
    const { client } = setup(
      () =>
        new HttpResponse(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"system_')) }), {
          headers: { 'content-type': 'application/json' },
        }),
      { timeout: 100, retry: 0 },
    )
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.TIMEOUT })
  })

  it('refuses a body over 1 MiB', async () => {
    const { client } = setup(
      () => new HttpResponse(`{"pad":"${'x'.repeat(1_100_000)}"}`, { headers: { 'content-type': 'application/json' } }),
    )
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciHttpError', code: ErrorCode.INVALID_RESPONSE })
  })
})

describe('ECI call: a body that stalls', () => {
  it('retries an attempt whose body times out mid-read, with a new JWT', async () => {
    const { client, seen } = setup(
      (_s, n) =>
        n === 1
          ? new HttpResponse(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"sys')) }), {
              headers: { 'content-type': 'application/json' },
            })
          : undefined,
      { timeout: 100, retry: { limit: 1, backoffLimit: 5 } },
    )
    const basic = await client.basic('0018-102')
    expect(basic.system_account_id).toBe('0018-102')
    expect(seen).toHaveLength(2)
    expect(seen[0].claims.jti).not.toBe(seen[1].claims.jti)
  })

  it('does not retry a malformed body', async () => {
    const { client, seen } = setup(() => new HttpResponse('{"a":', { headers: { 'content-type': 'application/json' } }))
    await expect(client.basic('a')).rejects.toMatchObject({ code: ErrorCode.INVALID_RESPONSE })
    expect(seen).toHaveLength(1)
  })
})
