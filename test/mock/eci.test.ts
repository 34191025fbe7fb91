import { createLocalJWKSet } from 'jose/jwks/local'
import { decodeJwt } from 'jose/jwt/decode'
import { jwtVerify } from 'jose/jwt/verify'
import { describe, expect, it } from 'vitest'
import { createFixtures } from '../../src/mock/fixtures.js'
import { parseBasic, parseInvoice, parseInvoiceDetail } from '../../src/schemas/index.js'
import {
  CLIENT_ID,
  eci,
  eciCall,
  grant,
  ISSUER,
  makeKey,
  RESOURCE,
  randomString,
  requestJwt,
  send,
  setup,
} from './helpers.js'

const ACCOUNT = '0018-102'
const INVOICE = '09183eef267'

async function expectRefusal(res: Response, status: number, error: string, description: RegExp = /./) {
  expect(res.status).toBe(status)
  expect(res.headers.get('X-Request-Id')).toBeTruthy()
  expect(await res.json()).toEqual({ error, error_description: expect.stringMatching(description) })
}

describe('mock provider ECI endpoint: data', () => {
  it('answers basic, invoice and invoice_detail with the fixtures in the seed spelling', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const basic = await eciCall(s, access_token, { eci_request_type: 'basic', system_account_id: ACCOUNT })
    expect(basic.status).toBe(200)
    expect(basic.headers.get('Content-Type')).toBe('application/json')
    expect(parseBasic(await basic.json())).toEqual(s.provider.fixtures.basic(ACCOUNT))

    const invoice = await eciCall(s, access_token, {
      eci_request_type: 'invoice',
      system_account_id: ACCOUNT,
      system_invoice_id: INVOICE,
    })
    const invoiceBody = await invoice.json()
    expect(invoiceBody).toHaveProperty('serivce_period_end')
    expect(invoiceBody).not.toHaveProperty('delivery_unit')
    expect(parseInvoice(invoiceBody)).toEqual(s.provider.fixtures.invoice(ACCOUNT, INVOICE))

    const detail = await eciCall(s, access_token, {
      eci_request_type: 'invoice_detail',
      system_account_id: ACCOUNT,
      system_invoice_id: INVOICE,
    })
    expect(parseInvoiceDetail(await detail.json())).toEqual(s.provider.fixtures.invoiceDetail(ACCOUNT, INVOICE))
  })

  it('records each ECI call with the decoded claims and no token', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.clearCalls()
    await eciCall(s, access_token, { eci_request_type: 'basic', system_account_id: ACCOUNT })
    expect(s.provider.calls).toEqual([
      {
        endpoint: 'eci',
        at: expect.any(Number),
        method: 'POST',
        status: 200,
        client: CLIENT_ID,
        claims: expect.objectContaining({
          iss: CLIENT_ID,
          aud: RESOURCE,
          eci_request_type: 'basic',
          system_account_id: ACCOUNT,
        }),
      },
    ])
    expect(JSON.stringify(s.provider.calls)).not.toContain(access_token)
  })

  it("speaks the canonical spelling with dialect 'canonical'", async () => {
    const s = await setup({ dialect: 'canonical' })
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, {
      eci_request_type: 'invoice',
      system_account_id: ACCOUNT,
      system_invoice_id: INVOICE,
    })
    expect(await res.json()).toEqual(s.provider.fixtures.invoice(ACCOUNT, INVOICE))
  })

  it("speaks numeric strings, *_total names and date-times with dialect 'deviant', which lenient parsing accepts", async () => {
    const s = await setup({ dialect: 'deviant' })
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, {
      eci_request_type: 'invoice_detail',
      system_account_id: ACCOUNT,
      system_invoice_id: INVOICE,
    })
    const body = await res.json()
    expect(typeof body.invoice_total).toBe('string')
    expect(body).toHaveProperty('credit_allocated_total')
    expect(body.invoice_date).toMatch(/T00:00:00Z$/)
    expect(() => parseInvoiceDetail(body)).toThrow()
    expect(parseInvoiceDetail(body, { validation: 'lenient' })).toEqual(
      s.provider.fixtures.invoiceDetail(ACCOUNT, INVOICE),
    )
  })

  it('signs the response with its JWKS key when the client prefers application/jwt', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const jwt = await requestJwt({
      key: s.key,
      accessToken: access_token,
      claims: { eci_request_type: 'basic', system_account_id: ACCOUNT },
    })
    const res = await eci(s.provider, access_token, jwt, { Accept: 'application/jwt, application/json;q=0.5' })
    expect(res.headers.get('Content-Type')).toBe('application/jwt')
    const jwks = await (await send(s.provider, `${ISSUER}/jwks`)).json()
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: CLIENT_ID,
    })
    expect(protectedHeader.typ).toBe('eci-response+jwt')
    expect(payload.system_account_id).toBe(ACCOUNT)
  })

  it('serves the same data for the same seed across providers', async () => {
    const s = await setup({ seed: 'abc' })
    expect(s.provider.fixtures.accounts()).toEqual(createFixtures({ seed: 'abc' }).accounts())
  })
})

