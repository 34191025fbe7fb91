/**
 * The SQL of the PostgreSQL grant store: the DDL `migrate()` runs and one statement per
 * operation, each atomic on its own (no transaction spans two round trips).
 * @internal
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'

/** Default name of the grants table; its lock table is the same name + `_locks`. */
export const DEFAULT_TABLE = 'ecis_grants'

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
/** PostgreSQL truncates identifiers at 63 bytes; `_locks` must still fit. */
const MAX_TABLE_LENGTH = 63 - '_locks'.length

/**
 * `table` or `schema.table`, lower-case letters, digits and `_`, the table at most 57
 * characters. @throws {EciConfigError}
 */
export function checkTableName(table: unknown): string[] {
  const parts = typeof table === 'string' ? table.split('.') : []
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((p) => IDENTIFIER.test(p) && p.length <= 63) &&
    (parts.at(-1) as string).length <= MAX_TABLE_LENGTH
  if (!ok) {
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      `table must be "name" or "schema.name" of lower-case letters, digits and _ (name at most ${MAX_TABLE_LENGTH} characters)`,
    )
  }
  return parts
}

/** The statements of one store, for a validated table name. */
export interface PostgresStatements {
  readonly ddl: string
  readonly migrate: string
  readonly get: string
  readonly put: string
  readonly create: string
  readonly update: string
  readonly markNeedsConsent: string
  readonly delete: string
  readonly lock: string
  readonly release: string
  readonly extend: string
}

const quote = (parts: string[]) => parts.map((p) => `"${p}"`).join('.')
const IN_MS = `clock_timestamp() + $3::double precision * interval '1 millisecond'`

/** Builds the statements for `table` (already checked by {@link checkTableName}). */
export function postgresStatements(parts: string[]): PostgresStatements {
  const grants = quote(parts)
  const locks = quote([...parts.slice(0, -1), `${parts.at(-1)}_locks`])
  const ddl = `CREATE TABLE IF NOT EXISTS ${grants} (
  key text PRIMARY KEY,
  grant_json jsonb NOT NULL,
  version bigint NOT NULL CHECK (version > 0),
  status text NOT NULL CHECK (status IN ('active', 'needs_consent')),
  reason text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${locks} (
  key text PRIMARY KEY,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL
);`
  return {
    ddl,
    // One simple-protocol query is one transaction: the advisory lock serialises concurrent
    // migrations (two CREATE TABLE IF NOT EXISTS at once can collide on the catalog).
    migrate: `SELECT pg_advisory_xact_lock(hashtext('ecis-consumer migrate ${parts.join('.')}'));\n${ddl}`,
    get: `SELECT grant_json, version, status, reason FROM ${grants} WHERE key = $1`,
    put: `INSERT INTO ${grants} AS g (key, grant_json, version, status, reason, updated_at)
VALUES ($1, $2::jsonb, 1, 'active', NULL, now())
ON CONFLICT (key) DO UPDATE SET grant_json = EXCLUDED.grant_json, version = g.version + 1,
  status = 'active', reason = NULL, updated_at = now()
RETURNING version`,
    create: `INSERT INTO ${grants} (key, grant_json, version, status) VALUES ($1, $2::jsonb, 1, 'active')
ON CONFLICT (key) DO NOTHING RETURNING version`,
    update: `UPDATE ${grants} SET grant_json = $2::jsonb, version = version + 1, status = 'active', reason = NULL,
  updated_at = now()
WHERE key = $1 AND version = $3::bigint RETURNING version`,
    markNeedsConsent: `UPDATE ${grants} SET status = 'needs_consent', reason = $2, version = version + 1, updated_at = now()
WHERE key = $1 AND ($3::bigint IS NULL OR version = $3::bigint) RETURNING version`,
    delete: `DELETE FROM ${grants} WHERE key = $1 RETURNING version`,
    // Takes a free or expired lease; a live one (another owner) makes the WHERE false: no row.
    lock: `INSERT INTO ${locks} AS l (key, owner, expires_at) VALUES ($1, $2, ${IN_MS})
ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
WHERE l.expires_at <= clock_timestamp()
RETURNING owner`,
    release: `DELETE FROM ${locks} WHERE key = $1 AND owner = $2 RETURNING expires_at > clock_timestamp() AS held`,
    extend: `UPDATE ${locks} SET expires_at = ${IN_MS}
WHERE key = $1 AND owner = $2 AND expires_at > clock_timestamp() RETURNING owner`,
  }
}
