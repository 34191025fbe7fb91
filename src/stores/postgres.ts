/**
 * `ecis-consumer/postgres`: a {@link GrantStore} on PostgreSQL through the app's own `pg` Pool.
 * The recommended durable default: a grant is durable data, and a lost refresh token means the
 * customer must consent again.
 *
 * Rows: one per grant (`key`, `grant_json` jsonb, `version`, `status`, `reason`, `updated_at`);
 * compare-and-set is one `UPDATE … WHERE version = $n`. The refresh lock is a lease row
 * (`owner` token, `expires_at` on the server's clock) in a second table, not an advisory lock:
 * a session advisory lock belongs to one pooled connection (released or stranded with it) and
 * has no ttl, while a lease survives connection churn and frees itself when its holder dies.
 *
 * @module
 */
import type { Pool } from 'pg'
import { EciConfigError, type EciError, ErrorCode } from '../errors.js'
import type { GrantStore } from '../grant/store.js'
import { grantStoreFrom } from '../grant/store-backend.js'
import { checkTableName, DEFAULT_TABLE, postgresStatements } from './postgres-sql.js'
import { checkStoreTimeout, isSocketError, type StoreCallContext, storeCall } from './store-call.js'

/** Options of {@link postgresGrantStore}. */
export interface PostgresGrantStoreOptions {
  /**
   * The app's `pg` Pool. Give it `connectionTimeoutMillis` (e.g. 5 000) so a call fails instead
   * of waiting for a connection forever, `statement_timeout` so the server ends a stuck statement,
   * and an `error` listener (pg emits `error` for idle connections when the server restarts).
   */
  pool: Pool
  /**
   * Grants table, `name` or `schema.name` (lower-case letters, digits, `_`); the lock table is
   * the same name + `_locks`.
   * @default 'ecis_grants'
   */
  table?: string | undefined
  /**
   * Deadline of each round trip, ms; past it the call rejects with `ERR_ECI_STORE_UNAVAILABLE`
   * (the statement may still complete on the server).
   * @default 5000
   */
  timeout?: number | undefined
}

/** The PostgreSQL store: a {@link GrantStore} plus its schema. */
export interface PostgresGrantStore extends GrantStore {
  /**
   * Creates the grants and lock tables when missing. Idempotent and safe to run from many
   * instances at once.
   * @throws {EciNetworkError} `ERR_ECI_STORE_UNAVAILABLE` when PostgreSQL does not answer
   */
  migrate(): Promise<void>
  /** The DDL `migrate()` runs, for apps that run their own migrations. */
  readonly ddl: string
}

/** SQLSTATEs that mean "the server cannot serve this now" rather than "this statement is wrong". */
function isUnavailableState(code: string): boolean {
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('53') || // insufficient resources (too many connections, disk full)
    code.startsWith('57P') || // admin/crash shutdown, cannot connect now
    code === '57014' || // statement_timeout
    code === '25006' || // read-only transaction: a standby after failover
    code === '40001' ||
    code === '40P01'
  )
}

const CONNECTION_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i

function classifier(tableName: string): StoreCallContext['classify'] {
  return (error): 'unavailable' | EciError | undefined => {
    const code = (error as { code?: unknown } | null)?.code
    if (code === '42P01') {
      return new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `The grant store table "${tableName}" does not exist: run store.migrate() or apply store.ddl`,
      )
    }
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
      return isUnavailableState(code) ? 'unavailable' : undefined
    if (isSocketError(error)) return 'unavailable'
    const message = (error as { message?: unknown } | null)?.message
    return typeof message === 'string' && CONNECTION_MESSAGE.test(message) ? 'unavailable' : undefined
  }
}

interface Row {
  [column: string]: unknown
}

/**
 * A {@link GrantStore} on PostgreSQL. Call `migrate()` once (or apply `ddl` with your own
 * migrations) before use.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { postgresGrantStore } from 'ecis-consumer/postgres'
 *
 * const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: 5_000, statement_timeout: 5_000 })
 * pool.on('error', (error) => log.warn('idle PostgreSQL connection failed', error))
 * const store = postgresGrantStore({ pool })
 * await store.migrate()
 * ```
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for a missing pool, a bad table name or timeout
 */
export function postgresGrantStore(options: PostgresGrantStoreOptions): PostgresGrantStore {
  const pool = options?.pool
  if (!pool || typeof (pool as { query?: unknown }).query !== 'function') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'postgresGrantStore needs { pool }: a pg Pool')
  }
  const parts = checkTableName(options.table ?? DEFAULT_TABLE)
  const sql = postgresStatements(parts)
  const context: StoreCallContext = {
    server: 'PostgreSQL',
    timeout: checkStoreTimeout(options.timeout, 5000),
    classify: classifier(parts.join('.')),
  }
  const query = (action: string, text: string, values?: unknown[]): Promise<Row[]> =>
    storeCall(context, action, async () => (await pool.query<Row>(text, values)).rows)
  const version = (rows: Row[]) => (rows[0] ? Number(rows[0].version) : undefined)

  const store = grantStoreFrom({
    async read(key) {
      const row = (await query('get', sql.get, [key]))[0]
      return row && { grant: row.grant_json, version: row.version, status: row.status, reason: row.reason }
    },
    async write(key, json, ifVersion) {
      if (ifVersion === undefined) return version(await query('put', sql.put, [key, json]))
      if (ifVersion === 0) return version(await query('put', sql.create, [key, json]))
      return version(await query('put', sql.update, [key, json, ifVersion]))
    },
    async markNeedsConsent(key, reason, ifVersion) {
      return version(await query('mark needs consent', sql.markNeedsConsent, [key, reason, ifVersion ?? null]))
    },
    async tryLock(key, owner, ttlMs) {
      return (await query('lock', sql.lock, [key, owner, ttlMs])).length === 1
    },
    async release(key, owner) {
      return (await query('release lock', sql.release, [key, owner]))[0]?.held === true
    },
    async extend(key, owner, ms) {
      return (await query('extend lock', sql.extend, [key, owner, ms])).length === 1
    },
    async remove(key) {
      return (await query('delete', sql.delete, [key])).length > 0
    },
  })
  return {
    ...store,
    ddl: sql.ddl,
    async migrate() {
      await query('migrate', sql.migrate)
    },
  }
}
