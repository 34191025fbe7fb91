// Grants encrypted at rest over memory, a real PostgreSQL and a real Redis: the shipped
// conformance suite passes through the wrapper, the raw rows hold no token, keys rotate without
// a migration, and an unknown key or an altered record is a typed error, never a silent "no grant".
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EciConfigError,
  ErrorCode,
  encryptedGrantStore,
  type GrantEncryptionKey,
  type GrantStore,
  memoryGrantStore,
} from '../../src/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { redisGrantStore } from '../../src/stores/redis.js'
import { postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { redisClient, startRedisServer } from '../support/redis-server.js'
import { describeGrantStore, grantNumber, newKey, rejection } from './conformance.js'

const key = (id: string): GrantEncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) })
const K1 = key('grants-2025')
const K2 = key('grants-2026')

describeGrantStore('encryptedGrantStore over memory', async () => ({
  store: encryptedGrantStore(memoryGrantStore(), { keys: [K1] }),
  close: async () => {},
}))

let pgServer: Awaited<ReturnType<typeof startPostgresServer>>
let pool: pg.Pool
let redisServer: Awaited<ReturnType<typeof startRedisServer>>
let redis: ReturnType<typeof redisClient>
beforeAll(async () => {
  ;[pgServer, redisServer] = await Promise.all([startPostgresServer(), startRedisServer()])
  pool = postgresPool(pgServer)
  redis = redisClient(redisServer)
  await postgresGrantStore({ pool }).migrate()
}, 90_000)
afterAll(async () => {
  redis?.disconnect()
  await pool?.end()
  await Promise.all([pgServer?.close(), redisServer?.close()])
})

describeGrantStore(
  'encryptedGrantStore over PostgreSQL',
  async () => ({
    store: encryptedGrantStore(postgresGrantStore({ pool, timeout: 3000 }), { keys: [K2, K1] }),
    corrupt: async (k) => {
      await pool.query(
        `INSERT INTO ecis_grants (key, grant_json, version, status) VALUES ($1, '{"x": 1}', 1, 'active')`,
        [k],
      )
    },
    close: async () => {},
  }),
  { corrupt: true },
)

describeGrantStore(
  'encryptedGrantStore over Redis',
  async () => ({
    store: encryptedGrantStore(redisGrantStore({ redis, timeout: 3000 }), { keys: [K2, K1] }),
    corrupt: async (k) => {
      await redis.hset(`ecis:grant:${k}`, 'grant', '{not json', 'version', '1', 'status', 'active')
    },
    close: async () => {},
  }),
  { corrupt: true },
)

/** The raw data of one grant, as an operator (or a thief with a backup) would read it. */
const raw = {
  postgres: async (k: string) =>
    JSON.stringify((await pool.query('SELECT * FROM ecis_grants WHERE key = $1', [k])).rows),
  redis: async (k: string) => JSON.stringify(await redis.hgetall(`ecis:grant:${k}`)),
}
const backends: [keyof typeof raw, () => GrantStore][] = [
  ['postgres', () => postgresGrantStore({ pool, timeout: 3000 })],
  ['redis', () => redisGrantStore({ redis, timeout: 3000 })],
]

