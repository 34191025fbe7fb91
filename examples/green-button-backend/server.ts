/**
 * A producer backend for Green Button Connect My Data utilities: consent, grants in PostgreSQL,
 * the Data Custodian's notifications turned into sync jobs, bills in a PostgreSQL table.
 *
 *   GET  /connect?customer=ID       begins consent (Function Block scope, PKCE, state) → 302 to the utility
 *   GET  /green-button/callback     completes consent; the grant goes to `postgresGrantStore` under
 *                                   `gb/<customer>`, its subscription to `example_gb_subscriptions`
 *   GET|POST /green-button/notify   the notify URI: `greenButtonNotifications` answers the
 *                                   verification GET and hands a BatchList's URIs to `sync.notify`
 *   POST /nightly                   schedules every grant (what a cron job calls once a night)
 *   GET  /bills?customer=ID         the customer's bills as stored by the sync, as JSON
 *
 * One process runs the web server and a sync worker (`createEciSync` with a `kind: 'green-button'`
 * provider on BullMQ); a fleet runs several of each, unchanged. Without GB_* settings it starts the
 * mock Data Custodian on loopback, with this backend as the registered notify URI.
 *
 * Environment: DATABASE_URL, REDIS_URL, PORT (default 3000), and for a real utility
 * GB_AUTHORIZATION_ENDPOINT, GB_TOKEN_ENDPOINT, GB_RESOURCE_ENDPOINT, GB_CLIENT_ID, GB_CLIENT_SECRET,
 * GB_SCOPE, PUBLIC_URL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import {
  formatMoney,
  type GreenButtonConsentTransaction,
  type GreenButtonConsumerOptions,
  greenButtonConsumer,
  greenButtonNotifications,
} from 'ecis-consumer/green-button'
import { startGreenButtonProviderServer } from 'ecis-consumer/mock/node'
import { postgresGrantStore } from 'ecis-consumer/postgres'
import { createEciSync, type SyncGreenButtonBillRecord, type SyncSink } from 'ecis-consumer/sync'
import { Redis } from 'ioredis'
import pg from 'pg'

const PROVIDER = 'utility-gb'
const DEFAULT_SCOPE = 'FB=1_3_4_5_13_14_39;IntervalDuration=3600;BlockDuration=monthly;HistoryLength=13'

const DDL = `
CREATE TABLE IF NOT EXISTS example_gb_subscriptions (subscription text PRIMARY KEY, grant_key text NOT NULL);
CREATE TABLE IF NOT EXISTS example_gb_bills (
  provider text NOT NULL, grant_key text NOT NULL, usage_point text NOT NULL,
  period_start bigint NOT NULL, period_end bigint NOT NULL, total text, currency text, bill jsonb NOT NULL,
  PRIMARY KEY (provider, grant_key, usage_point, period_start));`

/** The sink: bills upserted by usage point and period; the last period tells the sync where to resume. */
function billSink(pool: pg.Pool): SyncSink {
  return {
    // This backend has no ECIS utility; an app with both implements these for its invoices.
    lastInvoice: async () => undefined,
    upsertInvoice: async () => {},
    async lastGreenButtonPeriod({ provider, key }) {
      const { rows } = await pool.query(
        'SELECT max(period_end) AS last FROM example_gb_bills WHERE provider = $1 AND grant_key = $2',
        [provider, key],
      )
      return rows[0]?.last === null || rows[0]?.last === undefined ? undefined : Number(rows[0].last)
    },
    async upsertGreenButtonBill(r: SyncGreenButtonBillRecord) {
      const total = r.bill.total ? formatMoney(r.bill.total) : null
      await pool.query(
        `INSERT INTO example_gb_bills VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (provider, grant_key, usage_point, period_start)
         DO UPDATE SET period_end = EXCLUDED.period_end, total = EXCLUDED.total, bill = EXCLUDED.bill`,
        [r.provider, r.key, r.usagePointId, r.periodStart, r.periodEnd, total, r.bill.currency ?? null, jsonBill(r)],
      )
    },
  }
}

/** The bill as JSON (exact amounts as strings). */
function jsonBill(r: SyncGreenButtonBillRecord): string {
  return JSON.stringify(r.bill, (_, value) => (typeof value === 'bigint' ? value.toString() : value))
}

/** The Data Custodian: the one configured, or the mock on loopback. */
async function custodian(publicUrl: string): Promise<{ options: GreenButtonConsumerOptions; scope: string }> {
  const env = process.env
  if (env.GB_TOKEN_ENDPOINT) {
    return {
      options: {
        authorizationEndpoint: env.GB_AUTHORIZATION_ENDPOINT,
        tokenEndpoint: env.GB_TOKEN_ENDPOINT,
        resourceEndpoint: env.GB_RESOURCE_ENDPOINT,
        clientId: env.GB_CLIENT_ID ?? 'acme-solar',
        clientAuth: { method: 'client_secret_basic', secret: env.GB_CLIENT_SECRET ?? '' },
        redirectUri: `${publicUrl}/green-button/callback`,
        allowInsecureRequests: env.GB_TOKEN_ENDPOINT.startsWith('http:'),
      },
      scope: env.GB_SCOPE ?? DEFAULT_SCOPE,
    }
  }
  const mock = await startGreenButtonProviderServer({
    clients: [
      {
        clientId: 'acme-solar',
        clientSecret: 'mock-secret',
        redirectUris: [`${publicUrl}/green-button/callback`],
        notifyUri: `${publicUrl}/green-button/notify`,
      },
    ],
  })
  console.log(`Custodian: ${mock.url} (mock)`)
  return {
    options: {
      ...mock.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: 'mock-secret' },
      redirectUri: `${publicUrl}/green-button/callback`,
      allowInsecureRequests: true,
    },
    scope: DEFAULT_SCOPE,
  }
}