describe('mock provider ECI endpoint: refusals', () => {
  const basic = { eci_request_type: 'basic', system_account_id: ACCOUNT }

  it('refuses a replayed jti with 400 invalid_request_jwt', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const jwt = await requestJwt({ key: s.key, accessToken: access_token, claims: basic })
    expect((await eci(s.provider, access_token, jwt)).status).toBe(200)
    await expectRefusal(await eci(s.provider, access_token, jwt), 400, 'invalid_request_jwt', /used already/)
  })

  const now = () => Math.floor(Date.now() / 1000)
  it.each([
    ['a wrong aud', { payload: { aud: 'https://api.utility.example/other' } }, /aud/],
    ['a wrong ath', { payload: { ath: 'x'.repeat(43) } }, /ath/],
    ['no ath', { payload: { ath: undefined } }, /ath/],
    ['an expired JWT', { payload: { iat: now() - 200, exp: now() - 140 } }, /expired/],
    ['a lifetime over 300 s', { payload: { iat: now(), exp: now() + 301 } }, /lifetime/],
    ['an iat in the future', { payload: { iat: now() + 120, exp: now() + 150 } }, /future/],
    ['no jti', { payload: { jti: undefined } }, /required claim/],
    ['a short jti', { payload: { jti: 'abc' } }, /jti/],
    ['a jti of 21 characters (under 128 bits)', { payload: { jti: randomString(16).slice(0, 21) } }, /jti.*128 bits/],
    ['exp equal to iat', { payload: { iat: now(), exp: now() } }, /exp must be after its iat/],
    ['exp before iat', { payload: { iat: now(), exp: now() - 1 } }, /exp must be after its iat/],
    ['an aud array of two', { payload: { aud: [RESOURCE, 'https://other.example'] } }, /aud/],
    ['a header without kid', { header: { kid: undefined } }, /kid/],
    ['an iss other than the client', { payload: { iss: 'someone-else' } }, /iss/],
    ['typ JWT', { header: { typ: 'JWT' } }, /typ/],
    ['an unknown kid', { header: { kid: 'unknown' } }, /kid/],
  ])('refuses %s with 400 invalid_request_jwt', async (_name, overrides, description) => {
    const s = await setup()
    const { access_token } = await grant(s)
    await expectRefusal(await eciCall(s, access_token, basic, overrides), 400, 'invalid_request_jwt', description)
  })

  it('refuses a JWT signed by a key the client did not register', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const other = await makeKey()
    const jwt = await requestJwt({ key: { ...other, kid: s.key.kid }, accessToken: access_token, claims: basic })
    await expectRefusal(await eci(s.provider, access_token, jwt), 400, 'invalid_request_jwt', /signature/)
  })

  it('refuses a request JWT that expired on the provider clock (clock offset)', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.setClockOffset(200)
    await expectRefusal(await eciCall(s, access_token, basic), 400, 'invalid_request_jwt', /expired/)
  })

  it.each([
    ['a word', 'not-a-jwt'],
    ['an empty body', ''],
    ['two segments', 'eyJhbGciOiJFUzI1NiJ9.e30'],
    ['four segments', 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln.c2ln'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln'],
    ['a header that is a JSON array', 'W10.e30.c2ln'],
    ['a segment outside base64url', 'eyJhbGciOiJFUzI1NiJ9.e3+0.c2ln'],
    ['JSON instead of a JWS', '{"eci_request_type":"basic"}'],
  ])('refuses a body that is not a compact JWS (%s) with 400 invalid_request (§5.4 step 2)', async (_name, body) => {
    const s = await setup()
    const { access_token } = await grant(s)
    await expectRefusal(await eci(s.provider, access_token, body), 400, 'invalid_request', /compact JWS/)
  })

  it('refuses a wrong Content-Type with 400 invalid_request', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const jwt = await requestJwt({ key: s.key, accessToken: access_token, claims: basic })
    await expectRefusal(
      await eci(s.provider, access_token, jwt, { 'Content-Type': 'application/json' }),
      400,
      'invalid_request',
    )
  })

  it.each([
    ['an unknown request type', { eci_request_type: 'usage', system_account_id: ACCOUNT }],
    ['an invoice request without system_invoice_id', { eci_request_type: 'invoice', system_account_id: ACCOUNT }],
    ['a request without system_account_id', { eci_request_type: 'basic' }],
    [
      'a basic request carrying system_invoice_id',
      { eci_request_type: 'basic', system_account_id: ACCOUNT, system_invoice_id: INVOICE },
    ],
  ])('refuses %s with 400 invalid_request', async (_name, claims) => {
    const s = await setup()
    const { access_token } = await grant(s)
    await expectRefusal(await eciCall(s, access_token, claims), 400, 'invalid_request')
  })

  it('refuses a request type outside the granted scope with 403 insufficient_scope and WWW-Authenticate', async () => {
    const s = await setup()
    const { access_token } = await grant(s, { scope: 'eci:basic' })
    const res = await eciCall(s, access_token, {
      eci_request_type: 'invoice_detail',
      system_account_id: ACCOUNT,
      system_invoice_id: INVOICE,
    })
    expect(res.headers.get('WWW-Authenticate')).toMatch(
      /^Bearer .*error="insufficient_scope".*scope="eci:invoice_detail"/,
    )
    await expectRefusal(res, 403, 'insufficient_scope')
  })

  it('answers 404 not_found for an account outside the grant, exactly like an unknown one', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const foreign = s.provider.fixtures.owners[1]!.accounts[0]!.systemAccountId
    const outside = await eciCall(s, access_token, { eci_request_type: 'basic', system_account_id: foreign })
    const unknown = await eciCall(s, access_token, { eci_request_type: 'basic', system_account_id: 'no-such' })
    expect(outside.status).toBe(404)
    expect(await outside.json()).toEqual(await unknown.json())
  })

  it('answers 404 not_found for an invoice the account does not have', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, {
      eci_request_type: 'invoice',
      system_account_id: ACCOUNT,
      system_invoice_id: 'ffffffffff0',
    })
    await expectRefusal(res, 404, 'not_found')
  })

  it.each([
    ['an expired access token', (s: Awaited<ReturnType<typeof setup>>) => s.provider.expireAccessTokens()],
    ['a revoked grant', (s: Awaited<ReturnType<typeof setup>>) => s.provider.revokeGrants()],
    [
      'an access token past its lifetime on the provider clock',
      (s: Awaited<ReturnType<typeof setup>>) => s.provider.setClockOffset(3601),
    ],
  ])('refuses %s with 401 and WWW-Authenticate: Bearer error="invalid_token"', async (_name, act) => {
    const s = await setup()
    const { access_token } = await grant(s)
    act(s)
    const now = s.provider.now()
    const res = await eciCall(s, access_token, basic, { payload: { iat: now, exp: now + 60 } })
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="invalid_token"/)
    await expectRefusal(res, 401, 'invalid_token')
  })

  it('refuses an unknown or missing access token with 401 invalid_token', async () => {
    const s = await setup()
    const fake = randomString()
    await expectRefusal(await eciCall(s, fake, basic), 401, 'invalid_token')
    const jwt = await requestJwt({ key: s.key, accessToken: fake, claims: basic })
    const res = await send(s.provider, RESOURCE, {
      method: 'POST',
      headers: { 'Content-Type': 'application/jwt' },
      body: jwt,
    })
    await expectRefusal(res, 401, 'invalid_token')
  })

  it('logs the claims and client of requests refused for an expired token', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    s.provider.expireAccessTokens()
    const jwt = await requestJwt({ key: s.key, accessToken: access_token, claims: basic })
    await eci(s.provider, access_token, jwt)
    expect(s.provider.calls.at(-1)).toEqual({
      endpoint: 'eci',
      at: expect.any(Number),
      method: 'POST',
      status: 401,
      client: CLIENT_ID,
      claims: decodeJwt(jwt),
    })
  })

  it('logs the claims of refused requests too', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const jwt = await requestJwt({
      key: s.key,
      accessToken: access_token,
      claims: basic,
      payload: { aud: 'https://x.example' },
    })
    await eci(s.provider, access_token, jwt)
    expect(s.provider.calls.at(-1)).toMatchObject({
      endpoint: 'eci',
      status: 400,
      client: CLIENT_ID,
      claims: decodeJwt(jwt),
    })
  })
})

