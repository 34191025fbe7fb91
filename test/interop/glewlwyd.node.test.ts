// Interop against an authorization server nobody here wrote: Glewlwyd 2.7 from Debian, started
// and provisioned by test/support/glewlwyd-world.ts, with a small ECI resource server that trusts
// its tokens. The whole consent-to-revocation journey runs through the SDK's public API, for a
// confidential `private_key_jwt` client and a public DPoP client. Where Glewlwyd departs from the
// standards the test name says "glewlwyd quirk"; the SDK is not bent to it.
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type AssertionAudience,
  EciConsentError,
  EciConsumer,
  type EciConsumerOptions,
  EciHttpError,
  type Grant,
} from '../../src/index.js'
import { ECI_SCOPES } from '../support/glewlwyd-provision.js'
import {
  type ConsumerClient,
  describeGlewlwyd,
  type GlewlwydWorld,
  startGlewlwydWorld,
} from '../support/glewlwyd-world.js'

const ACCOUNTS = ['0018-102', '0018-103']

/** A grant as a failing assertion may print it: tokens only said to be there (no secret in CI logs). */
const printable = ({ accessToken, refreshToken, ...rest }: Grant) => ({
  ...rest,
  accessToken: accessToken ? '<set>' : '',
  refreshToken: refreshToken ? '<set>' : undefined,
})
/** Whether `next` carries new tokens, both of them (compared here, never printed). */
const rotatedFrom = (next: Grant, previous: Grant) =>
  next.accessToken !== previous.accessToken &&
  next.refreshToken !== undefined &&
  next.refreshToken !== previous.refreshToken
const SCOPES = ['basic', 'invoice', 'invoice_detail'] as const

