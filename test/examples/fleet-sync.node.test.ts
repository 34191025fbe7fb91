/**
 * examples/fleet-sync: the one command (`node examples/fleet-sync/demo.ts`) against a real Redis
 * and PostgreSQL started here, with the grants in PostgreSQL and in Redis. The sink table must
 * hold every invoice of every customer who kept consent — after the second night including each
 * account's new invoice — and the withdrawn customer must be reported.
 */
import { spawn } from 'node:child_process'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMockProvider } from '../../src/mock/index.js'
import { type PostgresServer, postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { ensureBuiltPackage, ROOT } from './package-build.js'

type Demo = typeof import('../../examples/fleet-sync/demo.ts')
let demo: Demo
let redisServer: RedisServer
let pgServer: PostgresServer
let pool: pg.Pool

beforeAll(async () => {
  await ensureBuiltPackage()
  demo = await import('../../examples/fleet-sync/demo.ts')
  ;[redisServer, pgServer] = await Promise.all([startRedisServer(), startPostgresServer()])
  pool = postgresPool(pgServer)
}, 180_000)

afterAll(async () => {
  await pool?.end()
  await redisServer?.close()
  await pgServer?.close()
})

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['examples/fleet-sync/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: pgServer.connectionString, REDIS_URL: redisServer.url, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout }))
  })
}

/** The invoices the demo's utilities hold after one billed month, as `provider/account/invoice`. */
function expected(token: string, customers: number): string[] {
  const counts = demo.demoCounts(customers)
  return demo.DEMO_UTILITIES.flatMap((spec, i) => {
    const mock = createMockProvider({
      issuer: 'https://x.example',
      clients: [],
      seed: demo.demoSeed(spec, token),
      owners: demo.demoOwners(spec.id, counts[i]!),
    })
    mock.issueInvoices()
    return mock.fixtures
      .accounts()
      .filter((a) => a.ownerId !== demo.WITHDRAWN)
      .flatMap((a) => a.basic.system_invoice_ids.map((id) => `${spec.id}/${a.systemAccountId}/${id}`))
  })
}

describe('examples/fleet-sync/demo.ts', () => {
  for (const store of ['postgres', 'redis']) {
    it(`syncs two nights with the grants in ${store}: every invoice once, only the new ones the second night`, async () => {
      const { code, stdout } = await run({ GRANT_STORE: store, CUSTOMERS: '20', WORKERS: '2' })
      expect(code, stdout).toBe(0)
      const lines = stdout.trim().split('\n')
      expect(lines).toContainEqual(expect.stringMatching(/^20 customers consented at 2 utilities/))
      const result = JSON.parse(lines.at(-1)!)
      const [first, second] = result.nights
      expect(first.summary).toMatchObject({ scheduled: 20, done: 19, needsConsent: 1, failed: 0 })
      expect(first.needsConsent).toEqual([`${result.token}/utility-b/${demo.WITHDRAWN}`])
      const want = expected(result.token, 20)
      const { rows } = await pool.query(
        "SELECT provider || '/' || account || '/' || invoice_id AS id FROM eci_invoices",
      )
      const accounts = new Set(want.map((w) => w.split('/').slice(0, 2).join('/')))
      const mine = rows.map((r) => r.id as string).filter((id) => accounts.has(id.split('/').slice(0, 2).join('/')))
      expect(mine.sort()).toEqual([...want].sort())
      // The second night: one new invoice per account of the customers who kept consent.
      expect(second.summary.invoices).toBe(accounts.size)
      expect(first.summary.invoices + second.summary.invoices).toBe(want.length)
    }, 120_000)
  }
})