describe('mock provider ECI endpoint: strict JOSE header, method and body (§5.2, §5.4, §7.1)', () => {
  const basic = { eci_request_type: 'basic', system_account_id: ACCOUNT }

  it.each([
    ['jku', async () => ({ jku: 'https://evil.example/jwks.json' })],
    ['x5u', async () => ({ x5u: 'https://evil.example/cert.pem' })],
    ['x5c', async () => ({ x5c: ['MIIBszCCAVmgAwIBAgIUQ'] })],
    ['jwk', async () => ({ jwk: (await makeKey()).publicJwk })],
    ['crit', async () => ({ crit: ['b64'], b64: true })],
  ])('refuses a request JWT whose header carries %s with 400 invalid_request_jwt', async (name, make) => {
    const s = await setup()
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, basic, { header: await make() })
    await expectRefusal(res, 400, 'invalid_request_jwt', new RegExp(`must not carry ${name}`))
  })

  it('refuses a request JWT signed by the key embedded in its own jwk header', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const attacker = await makeKey()
    const jwt = await requestJwt({
      key: attacker,
      accessToken: access_token,
      claims: basic,
      header: { jwk: attacker.publicJwk },
    })
    await expectRefusal(await eci(s.provider, access_token, jwt), 400, 'invalid_request_jwt')
  })

  it('accepts a jti of exactly 22 characters (128 bits)', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, basic, { payload: { jti: randomString(16) } })
    expect(randomString(16)).toHaveLength(22)
    expect(res.status).toBe(200)
  })

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])(
    'refuses %s at the ECI endpoint with 400 invalid_request and Allow: POST',
    async (method) => {
      const s = await setup()
      const { access_token } = await grant(s)
      s.provider.fault({ endpoint: 'eci', status: 503 })
      const res = await send(s.provider, RESOURCE, {
        method,
        headers: { Authorization: `Bearer ${access_token}` },
      })
      expect(res.headers.get('Allow')).toBe('POST')
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      await expectRefusal(res, 400, 'invalid_request', /POST/)
      expect(s.provider.calls.at(-1)).toMatchObject({ endpoint: 'eci', method, status: 400 })
      // A wrong method does not consume a queued fault: the next POST gets it.
      expect((await eciCall(s, access_token, basic)).status).toBe(503)
    },
  )

  it('refuses a body over 64 kB with 400 invalid_request', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const jwt = await requestJwt({
      key: s.key,
      accessToken: access_token,
      claims: basic,
      payload: { padding: 'x'.repeat(70 * 1024) },
    })
    await expectRefusal(await eci(s.provider, access_token, jwt), 400, 'invalid_request', /64 kB/)
  })
})

