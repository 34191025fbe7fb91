import { describe, expect, it } from 'vitest'
import { EciConfigError } from '../../src/errors.js'
import type { MockFault } from '../../src/mock/index.js'
import { parseBasic } from '../../src/schemas/index.js'
import { CLIENT_ID, eciCall, grant, ISSUER, send, setup } from './helpers.js'

const ACCOUNT = '0018-102'
const basic = { eci_request_type: 'basic', system_account_id: ACCOUNT }

describe('mock provider faults', () => {
  it('answers the next `times` calls of the endpoint with the status, then recovers', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.fault({ endpoint: 'eci', status: 503, times: 2 })
    const a = await eciCall(s, access_token, basic)
    const b = await eciCall(s, access_token, basic)
    const c = await eciCall(s, access_token, basic)
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200])
    expect(await a.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'injected fault' })
    expect(a.headers.get('X-Request-Id')).toBeTruthy()
    // Each faulted call is logged with its claims, so a test can check a retry used a new jti.
    const eciCalls = s.provider.calls.filter((call) => call.endpoint === 'eci')
    expect(eciCalls.map((call) => call.status)).toEqual([503, 503, 200])
    expect(eciCalls.every((call) => call.client === CLIENT_ID)).toBe(true)
    expect(new Set(eciCalls.map((call) => call.claims?.jti)).size).toBe(3)
  })

  it('leaves other endpoints alone', async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'eci', status: 500 })
    expect((await send(s.provider, `${ISSUER}/jwks`)).status).toBe(200)
  })

  it('adds Retry-After when asked, and always to a 429', async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'jwks', status: 503, retryAfter: 7 })
    s.provider.fault({ endpoint: 'jwks', status: 429 })
    const a = await send(s.provider, `${ISSUER}/jwks`)
    expect(a.headers.get('Retry-After')).toBe('7')
    const b = await send(s.provider, `${ISSUER}/jwks`)
    expect(b.status).toBe(429)
    expect(b.headers.get('Retry-After')).toBe('0')
    expect((await b.json()).error).toBe('rate_limited')
  })

  it('uses the given OAuth error code, e.g. invalid_grant at the token endpoint', async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'token', status: 400, error: 'invalid_grant' })
    const res = await send(s.provider, `${ISSUER}/token`, { method: 'POST' })
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'injected fault' })
  })

  it('adds WWW-Authenticate to an injected 401 at the ECI endpoint', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.fault({ endpoint: 'eci', status: 401 })
    const res = await eciCall(s, access_token, basic)
    expect(res.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
  })

  it('redirects an injected authorization error to the client', async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'authorize', error: 'temporarily_unavailable' })
    await expect(grant(s)).rejects.toThrow(/temporarily_unavailable/)
    expect((await grant(s)).access_token).toBeTruthy()
  })

  it("drops the connection with network: 'reset' (status 0 in the log)", async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'metadata', network: 'reset' })
    const res = await send(s.provider, `${ISSUER}/.well-known/openid-configuration`)
    expect(res.type).toBe('error')
    expect(s.provider.calls).toEqual([
      { endpoint: 'metadata', at: expect.any(Number), method: 'GET', status: 0, client: undefined },
    ])
  })

  it('waits delayMs before answering, and never without a fault', async () => {
    const s = await setup()
    let t = performance.now()
    await send(s.provider, `${ISSUER}/jwks`)
    const plain = performance.now() - t
    s.provider.fault({ endpoint: 'jwks', delayMs: 150 })
    t = performance.now()
    const res = await send(s.provider, `${ISSUER}/jwks`)
    expect(performance.now() - t).toBeGreaterThanOrEqual(140)
    expect(res.status).toBe(200)
    expect(plain).toBeLessThan(140)
  })

  it('sends malformed JSON, an HTML page, or a truncated body', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.fault({ endpoint: 'eci', body: 'malformed' })
    const malformed = await eciCall(s, access_token, basic)
    expect(malformed.status).toBe(200)
    expect(malformed.headers.get('Content-Type')).toBe('application/json')
    await expect(malformed.json()).rejects.toThrow()

    s.provider.fault({ endpoint: 'eci', body: 'html', status: 502 })
    const html = await eciCall(s, access_token, basic)
    expect(html.status).toBe(502)
    expect(html.headers.get('Content-Type')).toContain('text/html')
    expect(await html.text()).toContain('<html>')

    s.provider.fault({ endpoint: 'eci', body: 'truncated' })
    const truncated = await eciCall(s, access_token, basic)
    const text = await truncated.text()
    expect(JSON.stringify(s.provider.fixtures.basic(ACCOUNT))).not.toBe(text)
    expect(() => JSON.parse(text)).toThrow()
  })

  it("serves another account's data with body: 'wrong-account'", async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.fault({ endpoint: 'eci', body: 'wrong-account' })
    const body = await (await eciCall(s, access_token, basic)).json()
    expect(body.system_account_id).not.toBe(ACCOUNT)
    expect(parseBasic(body).system_account_id).toBe(body.system_account_id)
  })

  it("serves the deviant dialect once with body: 'deviant', and a schema break with body: 'invalid'", async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.fault({ endpoint: 'eci', body: 'deviant' })
    s.provider.fault({ endpoint: 'eci', body: 'invalid' })
    const invoice = { eci_request_type: 'invoice', system_account_id: ACCOUNT, system_invoice_id: '09183eef267' }
    const deviant = await (await eciCall(s, access_token, invoice)).json()
    expect(typeof deviant.invoice_total).toBe('string')
    const invalid = await (await eciCall(s, access_token, invoice)).json()
    expect(invalid).not.toHaveProperty('meter_number')
    const normal = await (await eciCall(s, access_token, invoice)).json()
    expect(typeof normal.invoice_total).toBe('number')
  })

  it('forgets pending faults on clearFaults()', async () => {
    const s = await setup()
    s.provider.fault({ endpoint: 'jwks', status: 500, times: 5 })
    s.provider.clearFaults()
    expect((await send(s.provider, `${ISSUER}/jwks`)).status).toBe(200)
  })

  it.each([
    [{ endpoint: 'nowhere' }],
    [{ endpoint: 'eci', status: 99 }],
    [{ endpoint: 'eci', times: 0 }],
    [{ endpoint: 'eci', delayMs: -1 }],
    [{ endpoint: 'eci', body: 'gibberish' }],
    [{ endpoint: 'eci', network: 'timeout' }],
  ])('refuses the invalid fault %j with EciConfigError', async (spec) => {
    const s = await setup()
    expect(() => s.provider.fault(spec as unknown as MockFault)).toThrow(EciConfigError)
  })
})
