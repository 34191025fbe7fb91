/** Store-backed Green Button sessions (memory store here; PostgreSQL across processes in fleet.node.test.ts). */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { EciConsentError, EciHttpError, ErrorCode, greenButtonConsumer } from '../../../src/green-button/index.js'
import { memoryGrantStore } from '../../../src/index.js'
import { makeKeys } from '../../support/eci-endpoint.js'
import { gbWorld, REDIRECT, SCOPE } from './world.js'

async function stored() {
  const w = await gbWorld()
  const store = memoryGrantStore()
  const { url, transaction } = await w.gb.beginConsent({ scope: SCOPE })
  const grant = await w.gb.completeConsent(await w.authorize(url), transaction, { store, key: 'c-1' })
  return { ...w, store, grant }
}

describe('gb.openSession', () => {
  it('shares one refresh among instances and saves the rotated grant in the store', async () => {
    const { store, grant, make, count } = await stored()
    const now = Math.floor(Date.now() / 1000)
    await store.put('c-1', { ...grant, expiresAt: now - 1, issuedAt: now - 3601 })
    const sessions = await Promise.all([make(), make(), make()].map((gb) => gb.openSession('c-1', { store })))
    await Promise.all(sessions.flatMap((s) => [s.feed(), s.feed()]))
    expect(count('token')).toBe(2) // the code exchange, one refresh
    const after = await store.get('c-1')
    expect(after?.grant.refreshToken).not.toBe(grant.refreshToken)
    expect(after?.grant).toMatchObject({ resourceUri: grant.resourceUri, authorizationUri: grant.authorizationUri })
  })

  it('a needs-consent grant is refused without a token request', async () => {
    const { store, gb, count } = await stored()
    await store.markNeedsConsent('c-1', ErrorCode.GRANT_REVOKED)
    const before = count('token')
    await expect(gb.openSession('c-1', { store })).rejects.toBeInstanceOf(EciConsentError)
    expect(count('token')).toBe(before)
  })

  it('an Authorization reported revoked ends the stored grant as needs_consent', async () => {
    const { store, gb, custodian } = await stored()
    const session = await gb.openSession('c-1', { store })
    custodian.revokeAuthorization('1', { keepTokens: true })
    const error = await session.authorization().catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.GRANT_REVOKED)
    expect(await store.get('c-1')).toMatchObject({ status: 'needs_consent', reason: ErrorCode.GRANT_REVOKED })
  })

  it('revoke() revokes at the Data Custodian and marks the stored grant', async () => {
    const { store, gb, count } = await stored()
    const session = await gb.openSession('c-1', { store })
    await session.revoke()
    expect(count('revocation')).toBeGreaterThan(0)
    expect((await store.get('c-1'))?.status).toBe('needs_consent')
  })

  it('refuses a grant of another Data Custodian or client', async () => {
    const { grant, custodian, fetch } = await stored()
    const other = greenButtonConsumer({
      ...custodian.endpoints,
      clientId: 'someone-else',
      clientAuth: { method: 'none' },
      fetch,
    })
    expect(() => other.session(grant)).toThrow(/another Data Custodian or client/)
  })
})

describe('private_key_jwt at a Data Custodian', () => {
  it('sends a client assertion addressed to the token endpoint, signed anew per attempt', async () => {
    const w = await gbWorld()
    const { privateJwk } = await makeKeys('ES256')
    const bodies: URLSearchParams[] = []
    const gb = greenButtonConsumer({
      ...w.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: privateJwk },
      redirectUri: REDIRECT,
      retry: { limit: 1, backoffLimit: 10 },
      fetch: async (input, init) => {
        if (String(input).endsWith('/oauth/token')) bodies.push(new URLSearchParams(String(init?.body)))
        return w.fetch(input, init)
      },
    })
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    w.custodian.fault({ endpoint: 'token', status: 503 })
    // The mock knows client_secret_basic only: the assertion is refused, typed.
    const error = await gb.completeConsent(await w.authorize(url), transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.error).toBe('invalid_client')
    expect(bodies).toHaveLength(2)
    const [first, second] = bodies.map((b) => decodeJwt(b.get('client_assertion') as string))
    expect(first?.aud).toBe(w.custodian.endpoints.tokenEndpoint)
    expect(first?.jti).not.toBe(second?.jti)
  })
})