describeGlewlwyd('interop: Glewlwyd 2.7, a real third-party authorization server', () => {
  let world: GlewlwydWorld
  let confidential: ConsumerClient
  let publicClient: ConsumerClient

  beforeAll(async () => {
    world = await startGlewlwydWorld()
    confidential = await world.consumerClient('acme-solar', 'private_key_jwt')
    publicClient = await world.consumerClient('acme-solar-cli', 'none')
  }, 30_000)

  afterAll(async () => {
    await world?.close()
  })

  /** What Glewlwyd's token endpoint answered, member names only (no token leaves the test). */
  const tokenResponses: { grantType: string; members: string[]; authorizationDetails: unknown }[] = []
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (url === `${world.realm.issuer}/token` && response.status === 200) {
      const body = (await response.clone().json()) as Record<string, unknown>
      const grantType = new URLSearchParams(String(init?.body ?? '')).get('grant_type') ?? '?'
      tokenResponses.push({
        grantType,
        members: Object.keys(body).sort(),
        authorizationDetails: body.authorization_details,
      })
    }
    return response
  }

  const discover = (client: ConsumerClient, options: Partial<EciConsumerOptions>) =>
    EciConsumer.discover({
      fetch: recordingFetch,
      issuer: world.realm.issuer,
      clientId: client.clientId,
      redirectUri: client.redirectUri,
      resource: world.realm.resource,
      signingKey: client.privateJwk,
      allowInsecureRequests: true,
      clientAuth: { method: 'none' },
      ...options,
    })

  // Glewlwyd checks the client assertion's `aud` against the URL of the endpoint called (PAR,
  // token, revocation), never the issuer: hence `assertionAudience: 'endpoint'`.
  const confidentialConsumer = (assertionAudience: AssertionAudience = 'endpoint') =>
    discover(confidential, {
      clientAuth: { method: 'private_key_jwt', key: confidential.privateJwk, assertionAudience },
    })

  /** beginConsent → the customer logs in and grants at Glewlwyd → the callback URL. */
  async function consent(consumer: EciConsumer, accounts: string[] | 'no accounts' = ACCOUNTS) {
    const { url, transaction } = await consumer.beginConsent({
      scopes: [...SCOPES],
      ...(accounts === 'no accounts' ? {} : { accounts }),
    })
    const { callbackUrl, trace } = await world.customer().consent(url, { grant: ECI_SCOPES })
    return { url, transaction, callbackUrl, trace }
  }

  const expired = (grant: Grant): Grant => ({ ...grant, expiresAt: Math.floor(Date.now() / 1000) - 1 })

  async function readEverything(consumer: EciConsumer, grant: Grant, onGrant?: (g: Grant) => void) {
    const session = consumer.session(grant, onGrant ? { onGrant } : {})
    const basic = await session.basic(ACCOUNTS[0])
    const invoice = await session.invoice(ACCOUNTS[0], basic.system_invoice_ids[0])
    const detail = await session.invoiceDetail(ACCOUNTS[1], 'inv-2')
    return { session, basic, invoice, detail }
  }

  it('glewlwyd quirk: no RFC 8414 metadata (404) — discover falls back to OIDC discovery and finds PAR, RAR eci, PKCE S256', async () => {
    const issuer = new URL(world.realm.issuer)
    const rfc8414 = await fetch(`${issuer.origin}/.well-known/oauth-authorization-server${issuer.pathname}`)
    expect(rfc8414.status).toBe(404)
    const consumer = await discover(publicClient, {})
    expect(consumer.metadata.issuer).toBe(world.realm.issuer)
    expect(consumer.metadata.pushed_authorization_request_endpoint).toBe(`${world.realm.issuer}/par`)
    expect(consumer.metadata.authorization_details_types_supported).toEqual(['eci'])
    expect(consumer.metadata.code_challenge_methods_supported).toEqual(['S256'])
    expect(consumer.resource).toBe(world.realm.resource)
  })

  it('confidential private_key_jwt client (assertion aud = endpoint): PAR, RAR, consent, code exchange, data, refresh with rotation, revocation', async () => {
    const consumer = await confidentialConsumer()
    const { url, transaction, callbackUrl, trace } = await consent(consumer)
    // PAR: the browser carries only the request_uri, no scope, no challenge, no authorization_details.
    const authorize = new URL(url)
    expect([...authorize.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(trace.firstRedirect).toBe(`${world.server.url}/login.html`)
    expect(new URL(callbackUrl).searchParams.get('iss')).toBe(world.realm.issuer)

    const grant = await consumer.completeConsent(callbackUrl, transaction)
    expect(printable(grant)).toMatchObject({
      issuer: world.realm.issuer,
      clientId: confidential.clientId,
      resource: world.realm.resource,
      tokenType: 'Bearer',
      scopes: [...ECI_SCOPES],
      accounts: ACCOUNTS,
    })
    expect(printable(grant).refreshToken).toBe('<set>')

    const rotated: Grant[] = []
    const { basic, invoice, detail } = await readEverything(consumer, expired(grant), (g) => rotated.push(g))
    expect(basic.system_account_id).toBe(ACCOUNTS[0])
    expect(invoice.system_invoice_id).toBe('inv-1')
    expect(detail.service_period_end).toBe('2026-10-31')
    // The expired access token made the session refresh once; Glewlwyd rotated the refresh token.
    expect(rotated.length).toBe(1)
    expect(rotatedFrom(rotated[0], grant)).toBe(true)
    expect(rotated[0].accounts).toEqual(ACCOUNTS)
    const seen = world.rs.calls.filter((c) => c.clientId === confidential.clientId)
    expect(seen.map((c) => [c.status, c.requestType, c.scheme])).toEqual([
      [200, 'basic', 'Bearer'],
      [200, 'invoice', 'Bearer'],
      [200, 'invoice_detail', 'Bearer'],
    ])

    // Glewlwyd echoes the requested RAR details verbatim, in the code exchange and refresh responses.
    const mine = tokenResponses.slice(-2)
    expect(mine.map((r) => r.grantType)).toEqual(['authorization_code', 'refresh_token'])
    const details = [{ type: 'eci', system_account_ids: ACCOUNTS, actions: [...SCOPES] }]
    expect(mine.map((r) => r.authorizationDetails)).toEqual([details, details])

    await consumer.session(rotated[0]).revoke()
    // Another instance still holding the revoked grant: the resource server refuses the access
    // token (introspection: inactive) and the refresh that follows is refused as well (a bare
    // 400 from Glewlwyd: see the quirk below).
    const stale = consumer.session(rotated[0])
    await expect(stale.basic(ACCOUNTS[0])).rejects.toMatchObject({ name: 'EciHttpError', status: 400 })
    expect(world.rs.calls.at(-1)).toMatchObject({ status: 401, error: 'invalid_token' })
  })

  it.each(['issuer', 'token_endpoint'] as const)(
    'glewlwyd quirk: with assertionAudience %s the confidential client is refused at PAR — beginConsent rejects with EciHttpError 401 before the customer sees anything',
    async (audience) => {
      const consumer = await confidentialConsumer(audience)
      await expect(consumer.beginConsent({ scopes: [...SCOPES], accounts: ACCOUNTS })).rejects.toMatchObject({
        name: 'EciHttpError',
        status: 401,
      })
    },
  )

  it('public client with DPoP: PAR, RAR, consent, DPoP-bound tokens, data with proofs, refresh with rotation', async () => {
    const consumer = await discover(publicClient, { dpop: true })
    const { transaction, callbackUrl } = await consent(consumer)
    const grant = await consumer.completeConsent(callbackUrl, transaction)
    expect(printable(grant)).toMatchObject({ tokenType: 'DPoP', accounts: ACCOUNTS, scopes: [...ECI_SCOPES] })
    expect(grant.dpopJkt).toMatch(/^[\w-]{43}$/)

    const rotated: Grant[] = []
    const { basic } = await readEverything(consumer, expired(grant), (g) => rotated.push(g))
    expect(basic.system_account_id).toBe(ACCOUNTS[0])
    expect(rotated.length).toBe(1)
    expect(printable(rotated[0])).toMatchObject({ tokenType: 'DPoP', dpopJkt: grant.dpopJkt })
    expect(rotatedFrom(rotated[0], grant)).toBe(true)
    const seen = world.rs.calls.filter((c) => c.clientId === publicClient.clientId)
    expect(seen.map((c) => [c.status, c.scheme])).toEqual([
      [200, 'DPoP'],
      [200, 'DPoP'],
      [200, 'DPoP'],
    ])

    // Glewlwyd binds the refresh token to the key too: without a DPoP proof it is refused.
    const stolen = await fetch(`${world.realm.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: rotated[0].refreshToken as string,
        client_id: publicClient.clientId,
      }),
    })
    expect(stolen.status).toBe(403)
    expect(await stolen.json()).toMatchObject({ error: 'invalid_dpop_proof' })
  })

  it('glewlwyd quirk: a public client cannot revoke its grant (bare 401; RFC 7009 §2.1 lets a public client identify itself by client_id) — session.revoke() rejects with EciHttpError', async () => {
    const consumer = await discover(publicClient, { dpop: true })
    const { transaction, callbackUrl } = await consent(consumer)
    const grant = await consumer.completeConsent(callbackUrl, transaction)
    await expect(consumer.session(grant).revoke()).rejects.toMatchObject({ name: 'EciHttpError', status: 401 })
    // Nothing was revoked: the grant still reads data.
    await expect(consumer.session(grant).basic(ACCOUNTS[0])).resolves.toMatchObject({ system_account_id: ACCOUNTS[0] })
  })

  it('glewlwyd quirk: a reused rotated refresh token is refused with a bare 400, not invalid_grant (RFC 6749 §5.2), so EciHttpError; the reuse also ends the newer token (reuse detection)', async () => {
    const consumer = await discover(publicClient, { dpop: true })
    const { transaction, callbackUrl } = await consent(consumer)
    const grant = await consumer.completeConsent(callbackUrl, transaction)
    let newer: Grant | undefined
    await consumer
      .session(expired(grant), {
        onGrant: (g) => {
          newer = g
        },
      })
      .basic(ACCOUNTS[0])
    expect(newer !== undefined && rotatedFrom(newer, grant)).toBe(true)
    const replay = await consumer
      .session(expired(grant))
      .basic(ACCOUNTS[0])
      .catch((e: unknown) => e)
    expect(replay).toBeInstanceOf(EciHttpError)
    expect(replay).toMatchObject({ status: 400, error: undefined })
    await expect(consumer.session(expired(newer as Grant)).basic(ACCOUNTS[0])).rejects.toMatchObject({
      name: 'EciHttpError',
      status: 400,
    })
  })

  it('a token response that names no granted account is EciConsentError ERR_ECI_NO_ACCOUNTS (Glewlwyd returns authorization_details only when the request carried them)', async () => {
    const consumer = await discover(publicClient, {})
    const { url, transaction, callbackUrl } = await consent(consumer, 'no accounts')
    expect(url).not.toContain('authorization_details')
    const before = tokenResponses.length
    const error = await consumer.completeConsent(callbackUrl, transaction).catch((e: unknown) => e)
    // Measured: the response names scopes and tokens, no authorization_details, no system_account_ids.
    expect(tokenResponses.slice(before).map((r) => r.members)).toEqual([
      ['access_token', 'expires_in', 'iat', 'refresh_token', 'scope', 'token_type'],
    ])
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error).toMatchObject({ code: 'ERR_ECI_NO_ACCOUNTS' })
  })

  it('an account outside the RAR grant is 404 at the resource server and EciHttpError not_found in the SDK', async () => {
    const consumer = await discover(publicClient, {})
    const { transaction, callbackUrl } = await consent(consumer, [ACCOUNTS[0]])
    const grant = await consumer.completeConsent(callbackUrl, transaction)
    expect(grant.accounts).toEqual([ACCOUNTS[0]])
    const error = await consumer
      .session(grant)
      .basic(ACCOUNTS[1])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error).toMatchObject({ status: 404, error: 'not_found' })
  })

  it('completeConsent refuses a callback whose iss or state is not the one sent (RFC 9207, RFC 6749 §10.12)', async () => {
    const consumer = await discover(publicClient, {})
    const { transaction, callbackUrl } = await consent(consumer)
    const forgedIss = new URL(callbackUrl)
    forgedIss.searchParams.set('iss', 'http://127.0.0.1:9/attacker')
    await expect(consumer.completeConsent(forgedIss, transaction)).rejects.toMatchObject({
      name: 'EciConsentError',
      code: 'ERR_ECI_ISSUER_MISMATCH',
    })
    const forgedState = new URL(callbackUrl)
    forgedState.searchParams.set('state', 'x'.repeat(43))
    await expect(consumer.completeConsent(forgedState, transaction)).rejects.toMatchObject({
      name: 'EciConsentError',
      code: 'ERR_ECI_STATE_MISMATCH',
    })
    // The untouched callback still completes: the refusals sent nothing to the token endpoint.
    expect((await consumer.completeConsent(callbackUrl, transaction)).accounts).toEqual(ACCOUNTS)
  })

  it('glewlwyd quirk: a replayed authorization code is refused with 403 invalid_code, not 400 invalid_grant (RFC 6749 §5.2), so EciHttpError; the first grant is revoked', async () => {
    const consumer = await discover(publicClient, {})
    const { transaction, callbackUrl } = await consent(consumer)
    const grant = await consumer.completeConsent(callbackUrl, transaction)
    await expect(consumer.completeConsent(callbackUrl, transaction)).rejects.toMatchObject({
      name: 'EciHttpError',
      status: 403,
      error: 'invalid_code',
    })
    // auth-type-code-revoke-replayed: the tokens of the replayed code are revoked (RFC 6749 §4.1.2).
    await expect(consumer.session(grant).basic(ACCOUNTS[0])).rejects.toMatchObject({ name: 'EciHttpError' })
    expect(world.rs.calls.at(-1)).toMatchObject({ status: 401, error: 'invalid_token' })
  })
})
