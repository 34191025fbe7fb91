/**
 * What the scheduler and every worker of the fleet share: the PostgreSQL pool, the Redis clients,
 * the grant store (PostgreSQL or Redis), the PostgreSQL sink and the sync itself.
 *
 * Configuration (environment):
 *   DATABASE_URL   PostgreSQL: the sink tables, the customer list and (by default) the grants
 *   REDIS_URL      Redis: BullMQ, the rate limiter (and the grants with GRANT_STORE=redis)
 *   GRANT_STORE    postgres (default) | redis
 *   ECIS_PROVIDERS JSON: [{ id, issuer, clientId, privateJwk, rateLimit: { max, duration }, concurrency? }]
 */
import type { GrantStore, SigningKeyInput } from 'ecis-consumer'
import { postgresGrantStore } from 'ecis-consumer/postgres'
import { redisGrantStore } from 'ecis-consumer/redis'
import { createEciSync, type EciSync, type SyncProviderConfig, type SyncSink } from 'ecis-consumer/sync'
import { Redis } from 'ioredis'
import pg from 'pg'

/** One utility the producer works with. */
export interface ProviderEntry {
  id: string
  issuer: string
  clientId: string
  privateJwk: SigningKeyInput
  rateLimit: { max: number; duration: number }
  concurrency?: number
  /** Only for the loopback mock provider (http). */
  allowInsecureRequests?: boolean
}

/** The sink's tables: accounts, invoices (one row per account and invoice), records that broke the schema. */
export const SINK_DDL = `
CREATE TABLE IF NOT EXISTS customers (
  grant_key text PRIMARY KEY,
  provider text NOT NULL
);
CREATE TABLE IF NOT EXISTS eci_accounts (
  provider text NOT NULL,
  account text NOT NULL,
  grant_key text NOT NULL,
  basic jsonb NOT NULL,
  PRIMARY KEY (provider, account)
);
CREATE TABLE IF NOT EXISTS eci_invoices (
  provider text NOT NULL,
  account text NOT NULL,
  invoice_id text NOT NULL,
  position integer NOT NULL,
  invoice_date date NOT NULL,
  invoice_total numeric NOT NULL,
  detail jsonb NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, account, invoice_id)
);
CREATE INDEX IF NOT EXISTS eci_invoices_newest ON eci_invoices (provider, account, position DESC);
CREATE TABLE IF NOT EXISTS eci_failed_records (
  provider text NOT NULL,
  account text NOT NULL,
  request_type text NOT NULL,
  invoice_id text,
  error_code text NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);`

/** The sink on PostgreSQL: idempotent upserts keyed by (provider, account, invoice). */
export function postgresSink(pool: pg.Pool): SyncSink {
  return {
    async lastInvoice({ provider, systemAccountId }) {
      const { rows } = await pool.query(
        'SELECT invoice_id FROM eci_invoices WHERE provider = $1 AND account = $2 ORDER BY position DESC LIMIT 1',
        [provider, systemAccountId],
      )
      return rows[0]?.invoice_id
    },
    async upsertInvoice({ provider, systemAccountId, systemInvoiceId, position, invoice }) {
      await pool.query(
        `INSERT INTO eci_invoices (provider, account, invoice_id, position, invoice_date, invoice_total, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (provider, account, invoice_id) DO UPDATE
           SET position = EXCLUDED.position, detail = EXCLUDED.detail, synced_at = now()`,
        [provider, systemAccountId, systemInvoiceId, position, invoice.invoice_date, invoice.invoice_total, invoice],
      )
    },
    async upsertAccount({ provider, key, systemAccountId, basic }) {
      await pool.query(
        `INSERT INTO eci_accounts (provider, account, grant_key, basic) VALUES ($1, $2, $3, $4)
         ON CONFLICT (provider, account) DO UPDATE SET basic = EXCLUDED.basic, grant_key = EXCLUDED.grant_key`,
        [provider, systemAccountId, key, basic],
      )
    },
    async recordFailure({ provider, systemAccountId, requestType, systemInvoiceId, error }) {
      await pool.query(
        'INSERT INTO eci_failed_records (provider, account, request_type, invoice_id, error_code) VALUES ($1, $2, $3, $4, $5)',
        [provider, systemAccountId, requestType, systemInvoiceId ?? null, error.code],
      )
    },
  }
}

/** The shared storage: the PostgreSQL pool and the grant store (PostgreSQL or Redis). */
export interface Stores {
  pool: pg.Pool
  store: GrantStore
  close(): Promise<void>
}

/** Opens the storage; `migrate` creates the tables (idempotent). */
export async function openStores(
  env: Record<string, string | undefined> = process.env,
  options: { migrate?: boolean } = {},
): Promise<Stores> {
  if (!env.DATABASE_URL || !env.REDIS_URL) throw new Error('Set DATABASE_URL and REDIS_URL')
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10, connectionTimeoutMillis: 5000 })
  pool.on('error', () => {}) // idle connections fail when the server restarts; the next query reconnects
  const grants = env.GRANT_STORE === 'redis' ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 }) : undefined
  grants?.on('error', () => {})
  const store = grants ? redisGrantStore({ redis: grants }) : postgresGrantStore({ pool })
  if (options.migrate) {
    if (!grants) await postgresGrantStore({ pool }).migrate()
    await pool.query(SINK_DDL)
  }
  return {
    pool,
    store,
    async close() {
      await pool.end()
      grants?.disconnect()
    },
  }
}

/** An open fleet member (scheduler or worker): the storage and the sync. */
export interface Fleet extends Stores {
  sync: EciSync
}

/** Opens the storage and the sync over the providers of `ECIS_PROVIDERS`. */
export async function openFleet(
  env: Record<string, string | undefined> = process.env,
  options: { migrate?: boolean; onNeedsConsent?: (key: string, code: string) => void } = {},
): Promise<Fleet> {
  const stores = await openStores(env, options)
  const queues = new Redis(env.REDIS_URL as string, { maxRetriesPerRequest: null }) // BullMQ's client
  queues.on('error', () => {})
  const providers: Record<string, SyncProviderConfig> = {}
  for (const p of JSON.parse(env.ECIS_PROVIDERS ?? '[]') as ProviderEntry[]) {
    providers[p.id] = {
      consumer: {
        issuer: p.issuer,
        clientId: p.clientId,
        clientAuth: { method: 'private_key_jwt', key: p.privateJwk },
        allowInsecureRequests: p.allowInsecureRequests,
      },
      rateLimit: p.rateLimit,
      concurrency: p.concurrency ?? 4,
    }
  }
  const sync = createEciSync({
    redis: queues,
    store: stores.store,
    sink: postgresSink(stores.pool),
    providers,
    onNeedsConsent: (key, error) => options.onNeedsConsent?.(key, error.code),
  })
  return {
    ...stores,
    sync,
    async close() {
      await sync.close()
      await stores.close()
      queues.disconnect()
    },
  }
}