describe('mock provider ECI endpoint: clock tolerance (§5.4 step 6, §9)', () => {
  const basic = { eci_request_type: 'basic', system_account_id: ACCOUNT }
  const now = () => Math.floor(Date.now() / 1000)

  it('tolerates 60 s of skew by default: iat 45 s ahead and exp 45 s behind are accepted', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    expect((await eciCall(s, access_token, basic, { payload: { iat: now() + 45, exp: now() + 105 } })).status).toBe(200)
    expect((await eciCall(s, access_token, basic, { payload: { iat: now() - 105, exp: now() - 45 } })).status).toBe(200)
  })

  it('refuses an iat 90 s ahead by default (over the 60 s tolerance)', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const res = await eciCall(s, access_token, basic, { payload: { iat: now() + 90, exp: now() + 150 } })
    await expectRefusal(res, 400, 'invalid_request_jwt', /future/)
  })

  it('applies the clockTolerance option: with 0, a JWT 10 s ahead or 10 s expired is refused', async () => {
    const s = await setup({ clockTolerance: 0 })
    const { access_token } = await grant(s)
    const ahead = await eciCall(s, access_token, basic, { payload: { iat: now() + 10, exp: now() + 70 } })
    await expectRefusal(ahead, 400, 'invalid_request_jwt', /future/)
    const expired = await eciCall(s, access_token, basic, { payload: { iat: now() - 70, exp: now() - 10 } })
    await expectRefusal(expired, 400, 'invalid_request_jwt', /expired/)
  })
})
