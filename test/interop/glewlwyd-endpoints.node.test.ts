// What Glewlwyd 2.7 accepts and refuses at its endpoints, measured with hand-made requests (jose
// for the client assertions): the facts behind `clientAuth.assertionAudience` and the table in
// docs/consent.md. The SDK journeys are in glewlwyd.node.test.ts.
import { createHash, randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { SignJWT } from 'jose/jwt/sign'
import { importJWK } from 'jose/key/import'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { EciConsumer } from '../../src/index.js'
import { ECI_SCOPES } from '../support/glewlwyd-provision.js'
import {
  type ConsumerClient,
  describeGlewlwyd,
  type GlewlwydWorld,
  startGlewlwydWorld,
} from '../support/glewlwyd-world.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

describeGlewlwyd('interop: what Glewlwyd 2.7 accepts at its endpoints', () => {
  let world: GlewlwydWorld
  let client: ConsumerClient
  let issuer: string

  beforeAll(async () => {
    world = await startGlewlwydWorld()
    client = await world.consumerClient('acme-solar', 'private_key_jwt')
    issuer = world.realm.issuer
  }, 30_000)

  afterAll(async () => {
    await world?.close()
  })

  /** An RFC 7523 client assertion, signed here with jose (not by the SDK). */
  async function assertion(aud: string, jwk: JWK = client.privateJwk): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(crypto.randomUUID())
      .sign(await importJWK(jwk, 'ES256'))
  }

  async function post(endpoint: string, form: Record<string, string>) {
    const response = await fetch(`${issuer}/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    })
    const text = await response.text()
    return { status: response.status, contentType: response.headers.get('content-type'), text }
  }

  const clientAuth = async (aud: string) => ({
    client_id: client.clientId,
    client_assertion_type: JWT_BEARER,
    client_assertion: await assertion(aud),
  })

  const parRequest = () => ({
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: ECI_SCOPES.join(' '),
    state: crypto.randomUUID(),
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })

  // Each endpoint: the form it gets, and the status that shows the client was authenticated
  // (the request then fails or succeeds on its own merits) or refused.
  const endpoints = {
    par: { form: parRequest, accepted: 201, refused: 401 },
    // A made-up refresh token: an authenticated client gets as far as the token check (bare 400).
    token: { form: () => ({ grant_type: 'refresh_token', refresh_token: 'not-a-token' }), accepted: 400, refused: 403 },
    // RFC 7009 §2.2: an unknown token is not an error.
    revoke: { form: () => ({ token: 'not-a-token', token_type_hint: 'refresh_token' }), accepted: 200, refused: 401 },
  } as const

  it.each([
    ['par', 'RFC 9126 §2: the issuer, token endpoint or PAR URL MUST be accepted'],
    ['token', 'RFC 7523bis: the issuer is the audience; OIDC Core §9 only says SHOULD be the token endpoint'],
    ['revoke', 'RFC 7523bis: the issuer is the audience'],
  ] as const)(
    'glewlwyd quirk: %s accepts a client assertion only when its aud is the URL of that endpoint, never the issuer (%s)',
    async (name, _why) => {
      const { form, accepted, refused } = endpoints[name]
      const audiences = { endpoint: `${issuer}/${name}`, issuer, 'issuer/': `${issuer}/` }
      const others = Object.keys(endpoints).filter((n) => n !== name)
      const results: Record<string, number> = {}
      for (const [label, aud] of Object.entries(audiences)) {
        results[label] = (await post(name, { ...form(), ...(await clientAuth(aud)) })).status
      }
      for (const other of others) {
        results[other] = (await post(name, { ...form(), ...(await clientAuth(`${issuer}/${other}`)) })).status
      }
      expect(results).toEqual({
        endpoint: accepted,
        issuer: refused,
        'issuer/': refused,
        ...Object.fromEntries(others.map((o) => [o, refused])),
      })
    },
  )

  it('glewlwyd quirk: a refused client authentication is a bare 401 (PAR, revocation) or 403 (token) with no RFC 6749 §5.2 invalid_client body', async () => {
    for (const name of Object.keys(endpoints) as (keyof typeof endpoints)[]) {
      const refusal = await post(name, { ...endpoints[name].form(), ...(await clientAuth(issuer)) })
      expect({ name, status: refusal.status, body: refusal.text, type: refusal.contentType }).toEqual({
        name,
        status: endpoints[name].refused,
        body: '',
        type: null,
      })
    }
  })

  it('a client assertion is single-use: the same jti again is refused, so every retry needs a new assertion', async () => {
    const auth = await clientAuth(`${issuer}/par`)
    expect((await post('par', { ...parRequest(), ...auth })).status).toBe(201)
    expect((await post('par', { ...parRequest(), ...auth })).status).toBe(401)
  })

  it('an assertion signed by a key the client did not register is refused', async () => {
    const { privateJwk } = await world.consumerClient('someone-else', 'private_key_jwt')
    const forged = await assertion(`${issuer}/par`, { ...privateJwk, kid: client.privateJwk.kid })
    const refusal = await post('par', {
      ...parRequest(),
      client_id: client.clientId,
      client_assertion_type: JWT_BEARER,
      client_assertion: forged,
    })
    expect(refusal.status).toBe(401)
  })

  it('glewlwyd quirk: its metadata omits authorization_response_iss_parameter_supported although every authorization response carries iss (RFC 9207), lists no refresh_token grant type although it refreshes, and names only client_secret_basic for revocation although private_key_jwt works there', async () => {
    const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >
    expect(metadata.authorization_response_iss_parameter_supported).toBeUndefined()
    expect(metadata.grant_types_supported).toEqual(['authorization_code', 'implicit'])
    // `bearer`: the resource server's own access token (introspection-revocation-auth-scope).
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'bearer'])
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    expect(metadata.require_pushed_authorization_requests).toBe(false)
    expect(metadata.dpop_signing_alg_values_supported).toContain('ES256')
  })

  it('glewlwyd quirk: the authorization response adds authorization_details=eci and plugin=oidc to code, state and iss; completeConsent ignores them', async () => {
    const publicClient = await world.consumerClient('acme-solar-app', 'none')
    const consumer = await EciConsumer.discover({
      issuer,
      clientId: publicClient.clientId,
      clientAuth: { method: 'none' },
      signingKey: publicClient.privateJwk,
      redirectUri: publicClient.redirectUri,
      resource: world.realm.resource,
      allowInsecureRequests: true,
    })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'], accounts: ['0018-102'] })
    const { callbackUrl } = await world.customer().consent(url, { grant: ['eci:basic'] })
    const callback = new URL(callbackUrl)
    expect([...callback.searchParams.keys()].sort()).toEqual([
      'authorization_details',
      'code',
      'iss',
      'plugin',
      'state',
    ])
    expect(callback.searchParams.get('authorization_details')).toBe('eci')
    expect(callback.searchParams.get('iss')).toBe(issuer)
    expect((await consumer.completeConsent(callback, transaction)).accounts).toEqual(['0018-102'])
  })

  /** A public client's whole code flow by hand (PAR, the customer's consent, code exchange). */
  async function rawFlow(authorizationDetails: unknown[]) {
    const rar = await world.consumerClient(`acme-solar-rar-${crypto.randomUUID().slice(0, 8)}`, 'none')
    const verifier = randomBytes(32).toString('base64url')
    const par = await post('par', {
      client_id: rar.clientId,
      response_type: 'code',
      redirect_uri: rar.redirectUri,
      scope: 'eci:basic',
      state: crypto.randomUUID(),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: world.realm.resource,
      authorization_details: JSON.stringify(authorizationDetails),
    })
    expect(par.status).toBe(201)
    const requestUri = (JSON.parse(par.text) as { request_uri: string }).request_uri
    const authorize = `${issuer}/auth?client_id=${rar.clientId}&request_uri=${encodeURIComponent(requestUri)}`
    const { callbackUrl } = await world.customer().consent(authorize, { grant: ['eci:basic'] })
    const token = await post('token', {
      grant_type: 'authorization_code',
      code: new URL(callbackUrl).searchParams.get('code') ?? '',
      redirect_uri: rar.redirectUri,
      client_id: rar.clientId,
      code_verifier: verifier,
      resource: world.realm.resource,
    })
    expect(token.status).toBe(200)
    return (JSON.parse(token.text) as { authorization_details?: unknown }).authorization_details
  }

  it("glewlwyd names the customer's own accounts only through RAR enrichment: access.system_account_ids filled from its user record (a shape the SDK neither asks for nor reads)", async () => {
    const details = await rawFlow([{ type: 'eci', access: { system_account_ids: [] } }])
    expect(details).toEqual([{ type: 'eci', access: { system_account_ids: world.realm.customerAccounts } }])
  })

  it('glewlwyd grants the system_account_ids a client asks for verbatim, held by the customer or not (RFC 9396 leaves the check to the server): the ECI resource server must check accounts itself', async () => {
    const asked = [{ type: 'eci', system_account_ids: ['9999-999'], actions: ['basic'] }]
    expect(await rawFlow(asked)).toEqual(asked)
  })
})
