// What only the Redis store has: the key layout and prefix, EVALSHA falling back to EVAL, keys of
// another type, and how it fails when Redis is missing or hangs.
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConfigError, EciNetworkError, ErrorCode } from '../../src/index.js'
import { redisGrantStore } from '../../src/stores/redis.js'
import { type RedisServer, redisClient, startRedisServer } from '../support/redis-server.js'
import { grantNumber, newKey, rejection } from './conformance.js'

let server: RedisServer
let redis: Redis
beforeAll(async () => {
  server = await startRedisServer()
  redis = redisClient(server)
}, 60_000)
afterAll(async () => {
  redis?.disconnect()
  await server?.close()
})

describe('redisGrantStore: layout', () => {
  it('keeps a grant in the hash <prefix>grant:<key> and the lock in <prefix>lock:<key> with a ttl', async () => {
    const store = redisGrantStore({ redis })
    const key = newKey()
    const grant = grantNumber(1)
    await store.put(key, grant)
    await store.markNeedsConsent(key, ErrorCode.INVALID_GRANT)
    const hash = await redis.hgetall(`ecis:grant:${key}`)
    expect(JSON.parse(hash.grant as string)).toEqual(grant)
    expect(hash).toMatchObject({ version: '2', status: 'needs_consent', reason: 'ERR_ECI_INVALID_GRANT' })
    const lock = await store.lock(key, { ttlMs: 20_000 })
    const ttl = await redis.pttl(`ecis:lock:${key}`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(20_000)
    await lock?.release()
    expect(await redis.exists(`ecis:lock:${key}`)).toBe(0)
  })

  it('stores with different prefixes do not see each other', async () => {
    const a = redisGrantStore({ redis, prefix: 'tenant-a:' })
    const b = redisGrantStore({ redis, prefix: 'tenant-b:' })
    const key = newKey()
    await a.put(key, grantNumber(1))
    expect(await b.get(key)).toBeUndefined()
    const lock = await a.lock(key, { ttlMs: 10_000 })
    expect(await b.lock(key, { ttlMs: 10_000 })).toBeDefined()
    await lock?.release()
  })

  it('runs its scripts again after the server forgot them (SCRIPT FLUSH, a restart)', async () => {
    const store = redisGrantStore({ redis })
    const key = newKey()
    await store.put(key, grantNumber(1))
    await redis.script('FLUSH')
    expect(await store.put(key, grantNumber(2), { ifVersion: 1 })).toBe(2)
  })

  it('a key of another type under the prefix is an ERR_ECI_INTERNAL EciError', async () => {
    const store = redisGrantStore({ redis })
    const key = newKey()
    await redis.set(`ecis:grant:${key}`, 'not a hash')
    expect((await rejection(store.get(key))).code).toBe(ErrorCode.INTERNAL)
    expect((await rejection(store.put(key, grantNumber(1)))).code).toBe(ErrorCode.INTERNAL)
  })

  it('a missing client, a bad prefix or timeout is an EciConfigError', () => {
    expect(() => redisGrantStore({} as never)).toThrow(EciConfigError)
    expect(() => redisGrantStore({ redis, prefix: 'a\nb' })).toThrow(EciConfigError)
    expect(() => redisGrantStore({ redis, prefix: 'p'.repeat(129) })).toThrow(EciConfigError)
    expect(() => redisGrantStore({ redis, timeout: -1 })).toThrow(EciConfigError)
  })
})

describe('redisGrantStore: failures', () => {
  it('a server that hangs (SIGSTOP): each call ends at the store timeout with ERR_ECI_STORE_UNAVAILABLE', async () => {
    const store = redisGrantStore({ redis, timeout: 300 })
    const key = newKey()
    await store.put(key, grantNumber(1))
    server.pause()
    try {
      for (const call of [store.get(key), store.lock(key, { ttlMs: 1000, waitMs: 0 }), store.delete(key)]) {
        const error = await rejection(call)
        expect(error).toBeInstanceOf(EciNetworkError)
        expect(error.code).toBe(ErrorCode.STORE_UNAVAILABLE)
        expect(error.message).toMatch(/did not answer within 300 ms/)
      }
    } finally {
      server.resume()
    }
  })
})
