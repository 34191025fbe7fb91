/**
 * A real PostgreSQL for a test file: `initdb` into a temporary directory and `postgres` on a free
 * port of 127.0.0.1 (trust auth, user and database `postgres`). PostgreSQL refuses to run as
 * root, so under root both run as the `postgres` system user, which owns the data and socket
 * directories. About a second to start.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort, isRoot, type RunningProcess, startProcess, userIds } from './server-process.js'

const run = promisify(execFile)

/** `$PG_BIN`, else the newest /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'postgres'))) : []
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0]
  if (!newest) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres); see .ci/run')
  return join(root, newest, 'bin')
}

export interface PostgresServerOptions {
  /** Keep fsync on (real durability, slower commits); tests that only need a crash of the process leave it off. */
  fsync?: boolean
}

export interface PostgresServer {
  readonly host: string
  readonly port: number
  /** `postgres://postgres@127.0.0.1:port/postgres`. */
  readonly connectionString: string
  /** Immediate shutdown (SIGQUIT): no checkpoint, the next start replays the WAL like after a crash. */
  crash(): Promise<void>
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>
  /** Stops the server and removes its directory. */
  close(): Promise<void>
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin()
  const dir = await mkdtemp(join(tmpdir(), 'ecis-pg-'))
  const data = join(dir, 'data')
  const sockets = join(dir, 'sockets')
  await mkdir(sockets)
  const user = isRoot() ? userIds('postgres') : undefined
  if (user) {
    await chown(dir, user.uid, user.gid)
    await chown(sockets, user.uid, user.gid)
  }
  await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '-N'], {
    ...(user ?? {}),
    cwd: dir,
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  })
  const port = await freePort()
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${sockets}`,
    '-c',
    `fsync=${options.fsync ? 'on' : 'off'}`,
    '-c',
    'max_connections=200',
  ]
  let current: RunningProcess | undefined
  const start = async () => {
    current = await startProcess(join(bin, 'postgres'), args, {
      ready: /database system is ready to accept connections/,
      cwd: dir,
      ...(user ? { user } : {}),
    })
  }
  await start()
  return {
    host: '127.0.0.1',
    port,
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async crash() {
      await current?.stop('SIGQUIT')
    },
    start,
    async close() {
      await current?.stop('SIGINT')
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A pool set up as docs/scaling.md advises: bounded connect and statement time, and an `error`
 * listener (idle connections fail when the server restarts; the next query gets a new one).
 */
export function postgresPool(server: PostgresServer, options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: server.connectionString,
    max: 20,
    connectionTimeoutMillis: 2000,
    statement_timeout: 5000,
    ...options,
  })
  pool.on('error', () => {})
  return pool
}
