import { decodeJwt } from 'jose/jwt/decode'
import { describe, expect, it } from 'vitest'
import { EciConfigError, EciConsentError, ErrorCode } from '../../src/index.js'
import { API, ISSUER, world } from '../support/consumer.js'

const ENDPOINTS = {
  token: `${ISSUER}/token`,
  par: `${ISSUER}/par`,
  revocation: `${ISSUER}/revoke`,
}

/** Records the client assertion of every form POST, by URL, and forwards it. */
function recordAssertions(seen: { url: string; aud: unknown; jti: unknown }[]) {
  return (f: typeof fetch): typeof fetch =>
    async (input, init) => {
      const body = init?.body
      if (body instanceof URLSearchParams || typeof body === 'string') {
        const assertion = new URLSearchParams(String(body)).get('client_assertion')
        if (assertion) {
          const claims = decodeJwt(assertion)
          seen.push({ url: String(input instanceof Request ? input.url : input), aud: claims.aud, jti: claims.jti })
        }
      }
      return f(input, init)
    }
}

async function journey(assertionAudience?: 'issuer' | 'endpoint' | 'token_endpoint') {
  const seen: { url: string; aud: unknown; jti: unknown }[] = []
  const w = await world({}, {}, recordAssertions(seen))
  const { consumer, authorize, keys, mock } = w
  const configured = assertionAudience
    ? await (await import('../../src/index.js')).EciConsumer.discover({
        issuer: ISSUER,
        clientId: 'acme-solar',
        clientAuth: { method: 'private_key_jwt', key: keys.privateJwk, assertionAudience },
        redirectUri: 'https://acme.example/eci/callback',
        fetch: recordAssertions(seen)(w.fetch),
      })
    : consumer
  const { url, transaction } = await configured.beginConsent({ scopes: ['basic'] })
  const grant = await configured.completeConsent(await authorize(url), transaction)
  const session = configured.session(grant)
  await session.revoke()
  expect(mock.calls.filter((c) => c.status >= 400)).toEqual([])
  const endpoints = seen.map((s) => s.url)
  const paths = Object.values(ENDPOINTS).filter((e) => endpoints.some((u) => u.startsWith(e)))
  return { seen, paths }
}

describe('client assertion audience (clientAuth.assertionAudience)', () => {
  it('is the issuer for every endpoint by default (ECIS profile)', async () => {
    const { seen } = await journey()
    expect(seen.length).toBeGreaterThanOrEqual(3)
    for (const s of seen) expect(s.aud).toBe(ISSUER)
  })

  it("'endpoint' addresses each assertion to the URL it is posted to: PAR, token and revocation", async () => {
    const { seen } = await journey('endpoint')
    const kinds = new Set<string>()
    for (const s of seen) {
      const endpoint = Object.entries(ENDPOINTS).find(([, url]) => s.url.startsWith(url))
      expect(endpoint, s.url).toBeDefined()
      expect(s.aud).toBe(endpoint?.[1])
      kinds.add(endpoint?.[0] as string)
    }
    expect([...kinds].sort()).toEqual(['par', 'revocation', 'token'])
  })

  it("'token_endpoint' addresses every assertion to the token endpoint", async () => {
    const { seen } = await journey('token_endpoint')
    for (const s of seen) expect(s.aud).toBe(ENDPOINTS.token)
  })

  it('refuses an unknown assertion audience with EciConfigError', async () => {
    const { keys, fetch } = await world()
    const { EciConsumer } = await import('../../src/index.js')
    const error = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'acme-solar',
      // @ts-expect-error: not an AssertionAudience
      clientAuth: { method: 'private_key_jwt', key: keys.privateJwk, assertionAudience: 'resource' },
      fetch,
    }).catch((e) => e)
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.message).toContain('assertionAudience')
  })
})

describe('a retried OAuth request is a new request', () => {
  it('signs a new client assertion (new jti) for a token request retried after a 503', async () => {
    const seen: { url: string; aud: unknown; jti: unknown }[] = []
    const { consumer, authorize, mock } = await world({}, {}, recordAssertions(seen))
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    mock.fault({ endpoint: 'token', status: 503, times: 1 })
    const grant = await consumer.completeConsent(await authorize(url), transaction)
    expect(grant.accounts.length).toBeGreaterThan(0)
    const tokenPosts = seen.filter((s) => s.url.startsWith(ENDPOINTS.token))
    expect(tokenPosts).toHaveLength(2)
    expect(tokenPosts[0]?.jti).not.toBe(tokenPosts[1]?.jti)
  })
})

describe('a token response that grants no account', () => {
  it('is EciConsentError ERR_ECI_NO_ACCOUNTS, never a grant with accounts: []', async () => {
    const strip =
      (f: typeof fetch): typeof fetch =>
      async (input, init) => {
        const response = await f(input, init)
        if (!String(input instanceof Request ? input.url : input).startsWith(ENDPOINTS.token)) return response
        const body = (await response.json()) as Record<string, unknown>
        delete body.authorization_details
        delete body.system_account_ids
        return Response.json(body, { status: response.status, headers: { 'cache-control': 'no-store' } })
      }
    const { consumer, authorize } = await world({}, {}, strip)
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const error = await consumer.completeConsent(await authorize(url), transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.NO_ACCOUNTS)
    expect(API).toBeTruthy()
  })
})
