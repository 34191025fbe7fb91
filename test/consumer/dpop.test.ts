import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { EciConsumer, ErrorCode } from '../../src/index.js'
import { ISSUER, world } from '../support/consumer.js'

async function consented(provider = {}, consumerOptions = {}) {
  const w = await world(provider, consumerOptions)
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  return { ...w, grant }
}

describe('DPoP (RFC 9449)', () => {
  it('binds tokens to an in-memory key and proves possession on ECI calls', async () => {
    const { consumer, grant, mock } = await consented({}, { dpop: true })
    expect(grant.tokenType).toBe('DPoP')
    expect(grant.dpopJkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(mock.grants()[0].dpopJkt).toBe(grant.dpopJkt)
    const session = consumer.session(grant)
    expect((await session.basic(grant.accounts[0])).system_account_id).toBe(grant.accounts[0])
  })

  it("sets each proof's iat a second back, so a server whose clock trails by a moment does not see it in the future", async () => {
    const iats: [number, number][] = []
    const recording =
      (f: typeof fetch): typeof fetch =>
      async (input, init) => {
        const proof = new Headers(init?.headers).get('dpop')
        if (proof) iats.push([decodeJwt(proof).iat as number, Math.floor(Date.now() / 1000)])
        return f(input, init)
      }
    const w = await world({}, { dpop: true }, recording)
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    await w.consumer.session(grant).basic(grant.accounts[0])
    expect(iats.length).toBeGreaterThanOrEqual(2)
    // A second back (two when the clock ticked between signing and sending), never the current second.
    for (const [iat, sent] of iats) expect([1, 2]).toContain(sent - iat)
  })

  it('retries with the provider nonce when it demands one (use_dpop_nonce)', async () => {
    const { consumer, grant, mock } = await consented({ dpopNonce: true }, { dpop: true })
    const session = consumer.session({ ...grant, issuedAt: 0, expiresAt: 1 })
    expect((await session.basic(grant.accounts[0])).system_account_id).toBe(grant.accounts[0])
    expect(mock.calls.filter((c) => c.endpoint === 'eci' && c.status === 200)).toHaveLength(1)
  })

  it('refuses a DPoP-bound grant on a consumer without the key', async () => {
    const { grant } = await consented({}, { dpop: true })
    const other = await world({}, {})
    expect(() => other.consumer.session(grant)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_KEY }))
  })

  it('a persisted key survives a restart: a new consumer holding that key uses the stored grant', async () => {
    const { generateKeyPair } = await import('jose/key/generate/keypair')
    const key = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair
    const first = await consented({}, { dpop: { key } })
    const stored = JSON.stringify(first.grant)
    const restarted = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: first.keys.privateJwk },
      fetch: first.fetch,
      dpop: { key },
    })
    const session = restarted.session(JSON.parse(stored))
    expect((await session.basic(first.grant.accounts[0])).system_account_id).toBe(first.grant.accounts[0])
  })
})

describe('DPoP ignored by the provider', () => {
  it('uses a Bearer grant as Bearer when the provider does not bind the token', async () => {
    // A provider without DPoP support never sees it: strip proofs and dpop_jkt on the way to the
    // PAR and token endpoints, so it issues Bearer tokens.
    const stripDpop =
      (f: typeof fetch): typeof fetch =>
      async (input, init) => {
        if (!/\/(par|token)$/.test(String(input))) return f(input, init)
        const headers = new Headers(init?.headers)
        headers.delete('dpop')
        const body = new URLSearchParams(String(init?.body ?? ''))
        body.delete('dpop_jkt')
        return f(input, { ...init, headers, body })
      }
    const w = await world({}, { dpop: true }, stripDpop)
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    expect(grant.tokenType).toBe('Bearer')
    expect(grant.dpopJkt).toBeUndefined()
    const basic = await w.consumer.session(grant).basic(grant.accounts[0])
    expect(basic.system_account_id).toBe(grant.accounts[0])
  })
})
