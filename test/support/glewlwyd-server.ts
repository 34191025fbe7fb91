/**
 * A real Glewlwyd 2.7 (Debian's `glewlwyd` package) for a test file: a free port on 127.0.0.1,
 * its own temporary directory with a libconfig file and an SQLite database made from the
 * package's schema (default administrator `admin` / `password`), started like redis-server.ts
 * starts Redis. Everything else — plugins, scopes, users, clients — is provisioned through its
 * admin REST API (see glewlwyd-provision.ts), as an operator would.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { gunzipSync } from 'node:zlib'
import { CookieJar } from './cookie-jar.js'
import { freePort, type RunningProcess, startProcess } from './server-process.js'

const GLEWLWYD = process.env.GLEWLWYD ?? '/usr/bin/glewlwyd'
const MODULES = process.env.GLEWLWYD_MODULES ?? '/usr/lib/glewlwyd'
/** The package's SQLite schema: dbconfig-common's copy, else the compressed one in the docs. */
const SCHEMAS = [
  '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3',
  '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz',
]
/**
 * Each start-up wait (its log line, then HTTP). Well under the suites' 30 s `beforeAll`, so a slow
 * start fails here and kills the process rather than leaving it to a torn-down test worker.
 */
const START_TIMEOUT_MS = 12_000
export const GLEWLWYD_ADMIN = { username: 'admin', password: 'password' } as const

/** Why Glewlwyd cannot run here, or `undefined` when it can. */
export function glewlwydMissing(): string | undefined {
  if (!existsSync(GLEWLWYD)) return `${GLEWLWYD} is not installed (apt-get install glewlwyd; .ci/run does it)`
  if (!existsSync(join(MODULES, 'plugin', 'libprotocol_oidc.so'))) return `no OIDC plugin under ${MODULES}/plugin`
  if (!SCHEMAS.some((path) => existsSync(path))) return `no SQLite schema (${SCHEMAS.join(', ')})`
  return undefined
}

function schemaSql(): string {
  const path = SCHEMAS.find((p) => existsSync(p)) as string
  const raw = readFileSync(path)
  return path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8')
}

/** The libconfig file: loopback only, console log, plain http (tests only), SQLite. */
function configFile(port: number, database: string): string {
  // No `use_secure_connection` line at all: Glewlwyd 2.7 wants certificate paths even when it is false.
  return `port=${port}
bind_address="127.0.0.1"
external_url="http://127.0.0.1:${port}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="console"
log_level="${process.env.GLEWLWYD_LOG_LEVEL ?? 'INFO'}"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="${MODULES}/user"
client_module_path="${MODULES}/client"
user_auth_scheme_module_path="${MODULES}/scheme"
plugin_module_path="${MODULES}/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "${database}"; };
`
}

/** A JSON call to Glewlwyd's API: status and parsed body (undefined when empty or not JSON). */
export interface ApiResult {
  status: number
  body: unknown
  headers: Headers
}

export interface GlewlwydServer {
  readonly port: number
  /** `http://127.0.0.1:port` (`external_url`). */
  readonly url: string
  /** An admin session (cookie) on the REST API under `/api`. */
  admin(method: string, path: string, body?: unknown): Promise<ApiResult>
  /** Everything the server logged so far. */
  output(): string
  close(): Promise<void>
}

/** Calls `url` with a JSON body and the jar's cookies; records the cookies it sets. */
export async function jsonCall(jar: CookieJar, method: string, url: string, body?: unknown): Promise<ApiResult> {
  const response = await fetch(url, {
    method,
    headers: { cookie: jar.header(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  })
  jar.store(response.headers)
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = text
  }
  return { status: response.status, body: parsed, headers: response.headers }
}

/**
 * Glewlwyd logs "started" before it listens, so wait until it answers HTTP (any status), polling
 * until `deadline`; false when the process exited first (its port was taken meanwhile).
 */
async function serving(url: string, running: RunningProcess, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return false
    try {
      const response = await fetch(`${url}/config`, { signal: AbortSignal.timeout(2000) })
      await response.body?.cancel()
      return true
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  throw new Error(`Glewlwyd did not answer HTTP on ${url} in time:\n${running.output()}`)
}

/** Runs Glewlwyd on a free port (another one if that port is taken before it binds). */
async function run(dir: string, database: string): Promise<{ running: RunningProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const config = join(dir, `glewlwyd-${port}.conf`)
    await writeFile(config, configFile(port, database))
    const running = await startProcess(GLEWLWYD, [`--config-file=${config}`], {
      ready: /Glewlwyd started on port/,
      cwd: dir,
      timeoutMs: START_TIMEOUT_MS,
    })
    const up = await serving(`http://127.0.0.1:${port}`, running, Date.now() + START_TIMEOUT_MS).catch(
      async (error) => {
        await running.stop('SIGKILL')
        throw error
      },
    )
    if (up) return { running, port }
    if (attempt === 3) throw new Error(`Glewlwyd exited before serving, three times:\n${running.output()}`)
  }
}

/** Starts Glewlwyd on a free port and logs the administrator in. About half a second. */
export async function startGlewlwyd(): Promise<GlewlwydServer> {
  const missing = glewlwydMissing()
  if (missing) throw new Error(`Glewlwyd cannot start: ${missing}`)
  const dir = await mkdtemp(join(tmpdir(), 'ecis-glewlwyd-'))
  const database = join(dir, 'glewlwyd.db')
  let started: { running: RunningProcess; port: number }
  try {
    const db = new DatabaseSync(database)
    db.exec(schemaSql())
    db.close()
    started = await run(dir, database)
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const { running, port } = started
  const url = `http://127.0.0.1:${port}`
  const close = async () => {
    await running.stop('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
  const jar = new CookieJar()
  const login = await jsonCall(jar, 'POST', `${url}/api/auth/`, GLEWLWYD_ADMIN)
  if (login.status !== 200) {
    await close()
    throw new Error(`Glewlwyd admin login answered ${login.status}:\n${running.output()}`)
  }
  return {
    port,
    url,
    admin: (method, path, body) => jsonCall(jar, method, `${url}/api${path}`, body),
    output: () => running.output(),
    close,
  }
}
