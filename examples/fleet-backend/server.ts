/**
 * One instance of a producer backend that runs as a fleet: every instance keeps its state in
 * PostgreSQL, so any of them can serve any request. Start two with `start.ts` next to this file.
 *
 *   GET /connect        begins consent; the pending transaction is stored in PostgreSQL under the
 *                       customer's session (cookie `sid`) → 302 to the provider
 *   GET /eci/callback   completes consent, saving the grant in the shared store
 *                       (`completeConsent(url, transaction, { store, key })`) → 303 /accounts
 *   GET /accounts       every granted account's ECI Basic, as JSON, through
 *                       `consumer.openSession(key, { store })` — on whichever instance is asked
 *
 * The grants live in `postgresGrantStore` (table `ecis_grants`): an expired grant is refreshed
 * once for the whole fleet (lock → re-read → refresh → compare-and-set save → release), however
 * many instances need it at the same moment. See docs/scaling.md.
 *
 * Environment: DATABASE_URL, PORT (default 3000), ECIS_ISSUER, ECIS_CLIENT_ID (default
 * 'acme-solar'), ECIS_PRIVATE_JWK (path of a private JWK file), PUBLIC_URL (default
 * http://127.0.0.1:PORT). Run `migrate()` (start.ts does) first.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type ConsentTransaction, EciConsumer, type EciSession } from 'ecis-consumer'
import { postgresGrantStore } from 'ecis-consumer/postgres'
import pg from 'pg'
// The HTTP helpers of the single-instance example next door (examples/backend).
import { readCookie, redirect, sendError, sendJson } from '../backend/server.ts'

/** The app's own tables: web sessions (who the browser is) and consents in progress. */
const APP_DDL = `
CREATE TABLE IF NOT EXISTS example_web_sessions (
  sid text PRIMARY KEY,
  customer_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS example_pending_consents (
  sid text PRIMARY KEY REFERENCES example_web_sessions ON DELETE CASCADE,
  transaction jsonb NOT NULL
);`

/** Creates the grant store's tables and the app's. Idempotent; run it once before starting instances. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await postgresGrantStore({ pool }).migrate()
  await pool.query(APP_DDL)
}

/** A pool as docs/scaling.md advises: bounded waits, and idle-connection errors logged, not fatal. */
export function createPool(connectionString: string | undefined): pg.Pool {
  if (!connectionString) throw new Error('DATABASE_URL is required (postgres://user@host:port/database)')
  const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: 5_000, statement_timeout: 5_000 })
  pool.on('error', (error) => console.warn(`idle PostgreSQL connection failed: ${error.message}`))
  return pool
}

export interface InstanceOptions {
  pool: pg.Pool
  issuer: string
  clientId: string
  privateJwk: JsonWebKey
  port: number
  publicUrl?: string | undefined
}

/** Starts one instance; resolves once it listens. */
export async function startInstance(options: InstanceOptions): Promise<{ url: string; close(): Promise<void> }> {
  const { pool } = options
  const store = postgresGrantStore({ pool })
  const publicUrl = (options.publicUrl ?? `http://127.0.0.1:${options.port}`).replace(/\/$/, '')
  const consumer = await EciConsumer.discover({
    issuer: options.issuer,
    clientId: options.clientId,
    clientAuth: { method: 'private_key_jwt', key: options.privateJwk },
    redirectUri: `${publicUrl}/eci/callback`,
    // Plain HTTP only for a provider on this machine (the mock).
    allowInsecureRequests: ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(options.issuer).hostname),
  })

  /** The signed-in customer (here: whoever holds the session cookie), or undefined. */
  async function customerOf(req: IncomingMessage): Promise<{ sid: string; customerId: string } | undefined> {
    const sid = readCookie(req, 'sid')
    if (!sid) return undefined
    const { rows } = await pool.query('SELECT customer_id FROM example_web_sessions WHERE sid = $1', [sid])
    return rows[0] ? { sid, customerId: rows[0].customer_id as string } : undefined
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', publicUrl)
    const route = `${req.method} ${url.pathname}`
    const customer = await customerOf(req)

    if (route === 'GET /connect') {
      let sid = customer?.sid
      if (!sid) {
        sid = randomUUID()
        // A new customer id stands in for your logged-in user; it is also the grant's key.
        await pool.query('INSERT INTO example_web_sessions (sid, customer_id) VALUES ($1, $2)', [sid, randomUUID()])
        // SameSite=Lax: the cookie comes back on the provider's redirect to /eci/callback.
        res.setHeader('set-cookie', `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`)
      }
      const { url: authorizationUrl, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
      await pool.query(
        `INSERT INTO example_pending_consents (sid, transaction) VALUES ($1, $2)
         ON CONFLICT (sid) DO UPDATE SET transaction = EXCLUDED.transaction`,
        [sid, JSON.stringify(transaction)],
      )
      redirect(res, 302, authorizationUrl)
      return
    }

    if (route === 'GET /eci/callback') {
      // Taken and deleted in one statement: a transaction is used once, on whichever instance.
      const { rows } = customer
        ? await pool.query('DELETE FROM example_pending_consents WHERE sid = $1 RETURNING transaction', [customer.sid])
        : { rows: [] }
      if (!customer || !rows[0]) {
        sendJson(res, 400, { error: 'no_pending_consent', connect: '/connect' })
        return
      }
      const transaction = rows[0].transaction as ConsentTransaction
      await consumer.completeConsent(url, transaction, { store, key: customer.customerId })
      redirect(res, 303, '/accounts')
      return
    }

    if (route === 'GET /accounts') {
      if (!customer) {
        sendJson(res, 401, { error: 'not_connected', connect: '/connect' })
        return
      }
      // One SELECT per request: every instance works on the newest stored grant.
      const session: EciSession = await consumer.openSession(customer.customerId, { store })
      sendJson(res, 200, await Promise.all(session.accounts.map((account) => session.basic(account))))
      return
    }

    sendJson(res, 404, { error: 'not_found' })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  return {
    url: publicUrl,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `node examples/fleet-backend/server.ts`: one instance, configured from the environment. */
async function main(): Promise<void> {
  const env = process.env
  if (!env.ECIS_ISSUER || !env.ECIS_PRIVATE_JWK) throw new Error('ECIS_ISSUER and ECIS_PRIVATE_JWK are required')
  const pool = createPool(env.DATABASE_URL)
  const instance = await startInstance({
    pool,
    issuer: env.ECIS_ISSUER,
    clientId: env.ECIS_CLIENT_ID ?? 'acme-solar',
    privateJwk: JSON.parse(await readFile(env.ECIS_PRIVATE_JWK, 'utf8')) as JsonWebKey,
    port: Number(env.PORT ?? 3000),
    publicUrl: env.PUBLIC_URL,
  })
  console.log(`listening: ${instance.url}`)
  const stop = () => {
    instance
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (import.meta.main) await main()
