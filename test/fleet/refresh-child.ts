/**
 * One instance of the fleet as its own process, for the refresh fault tests that pause a process
 * (SIGSTOP): its own EciConsumer and store client (through the fault proxy's port), `CALLS`
 * concurrent Basic calls on "go", then one JSON line with how each call ended. Bundled by
 * refresh-cases.ts with esbuild, so it runs the sources under test.
 */
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import pg from 'pg'
import { EciConsumer, EciError, type GrantStore } from '../../src/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { redisGrantStore } from '../../src/stores/redis.js'

const env = process.env as Record<string, string>
const port = Number(env.STORE_PORT)
let store: GrantStore
let close: () => Promise<unknown>
if (env.STORE === 'postgres') {
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    max: 4,
    connectionTimeoutMillis: 1000,
  })
  pool.on('error', () => {})
  store = postgresGrantStore({ pool, timeout: Number(env.STORE_TIMEOUT_MS) })
  close = () => pool.end()
} else {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: (t) => Math.min(t * 50, 300) })
  redis.on('error', () => {})
  store = redisGrantStore({ redis, timeout: Number(env.STORE_TIMEOUT_MS) })
  close = async () => redis.disconnect()
}
const consumer = await EciConsumer.discover({
  issuer: env.ISSUER,
  clientId: 'acme-solar',
  clientAuth: { method: 'private_key_jwt', key: JSON.parse(env.KEY_JWK) },
  redirectUri: 'http://127.0.0.1/callback',
  allowInsecureRequests: true,
  refreshReuseWindow: Number(env.WINDOW),
  timeout: Number(env.LOCK_TTL_MS),
})
const session = await consumer.openSession(env.KEY, { store, lockTtlMs: Number(env.LOCK_TTL_MS), lockWaitMs: 8000 })
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
await lines.next()
const account = session.accounts[0] as string
const outcomes = await Promise.all(
  Array.from({ length: Number(env.CALLS) }, async () => {
    const started = performance.now()
    try {
      await session.basic(account)
      return { ok: true, ms: performance.now() - started }
    } catch (error) {
      const e = error as EciError
      return {
        ok: false,
        typed: error instanceof EciError,
        code: e.code,
        message: e.message,
        ms: performance.now() - started,
      }
    }
  }),
)
process.stdout.write(`${JSON.stringify({ outcomes })}\n`)
await close()
process.exit(0)