/** A Web `Request` for `node:http`'s request (what Express or Fastify adapters do too). */
function toRequest(req: IncomingMessage, base: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream)
  return new Request(new URL(req.url ?? '/', base), {
    method: req.method,
    headers,
    body,
    duplex: 'half',
  } as RequestInit)
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(Buffer.from(await response.arrayBuffer()))
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

/** Starts the backend: web server, sync worker. Resolves its URL and a `close()`. */
export async function startBackend(o: { pool: pg.Pool; redis: Redis; port: number; publicUrl?: string }) {
  const publicUrl = o.publicUrl ?? `http://127.0.0.1:${o.port}`
  await o.pool.query(DDL)
  const store = postgresGrantStore({ pool: o.pool })
  await store.migrate()
  const { options, scope } = await custodian(publicUrl)
  const gb = greenButtonConsumer(options)
  const sync = createEciSync({
    redis: o.redis,
    store,
    sink: billSink(o.pool),
    providers: { [PROVIDER]: { kind: 'green-button', consumer: options, rateLimit: { max: 10, duration: 1000 } } },
    onNeedsConsent: (key, error) => console.log(`needs consent: ${key} (${error.code})`),
  })
  const worker = await sync.work()
  const pending = new Map<string, { customer: string; transaction: GreenButtonConsentTransaction }>()
  const keyOf = async (subscription: string) =>
    (await o.pool.query('SELECT grant_key FROM example_gb_subscriptions WHERE subscription = $1', [subscription]))
      .rows[0]?.grant_key as string | undefined
  const notify = greenButtonNotifications({
    resourceEndpoints: [options.resourceEndpoint as string],
    onBatch: async (uris) => {
      const result = await sync.notify(PROVIDER, uris, { keyOf })
      console.log(`notification: ${result.keys.length} grant(s), run ${result.run}`)
    },
  })
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', publicUrl)
    try {
      if (url.pathname === '/green-button/notify') return await send(res, await notify(toRequest(req, publicUrl)))
      if (url.pathname === '/connect') {
        const customer = url.searchParams.get('customer') ?? 'customer-1'
        const { url: to, transaction } = await gb.beginConsent({ scope })
        pending.set(transaction.state, { customer, transaction })
        res.writeHead(302, { location: to }).end()
        return
      }
      if (url.pathname === '/green-button/callback') {
        const started = pending.get(url.searchParams.get('state') ?? '')
        if (!started) return json(res, 400, { error: 'unknown or spent consent' })
        pending.delete(started.transaction.state)
        const key = `gb/${started.customer}`
        const grant = await gb.completeConsent(url.href, started.transaction, { store, key })
        await o.pool.query(
          'INSERT INTO example_gb_subscriptions VALUES ($1, $2) ON CONFLICT (subscription) DO UPDATE SET grant_key = $2',
          [grant.resourceUri, key],
        )
        return json(res, 200, { key, subscription: grant.resourceUri })
      }
      if (url.pathname === '/nightly' && req.method === 'POST') {
        const { rows } = await o.pool.query('SELECT DISTINCT grant_key FROM example_gb_subscriptions')
        const result = await sync.schedule(rows.map((r) => ({ key: r.grant_key as string, provider: PROVIDER })))
        return json(res, 200, result)
      }
      if (url.pathname === '/bills') {
        const key = `gb/${url.searchParams.get('customer') ?? 'customer-1'}`
        const { rows } = await o.pool.query(
          'SELECT usage_point, period_start, period_end, total, currency FROM example_gb_bills WHERE grant_key = $1 ORDER BY usage_point, period_start',
          [key],
        )
        return json(res, 200, rows)
      }
      json(res, 404, { error: 'not found' })
    } catch (error) {
      console.error(error)
      json(res, 500, { error: (error as { code?: string }).code ?? 'internal' })
    }
  })
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve))
  return {
    url: publicUrl,
    close: async () => {
      server.close()
      await worker.close()
      await sync.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) throw new Error('DATABASE_URL and REDIS_URL are required')
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
  pool.on('error', (error) => console.warn(`idle PostgreSQL connection failed: ${error.message}`))
  const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null })
  const backend = await startBackend({
    pool,
    redis,
    port: Number(process.env.PORT ?? 3000),
    publicUrl: process.env.PUBLIC_URL,
  })
  console.log(`Ready: ${backend.url}/connect`)
  const stop = async () => {
    await backend.close()
    redis.disconnect()
    await pool.end()
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
