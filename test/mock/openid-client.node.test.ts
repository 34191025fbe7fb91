/**
 * An independent OAuth client (openid-client v6 + jose, not the SDK) completes the whole flow
 * against the mock provider through MSW's `setupServer`: discovery → authorize redirect → code
 * exchange with private_key_jwt → signed ECI request → validated data, then refresh, DPoP and
 * revocation.
 */
import { SignJWT } from 'jose/jwt/sign'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { setupServer } from 'msw/node'
import * as oidc from 'openid-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMockProvider, type MockProvider } from '../../src/mock/index.js'
import { parseBasic, parseInvoice, parseInvoiceDetail } from '../../src/schemas/index.js'
import { CLIENT_ID, type ClientKey, ISSUER, makeKey, REDIRECT, RESOURCE, randomString, s256 } from './helpers.js'

const server = setupServer()
let key: ClientKey

beforeAll(async () => {
  key = await makeKey()
  server.listen({ onUnhandledFrame: 'error' })
})
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

function use(options: Partial<Parameters<typeof createMockProvider>[0]> = {}): MockProvider {
  const provider = createMockProvider({
    issuer: ISSUER,
    resource: RESOURCE,
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] } }],
    ...options,
  })
  server.use(...provider.handlers)
  return provider
}

async function discover(algorithm: 'oauth2' | 'oidc' = 'oauth2') {
  return oidc.discovery(new URL(ISSUER), CLIENT_ID, {}, oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), {
    algorithm,
  })
}

/** Authorization request → the provider's redirect → code exchange. */
async function consent(config: oidc.Configuration, options: oidc.DPoPOptions = {}) {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'eci:basic eci:invoice eci:invoice_detail',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: RESOURCE,
  })
  const redirect = await fetch(url, { redirect: 'manual' })
  expect(redirect.status).toBe(302)
  const callback = new URL(redirect.headers.get('Location')!)
  return oidc.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: verifier, expectedState: state },
    { resource: RESOURCE },
    options,
  )
}

async function requestJwt(accessToken: string, claims: Record<string, string>) {
  return new SignJWT({ ...claims, ath: await s256(accessToken) })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'eci-request+jwt' })
    .setIssuer(CLIENT_ID)
    .setAudience(RESOURCE)
    .setIssuedAt()
    .setExpirationTime('60s')
    .setJti(randomString(16))
    .sign(key.privateKey)
}

async function eci(
  config: oidc.Configuration,
  accessToken: string,
  claims: Record<string, string>,
  options?: oidc.DPoPOptions,
) {
  return oidc.fetchProtectedResource(
    config,
    accessToken,
    new URL(RESOURCE),
    'POST',
    await requestJwt(accessToken, claims),
    new Headers({ 'Content-Type': 'application/jwt' }),
    options,
  )
}

describe('an independent openid-client completes the ECIS flow against the mock provider', () => {
  it('discovers, consents, exchanges the code with private_key_jwt and reads validated data', async () => {
    const provider = use()
    const config = await discover()
    expect(config.serverMetadata().eci_resource).toBe(RESOURCE)
    const tokens = await consent(config)
    expect(tokens.token_type).toBe('bearer')
    const accounts = tokens.system_account_ids as string[]
    expect(accounts).toEqual(provider.fixtures.owners[0]!.accounts.map((a) => a.systemAccountId))

    for (const account of accounts) {
      const res = await eci(config, tokens.access_token, { eci_request_type: 'basic', system_account_id: account })
      expect(res.status).toBe(200)
      const basicData = parseBasic(await res.json())
      expect(basicData).toEqual(provider.fixtures.basic(account))
      const invoiceId = basicData.system_invoice_ids[0]!
      const claims = { system_account_id: account, system_invoice_id: invoiceId }
      const invoice = await eci(config, tokens.access_token, { eci_request_type: 'invoice', ...claims })
      expect(parseInvoice(await invoice.json())).toEqual(provider.fixtures.invoice(account, invoiceId))
      const detail = await eci(config, tokens.access_token, { eci_request_type: 'invoice_detail', ...claims })
      expect(parseInvoiceDetail(await detail.json())).toEqual(provider.fixtures.invoiceDetail(account, invoiceId))
    }
    expect(provider.calls.map((c) => c.endpoint).slice(0, 3)).toEqual(['metadata', 'authorize', 'token'])
    expect(provider.calls.every((c) => c.status < 400)).toBe(true)
  })

  it('discovers through OIDC discovery too', async () => {
    use()
    const config = await discover('oidc')
    expect(config.serverMetadata().issuer).toBe(ISSUER)
  })

  it('refreshes with rotation and sees reuse of the old refresh token refused', async () => {
    use()
    const config = await discover()
    const first = await consent(config)
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!)
    expect(second.refresh_token).not.toBe(first.refresh_token)
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('revokes the grant: the access token is refused afterwards', async () => {
    use()
    const config = await discover()
    const tokens = await consent(config)
    await oidc.tokenRevocation(config, tokens.refresh_token!)
    // openid-client turns the 401 + WWW-Authenticate challenge into an error.
    const error = await eci(config, tokens.access_token, {
      eci_request_type: 'basic',
      system_account_id: '0018-102',
    }).then(
      () => undefined,
      (e: { status: number; cause: { scheme: string; parameters: { error: string } }[] }) => e,
    )
    expect(error?.status).toBe(401)
    expect(error?.cause[0]).toMatchObject({ scheme: 'bearer', parameters: { error: 'invalid_token' } })
  })

  it('pushes the authorization request (PAR) when the provider requires it', async () => {
    use({ requirePushedAuthorizationRequests: true })
    const config = await discover()
    const verifier = oidc.randomPKCECodeVerifier()
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'eci:basic',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'par-state_4fQm0HrT3yZp7Wf',
      resource: RESOURCE,
    })
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const redirect = await fetch(url, { redirect: 'manual' })
    const tokens = await oidc.authorizationCodeGrant(config, new URL(redirect.headers.get('Location')!), {
      pkceCodeVerifier: verifier,
      expectedState: 'par-state_4fQm0HrT3yZp7Wf',
    })
    expect(tokens.scope).toBe('eci:basic')
  })

  it('binds tokens with DPoP (RFC 9449), including the provider nonce, and uses them at the ECI endpoint', async () => {
    const provider = use({ dpopNonce: true })
    const config = await discover()
    const dpop = oidc.getDPoPHandle(config, await generateKeyPair('ES256'))
    const tokens = await consent(config, { DPoP: dpop })
    expect(tokens.token_type).toBe('dpop')
    expect(provider.grants()[0]!.dpopJkt).toEqual(expect.any(String))
    const res = await eci(
      config,
      tokens.access_token,
      { eci_request_type: 'basic', system_account_id: '0018-102' },
      { DPoP: dpop },
    )
    expect(res.status).toBe(200)
    expect(parseBasic(await res.json()).system_account_id).toBe('0018-102')
    // A proof from another key does not match the token's binding.
    const other = oidc.getDPoPHandle(config, await generateKeyPair('ES256'))
    await expect(
      eci(config, tokens.access_token, { eci_request_type: 'basic', system_account_id: '0018-102' }, { DPoP: other }),
    ).rejects.toBeDefined()
    // The DPoP-bound refresh works with the same key.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop })
    expect(refreshed.token_type).toBe('dpop')
  })
})
