/** Grants shared through a GrantStore: several consumers (instances) refresh once between them. */
import { describe, expect, it } from 'vitest'
import { EciConfigError, EciConsentError, EciConsumer, ErrorCode, memoryGrantStore } from '../../src/index.js'
import { ISSUER, REDIRECT, world } from '../support/consumer.js'

async function fleet(instances: number) {
  const w = await world()
  const store = memoryGrantStore()
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction, { store, key: 'customer-42' })
  const others = await Promise.all(
    Array.from({ length: instances - 1 }, () =>
      EciConsumer.discover({
        issuer: ISSUER,
        clientId: 'acme-solar',
        clientAuth: { method: 'private_key_jwt', key: w.keys.privateJwk },
        redirectUri: REDIRECT,
        fetch: w.fetch,
      }),
    ),
  )
  return { ...w, store, grant, consumers: [w.consumer, ...others] }
}

const tokens = (calls: { endpoint: string }[]) => calls.filter((c) => c.endpoint === 'token').length

describe('consumer.openSession on a shared store', () => {
  it('completeConsent saves the first grant into the store', async () => {
    const { store, grant } = await fleet(1)
    const stored = await store.get('customer-42')
    expect(stored?.grant).toEqual(grant)
    expect(stored?.status).toBe('active')
  })

  it('refreshes an expired grant exactly once for 4 instances × 25 concurrent calls', async () => {
    const { store, grant, consumers, mock } = await fleet(4)
    const now = Math.floor(Date.now() / 1000)
    const stored = await store.get('customer-42')
    await store.put(
      'customer-42',
      { ...grant, expiresAt: now - 5, issuedAt: now - 3605 },
      { ifVersion: stored?.version },
    )
    mock.clearCalls()
    const sessions = await Promise.all(consumers.map((c) => c.openSession('customer-42', { store })))
    const account = grant.accounts[0]!
    const results = await Promise.all(sessions.flatMap((s) => Array.from({ length: 25 }, () => s.basic(account))))
    expect(results).toHaveLength(100)
    expect(tokens(mock.calls)).toBe(1)
    const after = await store.get('customer-42')
    expect(after?.grant.refreshToken).not.toBe(grant.refreshToken)
    expect(after?.grant.refreshingSince).toBeUndefined()
    for (const s of sessions) expect(s.grant.accessToken).toBe(after?.grant.accessToken)
  })

  it('a lockTtlMs shorter than a token request may last is refused at openSession: a refresh never outlives its lock', async () => {
    const { store, consumers } = await fleet(1)
    const error = await consumers[0]!.openSession('customer-42', { store, lockTtlMs: 10_000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciConfigError)
    expect((error as EciConfigError).code).toBe(ErrorCode.INVALID_OPTION)
    expect((error as Error).message).toMatch(/lockTtlMs.*timeout/)
  })

  it('a needs_consent grant rejects at openSession without a token request', async () => {
    const { store, consumers, mock } = await fleet(1)
    await store.markNeedsConsent('customer-42', ErrorCode.INVALID_GRANT)
    mock.clearCalls()
    const error = await consumers[0]!.openSession('customer-42', { store }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(tokens(mock.calls)).toBe(0)
  })

  it('a refused refresh marks the grant needs_consent so other instances stop trying', async () => {
    const { store, grant, consumers, mock } = await fleet(2)
    const now = Math.floor(Date.now() / 1000)
    await store.put('customer-42', { ...grant, expiresAt: now - 5 })
    const [a, b] = await Promise.all(consumers.map((c) => c.openSession('customer-42', { store })))
    // Rotate the grant behind the store's back: the stored refresh token is now dead.
    await consumers[0]!.session({ ...grant, expiresAt: now - 5 }).basic(grant.accounts[0]!)
    mock.clearCalls()
    const first = await a!.basic(grant.accounts[0]!).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(EciConsentError)
    expect((await store.get('customer-42'))?.status).toBe('needs_consent')
    const second = await b!.basic(grant.accounts[0]!).catch((e: unknown) => e)
    expect(second).toBeInstanceOf(EciConsentError)
    expect(tokens(mock.calls)).toBe(1)
  })

  it('a refresh cut off in flight (no reuse window) marks needs_consent with ERR_ECI_REFRESH_OUTCOME_UNKNOWN', async () => {
    const { store, grant, consumers } = await fleet(1)
    const now = Math.floor(Date.now() / 1000)
    // What a process killed mid-refresh leaves behind: the in-flight mark, and no lock.
    await store.put('customer-42', { ...grant, expiresAt: now - 5, refreshingSince: now - 2 })
    const session = await consumers[0]!.openSession('customer-42', { store })
    const error = (await session.basic(grant.accounts[0]!).catch((e: unknown) => e)) as EciConsentError
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.REFRESH_OUTCOME_UNKNOWN)
    const stored = await store.get('customer-42')
    expect(stored?.status).toBe('needs_consent')
    expect(stored?.reason).toBe(ErrorCode.REFRESH_OUTCOME_UNKNOWN)
  })
})
