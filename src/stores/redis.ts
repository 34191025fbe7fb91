/**
 * `ecis-consumer/redis`: a {@link GrantStore} on Redis through the app's own `ioredis` client —
 * the client BullMQ is built on, so one Redis can serve the sync queue and the grants.
 *
 * Layout: a hash `<prefix>grant:<key>` (`grant` JSON, `version`, `status`, `reason`,
 * `updated_at` ms) changed only by Lua scripts (compare-and-set in one step), and the refresh
 * lock `<prefix>lock:<key>` taken with `SET … NX PX ttl`, released and extended by Lua scripts
 * that first compare the owner token. Grants are safe only on a Redis that persists every write
 * and never evicts keys: see docs/scaling.md.
 *
 * @module
 */
import type { Cluster, Redis } from 'ioredis'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { GrantStore } from '../grant/store.js'
import { grantStoreFrom } from '../grant/store-backend.js'
import { EXTEND, evalScript, type LuaScript, MARK_NEEDS_CONSENT, PUT, RELEASE } from './redis-scripts.js'
import { checkStoreTimeout, isSocketError, type StoreCallContext, storeCall } from './store-call.js'

/** Options of {@link redisGrantStore}. */
export interface RedisGrantStoreOptions {
  /**
   * The app's ioredis client (`Redis` or `Cluster`). Give it `maxRetriesPerRequest` (e.g. 2) so
   * a command fails while Redis is down instead of queueing; a BullMQ worker connection (which
   * needs `maxRetriesPerRequest: null`) is not suitable — use a second client.
   */
  redis: Redis | Cluster
  /**
   * Prefix of every key this store writes (at most 128 characters, no control characters).
   * @default 'ecis:'
   */
  prefix?: string | undefined
  /**
   * Deadline of each round trip, ms; past it the call rejects with `ERR_ECI_STORE_UNAVAILABLE`
   * (a queued command may still run when Redis comes back).
   * @default 5000
   */
  timeout?: number | undefined
}

/** Replies that mean "this server cannot serve writes now", not "this command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|OOM)\b/
const CONNECTION_MESSAGE = /connection is closed|command timed out|stream isn't writeable|connect|socket/i

const classify: StoreCallContext['classify'] = (error) => {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message : ''
  if (name === 'ReplyError') return UNAVAILABLE_REPLY.test(text) ? 'unavailable' : undefined
  if (name === 'MaxRetriesPerRequestError' || isSocketError(error) || CONNECTION_MESSAGE.test(text)) {
    return 'unavailable'
  }
  return undefined
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return 'ecis:'
  if (typeof prefix !== 'string' || prefix.length > 128 || [...prefix].some((c) => c < ' ' || c === '\x7f')) {
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      'prefix must be a string of at most 128 characters, no control characters',
    )
  }
  return prefix
}

/**
 * A {@link GrantStore} on Redis.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { redisGrantStore } from 'ecis-consumer/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, commandTimeout: 5_000 })
 * const store = redisGrantStore({ redis })
 * ```
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for a missing client, a bad prefix or timeout
 */
export function redisGrantStore(options: RedisGrantStoreOptions): GrantStore {
  const redis = options?.redis
  if (!redis || typeof (redis as { evalsha?: unknown }).evalsha !== 'function') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'redisGrantStore needs { redis }: an ioredis client')
  }
  const prefix = checkPrefix(options.prefix)
  const context: StoreCallContext = { server: 'Redis', timeout: checkStoreTimeout(options.timeout, 5000), classify }
  const grantKey = (key: string) => `${prefix}grant:${key}`
  const lockKey = (key: string) => `${prefix}lock:${key}`

  const run = (action: string, script: LuaScript, key: string, args: (string | number)[]): Promise<number> =>
    storeCall(context, action, async () => Number(await evalScript(redis, script, [key], args)))
  const positive = (n: number) => (n > 0 ? n : undefined)

  return grantStoreFrom({
    async read(key) {
      const [grant, version, status, reason] = await storeCall(context, 'get', () =>
        redis.hmget(grantKey(key), 'grant', 'version', 'status', 'reason'),
      )
      return grant == null && version == null ? undefined : { grant, version, status, reason }
    },
    async write(key, json, ifVersion) {
      return positive(await run('put', PUT, grantKey(key), [json, ifVersion ?? '', Date.now()]))
    },
    async markNeedsConsent(key, reason, ifVersion) {
      const args = [reason, ifVersion ?? '', Date.now()]
      return positive(await run('mark needs consent', MARK_NEEDS_CONSENT, grantKey(key), args))
    },
    async tryLock(key, owner, ttlMs) {
      return (await storeCall(context, 'lock', () => redis.set(lockKey(key), owner, 'PX', ttlMs, 'NX'))) === 'OK'
    },
    async release(key, owner) {
      return (await run('release lock', RELEASE, lockKey(key), [owner])) === 1
    },
    async extend(key, owner, ms) {
      return (await run('extend lock', EXTEND, lockKey(key), [owner, ms])) === 1
    },
    async remove(key) {
      return (await storeCall(context, 'delete', () => redis.del(grantKey(key)))) > 0
    },
  })
}
