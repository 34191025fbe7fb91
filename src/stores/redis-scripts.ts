/**
 * The Lua scripts of the Redis grant store. Each touches one key, so each is atomic on a single
 * server and on a cluster alike. Run by SHA (EVALSHA), loaded with EVAL when the server does not
 * know it yet (NOSCRIPT: a new or restarted server).
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A script and its SHA-1, as EVALSHA names it. */
export interface LuaScript {
  readonly source: string
  readonly sha: string
}

/** A script with its SHA-1. */
export function lua(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

const isNoScript = (error: unknown) => /^NOSCRIPT\b/.test(String((error as { message?: unknown } | null)?.message))

/** Runs `script` by SHA, loading it with EVAL when the server does not know it (NOSCRIPT). */
export async function evalScript(
  redis: Redis | Cluster,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!isNoScript(error)) throw error
    return await redis.eval(script.source, keys.length, ...keys, ...args)
  }
}

/**
 * Compare-and-set put. KEYS[1] the grant hash; ARGV grant JSON, expected version ('' = any),
 * time (ms). Returns the new version, or 0 when the stored version is not the expected one.
 */
export const PUT = lua(`local current = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= current then return 0 end
redis.call('HSET', KEYS[1], 'grant', ARGV[1], 'status', 'active', 'updated_at', ARGV[3])
redis.call('HDEL', KEYS[1], 'reason')
return redis.call('HINCRBY', KEYS[1], 'version', 1)`)

/**
 * Marks needs consent. KEYS[1] the grant hash; ARGV reason, expected version ('' = any), time
 * (ms). Returns the new version, 0 when no grant is stored, -1 for a stale version.
 */
export const MARK_NEEDS_CONSENT = lua(`local current = tonumber(redis.call('HGET', KEYS[1], 'version'))
if not current then return 0 end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= current then return -1 end
redis.call('HSET', KEYS[1], 'status', 'needs_consent', 'reason', ARGV[1], 'updated_at', ARGV[3])
return redis.call('HINCRBY', KEYS[1], 'version', 1)`)

/** Owner-checked release. KEYS[1] the lock; ARGV[1] the owner token. Returns 1 when released. */
export const RELEASE = lua(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

/** Owner-checked extend. KEYS[1] the lock; ARGV owner token, ttl (ms). Returns 1 when extended. */
export const EXTEND =
  lua(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