describe.each(backends)('encryptedGrantStore over %s: what is at rest', (backend, inner) => {
  it('the raw record holds no token, account id or scope — only the key id and ciphertext', async () => {
    const store = encryptedGrantStore(inner(), { keys: [K1] })
    const k = newKey()
    const grant = grantNumber(1, { dpopJkt: 'jkt-thumbprint' })
    expect(await store.put(k, grant, { ifVersion: 0 })).toBe(1)
    const text = await raw[backend](k)
    for (const secret of [grant.accessToken, grant.refreshToken as string, '0018-102', 'eci:basic', 'jkt-thumbprint']) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain('A256GCMv1')
    expect(await store.get(k)).toEqual({ grant, version: 1, status: 'active' })
    // Version and status stay the store's own, in the clear: needs-consent and CAS work through it.
    expect(await store.markNeedsConsent(k, ErrorCode.INVALID_GRANT, { ifVersion: 1 })).toBe(2)
    expect(await raw[backend](k)).toContain('needs_consent')
    expect((await store.get(k))?.reason).toBe(ErrorCode.INVALID_GRANT)
  })

  it('rotates keys without a migration: old records open, the next write seals with the first key', async () => {
    const k = newKey()
    const before = encryptedGrantStore(inner(), { keys: [K1] })
    await before.put(k, grantNumber(1))
    const rotated = encryptedGrantStore(inner(), { keys: [K2, K1] })
    expect((await rotated.get(k))?.version).toBe(1)
    const sealedBy = async () => /A256GCMv1\.([\w-]+)\./.exec(await raw[backend](k))?.[1]
    expect(atob(String(await sealedBy()))).toBe('grants-2025')
    const next = grantNumber(2)
    await rotated.put(k, next, { ifVersion: 1 })
    expect(atob(String(await sealedBy()))).toBe('grants-2026')
    expect((await encryptedGrantStore(inner(), { keys: [K2] }).get(k))?.grant).toEqual(next)
    // A store that lost the new key says which key it needs, without a key byte in the error.
    const error = await rejection(before.get(k))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.GRANT_DECRYPTION)
    expect(error.message).toContain('"grants-2026"')
    expect(JSON.stringify(error)).not.toContain(next.accessToken)
  })

  it('an altered record, or one copied under another grant key, is ERR_ECI_GRANT_DECRYPTION', async () => {
    const store = encryptedGrantStore(inner(), { keys: [K1] })
    const plain = inner()
    const k = newKey()
    await store.put(k, grantNumber(1))
    const sealed = (await plain.get(k))?.grant as NonNullable<Awaited<ReturnType<GrantStore['get']>>>['grant']
    const record = sealed.accounts[0] as string
    const flipped = record.slice(0, -5) + (record.at(-5) === 'A' ? 'B' : 'A') + record.slice(-4)
    await plain.put(k, { ...sealed, accounts: [flipped] })
    expect((await rejection(store.get(k))).code).toBe(ErrorCode.GRANT_DECRYPTION)
    const other = newKey()
    await plain.put(other, sealed) // a valid record, moved under another customer's key
    const moved = await rejection(store.get(other))
    expect([moved.code, moved instanceof EciConfigError]).toEqual([ErrorCode.GRANT_DECRYPTION, true])
  })

  it('a plaintext grant is refused, or read and sealed at its next write with allowPlaintext', async () => {
    const k = newKey()
    const grant = grantNumber(1)
    await inner().put(k, grant)
    expect((await rejection(encryptedGrantStore(inner(), { keys: [K1] }).get(k))).code).toBe(ErrorCode.GRANT_DECRYPTION)
    const migrating = encryptedGrantStore(inner(), { keys: [K1], allowPlaintext: true })
    expect((await migrating.get(k))?.grant).toEqual(grant)
    await migrating.put(k, grant, { ifVersion: 1 })
    expect(await raw[backend](k)).not.toContain(grant.accessToken)
    expect((await migrating.get(k))?.grant).toEqual(grant)
  })
})

describe('encryptedGrantStore options', () => {
  it('takes a 256-bit AES-GCM CryptoKey', async () => {
    const aes = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const store = encryptedGrantStore(memoryGrantStore(), { keys: [{ id: 'kms-wrapped', key: aes }] })
    const k = newKey()
    await store.put(k, grantNumber(1))
    expect((await store.get(k))?.version).toBe(1)
  })

  it.each([
    ['no keys', { keys: [] }],
    ['a 16-byte key', { keys: [{ id: 'a', key: new Uint8Array(16) }] }],
    ['two keys with one id', { keys: [K1, { ...K2, id: K1.id }] }],
    ['a key without id', { keys: [{ id: '', key: new Uint8Array(32) }] }],
    ['a key that is a string', { keys: [{ id: 'a', key: 'secret-secret-secret-secret-1234' }] }],
  ])('refuses %s at once (EciConfigError)', (_label, options) => {
    expect(() => encryptedGrantStore(memoryGrantStore(), options as never)).toThrow(EciConfigError)
  })
})
