// One sync worker of the fleet, as its own Node process on the BUILT package: ecis-consumer/sync
// on the shared Redis, grants in the shared PostgreSQL store, invoices into a PostgreSQL sink
// table. Prints {"ready":true} once its BullMQ workers run; SIGTERM closes it gracefully.
import { Redis } from 'ioredis'
import pg from 'pg'
import { postgresGrantStore } from '../../dist/postgres/index.js'
import { createEciSync } from '../../dist/sync/index.js'

const env = process.env
const pool = new pg.Pool({ connectionString: env.PG_URL, max: 10 })
pool.on('error', () => {})
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null })
redis.on('error', () => {})

/** The sink: one row per (provider, account, invoice), `writes` counts how often it was stored. */
const sink = {
  async lastInvoice({ provider, systemAccountId }) {
    const { rows } = await pool.query(
      'SELECT invoice_id FROM sync_invoices WHERE provider = $1 AND account = $2 ORDER BY position DESC LIMIT 1',
      [provider, systemAccountId],
    )
    return rows[0]?.invoice_id
  },
  async upsertInvoice({ provider, key, systemAccountId, systemInvoiceId, position, invoice }) {
    await pool.query(
      `INSERT INTO sync_invoices (provider, grant_key, account, invoice_id, position, detail)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider, account, invoice_id)
       DO UPDATE SET detail = EXCLUDED.detail, writes = sync_invoices.writes + 1`,
      [provider, key, systemAccountId, systemInvoiceId, position, invoice],
    )
  },
}

const sync = createEciSync({
  redis,
  store: postgresGrantStore({ pool }),
  sink,
  prefix: env.PREFIX,
  backoff: { baseMs: 200, maxMs: 2000 },
  providers: Object.fromEntries(
    JSON.parse(env.UTILITIES).map((u) => [
      u.id,
      {
        consumer: {
          issuer: u.issuer,
          clientId: 'acme-solar',
          clientAuth: { method: 'private_key_jwt', key: u.privateJwk },
          redirectUri: 'http://127.0.0.1/eci/callback',
          allowInsecureRequests: true,
          // Under the refresh lock's lifetime (work() below), so a refresh never outlives its lock.
          timeout: 5_000,
          ...(u.refreshReuseWindow ? { refreshReuseWindow: u.refreshReuseWindow } : {}),
        },
        rateLimit: u.rateLimit,
        concurrency: 4,
        invoiceConcurrency: 2,
      },
    ]),
  ),
  onNeedsConsent: async (key, error, { provider, run }) => {
    await pool.query('INSERT INTO needs_consent_log (provider, grant_key, code, run) VALUES ($1, $2, $3, $4)', [
      provider,
      key,
      error.code,
      run,
    ])
  },
})
const worker = await sync.work({ lockDurationMs: 5000, stalledIntervalMs: 2000, lockTtlMs: 8000, lockWaitMs: 10_000 })
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`)

process.once('SIGTERM', async () => {
  await worker.close()
  await sync.close()
  await pool.end()
  redis.disconnect()
  process.exit(0)
})
