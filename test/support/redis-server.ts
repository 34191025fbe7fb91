/**
 * A real redis-server for a test file: a free port on 127.0.0.1, its own temporary directory,
 * no RDB snapshots; with `appendonly` every write is in the AOF (fsync always) before Redis
 * answers, so the data survives a kill -9 and restart on the same port and directory.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { freePort, type RunningProcess, startProcess } from './server-process.js'

const REDIS_SERVER =
  process.env.REDIS_SERVER ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server')

export interface RedisServerOptions {
  /** AOF persistence with `appendfsync always`. @default false */
  appendonly?: boolean
}

export interface RedisServer {
  readonly host: string
  readonly port: number
  /** `redis://127.0.0.1:port`. */
  readonly url: string
  /** SIGKILL: a crash. Nothing is flushed beyond what the AOF already holds. */
  kill(): Promise<void>
  /** Starts it again on the same port and directory (after `kill`). */
  start(): Promise<void>
  /** SIGSTOP: the server hangs, connections stay open, nothing answers. */
  pause(): void
  /** SIGCONT after `pause`. */
  resume(): void
  /** Stops the server and removes its directory. */
  close(): Promise<void>
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ecis-redis-'))
  const port = await freePort()
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
  ]
  let current: RunningProcess | undefined
  const start = async () => {
    current = await startProcess(REDIS_SERVER, args, { ready: /Ready to accept connections/, cwd: dir })
  }
  await start()
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      await current?.stop('SIGKILL')
    },
    start,
    pause: () => current?.child.kill('SIGSTOP'),
    resume: () => current?.child.kill('SIGCONT'),
    async close() {
      current?.child.kill('SIGCONT')
      await current?.stop('SIGTERM')
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A client set up as docs/scaling.md advises for a grant store: a command fails after one
 * reconnect attempt instead of queueing while Redis is down.
 */
export function redisClient(server: RedisServer, options: RedisOptions = {}): Redis {
  const redis = new Redis(server.port, server.host, {
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 50, 500),
    ...options,
  })
  redis.on('error', () => {})
  return redis
}
