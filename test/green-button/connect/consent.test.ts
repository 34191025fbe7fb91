/** Connect My Data consent and sessions against the mock Data Custodian, through the public API. */
import { describe, expect, it } from 'vitest'
import {
  applicationInformationFromXml,
  EciConsentError,
  EciHttpError,
  EciValidationError,
  ErrorCode,
  espiBills,
  greenButtonConsumer,
  parseScopeSelection,
} from '../../../src/green-button/index.js'
import { memoryGrantStore } from '../../../src/index.js'
import { gbWorld, REDIRECT, SCOPE, SECRET } from './world.js'

describe('greenButtonConsumer consent', () => {
  it('builds an authorization URL with the scope, state and a PKCE S256 challenge', async () => {
    const { gb } = await gbWorld()
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const q = new URL(url).searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe('acme-solar')
    expect(q.get('scope')).toBe(SCOPE)
    expect(q.get('state')).toBe(transaction.state)
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(JSON.parse(JSON.stringify(transaction))).toEqual(transaction)
  })

  it('completes consent into a grant that keeps resourceUri, authorizationUri and the scope', async () => {
    const { consent, custodian } = await gbWorld()
    const grant = await consent()
    expect(grant.resourceUri).toBe(`${custodian.endpoints.resourceEndpoint}/Batch/Subscription/1`)
    expect(grant.authorizationUri).toBe(`${custodian.endpoints.resourceEndpoint}/Authorization/1`)
    expect(grant.scope).toBe(SCOPE)
    expect(grant.scopes).toEqual([SCOPE])
    expect(grant.refreshToken).toBeTypeOf('string')
    expect(grant.accounts).toEqual(['1'])
    expect(JSON.parse(JSON.stringify(grant))).toEqual(grant)
    const token = custodian.calls.find((c) => c.endpoint === 'token')
    expect(token).toMatchObject({ client: 'acme-solar', grantType: 'authorization_code', status: 200 })
  })

  it('saves the first grant in a store under the key', async () => {
    const { gb, authorize } = await gbWorld()
    const store = memoryGrantStore()
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const grant = await gb.completeConsent(await authorize(url), transaction, { store, key: 'customer-7' })
    expect((await store.get('customer-7'))?.grant).toEqual(grant)
  })

  it('refuses a callback whose state does not match, without a token request', async () => {
    const { gb, authorize, count } = await gbWorld()
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const back = new URL(await authorize(url))
    back.searchParams.set('state', 'x'.repeat(43))
    await expect(gb.completeConsent(back.href, transaction)).rejects.toMatchObject({
      code: ErrorCode.STATE_MISMATCH,
    })
    expect(count('token')).toBe(0)
  })

  it('turns access_denied into an EciConsentError', async () => {
    const { gb, authorize } = await gbWorld({ consent: 'deny' })
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const error = await gb.completeConsent(await authorize(url), transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED)
  })

  it('refuses a token response without resourceURI with a typed error that shows no secret', async () => {
    const { gb, authorize, custodian } = await gbWorld()
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const callback = await authorize(url)
    custodian.fault({ endpoint: 'token', body: 'no-resource-uri' })
    const error = await gb.completeConsent(callback, transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
    expect(error.message).toMatch(/resourceURI/)
    const code = new URL(callback).searchParams.get('code') as string
    for (const secret of [SECRET, code, transaction.codeVerifier])
      expect(JSON.stringify(error) + String(error)).not.toContain(secret)
  })

  it('refuses a resourceURI on another host: the access token would be sent there', async () => {
    const { gb, authorize, custodian } = await gbWorld()
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const callback = await authorize(url)
    custodian.fault({ endpoint: 'token', body: 'foreign-resource-uri' })
    await expect(gb.completeConsent(callback, transaction)).rejects.toMatchObject({
      code: ErrorCode.INVALID_RESPONSE,
    })
  })

  it('takes its endpoints, client id and redirect URI from an ApplicationInformation document', async () => {
    const { custodian, fetch, authorize } = await gbWorld()
    const applicationInformation = applicationInformationFromXml(custodian.applicationInformationXml('acme-solar'))
    expect(applicationInformation).toMatchObject({
      clientId: 'acme-solar',
      redirectUri: REDIRECT,
      authorizationServerTokenEndpoint: custodian.endpoints.tokenEndpoint,
      scopes: [SCOPE],
    })
    const gb = greenButtonConsumer({
      applicationInformation,
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      fetch,
    })
    const { url, transaction } = await gb.beginConsent({ scope: applicationInformation.scopes[0]! })
    expect((await gb.completeConsent(await authorize(url), transaction)).resourceUri).toMatch(/Subscription\/1$/)
    expect(() =>
      applicationInformationFromXml(
        '<ApplicationInformation xmlns="http://naesb.org/espi"><client_id>x</client_id><redirect_uri>not a url</redirect_uri></ApplicationInformation>',
      ),
    ).toThrow(EciValidationError)
  })

  it('reads the scope selection redirect', async () => {
    const { custodian, fetch } = await gbWorld()
    const answer = await fetch(`${custodian.endpoints.scopeSelection}?client_id=acme-solar`, { redirect: 'manual' })
    const location = answer.headers.get('location') as string
    expect(location.startsWith(REDIRECT)).toBe(true)
    expect(parseScopeSelection(location)).toEqual({
      scope: SCOPE,
      scopes: [SCOPE],
      dataCustodianId: 'mock-data-custodian',
    })
    expect(() => parseScopeSelection(`${REDIRECT}?DataCustodianID=x`)).toThrow(/no usable scope/)
  })
})

describe('GreenButtonSession', () => {
  it('reads the subscription feed and its bills, exact, as the generator wrote them', async () => {
    const { gb, consent } = await gbWorld()
    const session = gb.session(await consent())
    const feed = await session.feed()
    expect(feed.usagePoints).toHaveLength(2)
    const bills = []
    for await (const bill of session.bills()) bills.push(bill)
    // 4 generated months, 3 published at consent, for 2 usage points.
    expect(bills).toHaveLength(6)
    expect(bills).toEqual(espiBills(feed))
  })

  it('sends published-min and gets only what was published since', async () => {
    const { gb, consent, custodian } = await gbWorld()
    const session = gb.session(await consent())
    const all = espiBills(await session.feed())
    const last = all.at(-1)!
    const since = new Date(last.periodStart * 1000).toISOString().slice(0, 10)
    const recent = []
    for await (const bill of session.bills({ since })) recent.push(bill)
    expect(recent.length).toBeGreaterThan(0)
    expect(recent.length).toBeLessThan(all.length)
    const read = custodian.calls.filter((c) => c.endpoint === 'subscription').at(-1)
    expect(read?.query).toBe(`published-min=${encodeURIComponent(`${since}T00:00:00Z`)}`)
  })

  it('reads one usage point', async () => {
    const { gb, consent } = await gbWorld()
    const session = gb.session(await consent())
    const point = await session.usagePoint('2')
    expect(point.serviceKind).toBe('gas')
    await expect(session.usagePoint('9')).rejects.toMatchObject({ status: 404 })
  })

  it('refreshes an expired token once for concurrent calls and hands the rotated grant to onGrant', async () => {
    const { gb, consent, count } = await gbWorld()
    const grant = await consent()
    const saved: unknown[] = []
    const now = Math.floor(Date.now() / 1000)
    const session = gb.session(
      { ...grant, expiresAt: now - 1, issuedAt: now - 3601 },
      { onGrant: (g) => void saved.push(g) },
    )
    await Promise.all([session.feed(), session.feed(), session.authorization()])
    expect(count('token')).toBe(2) // the code exchange and one refresh
    expect(saved).toHaveLength(1)
    expect(session.grant.refreshToken).not.toBe(grant.refreshToken)
    expect(session.grant.resourceUri).toBe(grant.resourceUri)
  })

  it('refreshes once when the resource server refuses the token (401) and retries the read', async () => {
    const { gb, consent, custodian, count } = await gbWorld()
    const session = gb.session(await consent())
    custodian.fault({ endpoint: 'subscription', status: 401, error: 'invalid_token' })
    await session.feed()
    expect(count('token')).toBe(2)
  })

  it('survives two 503s by the one retry policy', async () => {
    const { gb, consent, custodian, count } = await gbWorld()
    const session = gb.session(await consent())
    custodian.fault({ endpoint: 'subscription', status: 503, times: 2 })
    await session.feed()
    expect(count('subscription')).toBe(3)
  })

  it("calls the consumer's onRequest, onResponse and onRetry hooks for each attempt of a read", async () => {
    const seen: string[] = []
    const retried: unknown[] = []
    const hooks = {
      onRequest: (s: { requestType: string; url: string; attempt: number }) =>
        seen.push(`request ${s.requestType} ${s.attempt} ${s.url}`),
      onResponse: (s: { requestType: string; attempt: number; status: number; durationMs: number }) =>
        seen.push(`response ${s.requestType} ${s.attempt} ${s.status} ${s.durationMs >= 0}`),
      onRetry: (s: { requestType: string; attempt: number; delayMs: number; error: unknown }) => retried.push(s),
    }
    const { gb, consent, custodian } = await gbWorld({}, hooks)
    const grant = await consent()
    const origin = new URL(grant.resourceUri).origin
    custodian.fault({ endpoint: 'subscription', status: 503 })
    await gb.session(grant).feed()
    expect(seen).toEqual([
      `request green_button.subscription 1 ${origin}`,
      'response green_button.subscription 1 503 true',
      `request green_button.subscription 2 ${origin}`,
      'response green_button.subscription 2 200 true',
    ])
    expect(retried).toEqual([
      expect.objectContaining({
        requestType: 'green_button.subscription',
        attempt: 1,
        error: expect.any(EciHttpError),
      }),
    ])
    // The whole URL, which names the subscription, only with accountIds.
    seen.length = 0
    const { gb: open, consent: consentOpen } = await gbWorld({}, { ...hooks, telemetry: { accountIds: true } })
    const openGrant = await consentOpen()
    await open.session(openGrant).authorization()
    expect(seen[0]).toBe(`request green_button.authorization 1 ${openGrant.authorizationUri}`)
  })

  it('reports the authorization and turns a revoked one into an EciConsentError', async () => {
    const { gb, consent, custodian } = await gbWorld()
    const session = gb.session(await consent())
    expect(await session.authorization()).toMatchObject({ status: 'active', scope: SCOPE, statusCode: 1 })
    custodian.revokeAuthorization('1')
    // The access token stops working, the refresh token too: consent again.
    const error = await session.feed().catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
  })

  it('revokes at the revocation endpoint, and the session ends', async () => {
    const { gb, consent, count } = await gbWorld()
    const session = gb.session(await consent())
    await session.revoke()
    expect(count('revocation')).toBeGreaterThanOrEqual(1)
    await expect(session.feed()).rejects.toMatchObject({ code: ErrorCode.GRANT_REVOKED })
  })
})
