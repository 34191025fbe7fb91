// What only the PostgreSQL store has: migrate()/ddl, table names, a lease that outlives the
// pool's connections, and how it fails when the server is missing or a statement is stuck.
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConfigError, EciNetworkError, ErrorCode } from '../../src/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { type PostgresServer, postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { grantNumber, newKey, rejection, sleep } from './conformance.js'

let server: PostgresServer
let pool: pg.Pool
beforeAll(async () => {
  server = await startPostgresServer()
  pool = postgresPool(server)
}, 60_000)
afterAll(async () => {
  await pool?.end()
  await server?.close()
})

const tables = async (schema: string) =>
  (
    await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    )
  ).rows.map((r) => r.table_name)

describe('postgresGrantStore: schema', () => {
  it('migrate() creates the grants and lock tables, is idempotent and safe when many instances run it at once', async () => {
    await pool.query('CREATE SCHEMA eci')
    const stores = Array.from({ length: 6 }, () => postgresGrantStore({ pool, table: 'eci.grants' }))
    await Promise.all(stores.map((s) => s.migrate()))
    await stores[0]!.migrate()
    expect(await tables('eci')).toEqual(['grants', 'grants_locks'])
    const key = newKey()
    expect(await stores[1]!.put(key, grantNumber(1), { ifVersion: 0 })).toBe(1)
    expect((await stores[2]!.get(key))?.version).toBe(1)
  })

  it('ddl is the schema migrate() applies, for apps with their own migrations', async () => {
    const store = postgresGrantStore({ pool, table: 'own_migrations' })
    expect(store.ddl).toContain('CREATE TABLE IF NOT EXISTS "own_migrations"')
    expect(store.ddl).toContain('CREATE TABLE IF NOT EXISTS "own_migrations_locks"')
    await pool.query(store.ddl)
    expect((await tables('public')).filter((t) => t.startsWith('own_'))).toEqual([
      'own_migrations',
      'own_migrations_locks',
    ])
    await store.put(newKey(), grantNumber(1))
  })

  it('a table that was never migrated is an EciConfigError that says to run migrate()', async () => {
    const error = await rejection(postgresGrantStore({ pool, table: 'never_created' }).get(newKey()))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.message).toMatch(/migrate\(\)/)
  })

  it.each([
    ['upper case', 'Grants'],
    ['SQL', 'grants; DROP TABLE x'],
    ['quotes', 'a"b'],
    ['three parts', 'a.b.c'],
    ['empty', ''],
    ['too long', 'g'.repeat(58)],
    ['a number', 7],
  ])('table name %s is an EciConfigError', (_label, table) => {
    expect(() => postgresGrantStore({ pool, table: table as string })).toThrow(EciConfigError)
  })

  it('a missing pool or a bad timeout is an EciConfigError', () => {
    expect(() => postgresGrantStore({} as never)).toThrow(EciConfigError)
    expect(() => postgresGrantStore(undefined as never)).toThrow(EciConfigError)
    expect(() => postgresGrantStore({ pool, timeout: 0 })).toThrow(EciConfigError)
    expect(() => postgresGrantStore({ pool, timeout: 1.5 })).toThrow(EciConfigError)
  })
})

describe('postgresGrantStore: the lock is a lease row', () => {
  it('survives the pool that took it: another pool cannot take it until its ttl ends', async () => {
    const store = postgresGrantStore({ pool })
    await store.migrate()
    const key = newKey()
    const first = postgresPool(server)
    expect(await postgresGrantStore({ pool: first }).lock(key, { ttlMs: 2000 })).toBeDefined()
    await first.end() // every connection of the owner is gone (a session advisory lock would be too)
    expect(await store.lock(key, { ttlMs: 1000, waitMs: 0 })).toBeUndefined()
    const next = await store.lock(key, { ttlMs: 1000, waitMs: 10_000 })
    expect(next).toBeDefined()
    expect(await next?.release()).toBe(true)
  })
})

describe('postgresGrantStore: failures', () => {
  it('a statement stuck behind another transaction ends at the store timeout; it may still land after', async () => {
    const store = postgresGrantStore({ pool, timeout: 300 })
    await store.migrate()
    const key = newKey()
    await store.put(key, grantNumber(1), { ifVersion: 0 })
    const holder = await pool.connect()
    try {
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM ecis_grants WHERE key = $1 FOR UPDATE', [key])
      const late = grantNumber(2)
      const error = await rejection(store.put(key, late, { ifVersion: 1 }))
      expect(error).toBeInstanceOf(EciNetworkError)
      expect(error.code).toBe(ErrorCode.STORE_UNAVAILABLE)
      expect(error.message).toMatch(/did not answer within 300 ms/)
      await holder.query('ROLLBACK')
      // The outcome of a timed-out put is unknown to its caller: it reads again to find out.
      let stored = await store.get(key)
      for (let i = 0; i < 500 && stored?.version === 1; i++) {
        await sleep(20)
        stored = await store.get(key)
      }
      expect(stored).toEqual({ grant: late, version: 2, status: 'active' })
    } finally {
      holder.release()
    }
  })
})
