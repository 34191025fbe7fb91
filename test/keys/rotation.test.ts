// Key rotation with nothing failing: a fleet's request-signing key rotated mid-run against a
// provider that reads the producer's jwks_uri (and fetches it again on an unknown kid), and a
// DPoP key rotated while grants bound to the old key are in use.
import type { JWK } from 'jose'
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { describe, expect, it } from 'vitest'
import { EciConsumer, type EciConsumerOptions, ErrorCode, jwksHandler, memoryGrantStore } from '../../src/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { API, ISSUER, REDIRECT } from '../support/consumer.js'
import { handlerFetch } from '../support/eci-endpoint.js'

const JWKS_URI = 'https://acme.example/.well-known/jwks.json'

async function privateKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }
}

/** A provider that knows the client by its jwks_uri, served by the SDK's jwksHandler. */
async function providerWithJwksUri(keys: JWK[], provider = {}) {
  let serve = await jwksHandler(keys)
  let jwksFetches = 0
  const mock = createMockProvider({
    issuer: ISSUER,
    resource: API,
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwksUri: JWKS_URI }],
    fetch: async (input) => {
      jwksFetches++
      return serve(new Request(String(input)))
    },
    ...provider,
  })
  const kids: string[] = []
  const mockFetch = handlerFetch(mock.handlers)
  // Records the kid of every request JWT and client assertion the provider receives.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const body = init?.body
    const text = typeof body === 'string' ? body : body instanceof URLSearchParams ? String(body) : ''
    const jwt = text.startsWith('ey') ? text : new URLSearchParams(text).get('client_assertion')
    if (jwt) kids.push(decodeProtectedHeader(jwt).kid as string)
    return mockFetch(input, init)
  }
  return {
    mock,
    fetch,
    kids,
    jwksFetches: () => jwksFetches,
    publish: async (next: JWK[]) => {
      serve = await jwksHandler(next)
    },
  }
}

const instance = (fetch: typeof globalThis.fetch, options: Partial<EciConsumerOptions>) =>
  EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    redirectUri: REDIRECT,
    fetch,
    retry: { limit: 0 },
    ...options,
  } as EciConsumerOptions)

describe('signing-key rotation across a fleet', () => {
  it('publish next → sign with next instance by instance → retire current: every call succeeds', async () => {
    const current = await privateKey('key-2025')
    const next = await privateKey('key-2026')
    const p = await providerWithJwksUri([current], { accessTokenTtl: 2 })
    const store = memoryGrantStore()
    const first = await instance(p.fetch, { signingKeys: [current] })
    const { url, transaction } = await first.beginConsent({ scopes: ['basic'] })
    const location = (await p.fetch(url, { redirect: 'manual' })).headers.get('location') as string
    const grant = await first.completeConsent(location, transaction, { store, key: 'customer-1' })
    const account = grant.accounts[0] as string

    let fleet = [first, await instance(p.fetch, { signingKeys: [current] })]
    const failures: unknown[] = []
    let calls = 0
    const round = async () => {
      await Promise.all(
        fleet.map(async (consumer) => {
          try {
            const session = await consumer.openSession('customer-1', { store })
            expect((await session.basic(account)).system_account_id).toBe(account)
            calls++
          } catch (error) {
            failures.push(error)
          }
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 250)) // tokens expire: refreshes happen mid-run
    }
    const phase = async (keysA: JWK[], keysB: JWK[]) => {
      fleet = [
        await instance(p.fetch, { signingKeys: keysA as [JWK] }),
        await instance(p.fetch, { signingKeys: keysB as [JWK] }),
      ]
      for (let i = 0; i < 4; i++) await round()
    }
    await phase([current], [current])
    await p.publish([current, next]) // 1. publish next everywhere; current still signs
    await phase([current, next], [current, next])
    await phase([next, current], [current, next]) // 2. instance A signs with next, B not yet
    await phase([next, current], [next, current])
    await p.publish([next]) // 3. retire current
    await phase([next], [next])

    expect(failures).toEqual([])
    expect(calls).toBe(40)
    expect(p.mock.calls.filter((c) => c.status >= 400)).toEqual([])
    expect(p.mock.calls.filter((c) => c.endpoint === 'token').length).toBeGreaterThan(3) // refreshes happened
    expect(new Set(p.kids)).toEqual(new Set(['key-2025', 'key-2026']))
    expect(p.jwksFetches()).toBeGreaterThanOrEqual(2) // the provider fetched the JWKS again for the new kid
  }, 60_000)

  it('a key the provider never learns is refused: the jwks_uri is the source of truth', async () => {
    const current = await privateKey('key-a')
    const p = await providerWithJwksUri([current])
    const rogue = await instance(p.fetch, { signingKeys: [await privateKey('key-unpublished')] })
    const error = await rogue.beginConsent({ scopes: ['basic'] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: ErrorCode.HTTP_ERROR, error: 'invalid_client' })
  })

  it('every signing key is checked at discovery, not at the rotation', async () => {
    const p = await providerWithJwksUri([await privateKey('key-a')])
    const error = await instance(p.fetch, {
      signingKeys: [await privateKey('key-a'), { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }],
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: ErrorCode.INVALID_KEY })
  })
})

describe('DPoP-key rotation', () => {
  it('a grant bound to the old key keeps working, and moves to the new key at its next refresh', async () => {
    const signing = await privateKey('sig')
    const p = await providerWithJwksUri([signing])
    const k1 = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair
    const k2 = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair
    const jkt = async (pair: CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(pair.publicKey))
    const store = memoryGrantStore()
    const old = await instance(p.fetch, { signingKey: signing, dpop: { key: k1 } })
    const { url, transaction } = await old.beginConsent({ scopes: ['basic'] })
    const location = (await p.fetch(url, { redirect: 'manual' })).headers.get('location') as string
    const grant = await old.completeConsent(location, transaction, { store, key: 'c' })
    expect(grant.dpopJkt).toBe(await jkt(k1))
    const account = grant.accounts[0] as string

    // Phase 1 everywhere: the new key is known, the old one still binds. Phase 2 on one instance.
    const a = await instance(p.fetch, { signingKey: signing, dpop: { keys: [k2, k1] } })
    const b = await instance(p.fetch, { signingKey: signing, dpop: { keys: [k1, k2] } })
    const sessionA = await a.openSession('c', { store })
    expect((await sessionA.basic(account)).system_account_id).toBe(account) // proven with k1
    expect(sessionA.grant.dpopJkt).toBe(await jkt(k1))

    const stored = await store.get('c')
    await store.put('c', { ...stored!.grant, expiresAt: 1, issuedAt: 0 }, { ifVersion: stored!.version })
    const later = await a.openSession('c', { store }) // the stored token has expired
    expect((await later.basic(account)).system_account_id).toBe(account) // refreshed: bound to k2
    expect(later.grant.dpopJkt).toBe(await jkt(k2))
    expect((await store.get('c'))?.grant.dpopJkt).toBe(await jkt(k2))
    expect(p.mock.grants()[0]?.dpopJkt).toBe(await jkt(k2))

    const sessionB = await b.openSession('c', { store }) // still on [k1, k2]: proves with k2
    expect((await sessionB.basic(account)).system_account_id).toBe(account)
    expect(p.mock.calls.filter((c) => c.status >= 400)).toEqual([])

    // An instance that never learnt the new key says so plainly.
    const stale = await instance(p.fetch, { signingKey: signing, dpop: { key: k1 } })
    await expect(stale.openSession('c', { store })).rejects.toMatchObject({ code: ErrorCode.INVALID_KEY })
  })
})
