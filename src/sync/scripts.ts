/**
 * The sync's Redis keys and Lua scripts. Keys of one script share a hash tag (`{…}`), so each
 * script is atomic on a cluster too: a provider's limiter keys, and a run's keys.
 * @internal
 * @module
 */
import { lua } from '../stores/redis-scripts.js'

/** The keys of a provider's request limiter. */
export function limiterKeys(prefix: string, provider: string) {
  const tag = `${prefix}:{limit:${provider}}`
  return {
    window: `${tag}:window`,
    pause: `${tag}:pause`,
    /** The count of requests made for `run`. */
    requests: (run: string) => `${tag}:requests:${run}`,
  }
}

/** The keys of a run. */
export function runKeys(prefix: string, run: string) {
  const tag = `${prefix}:{run:${run}}`
  return { stats: `${tag}:stats`, grants: `${tag}:grants`, outcomes: `${tag}:outcomes` }
}

/**
 * One request permit. KEYS: the window (a sorted set: a request's score is the time it may have
 * reached the provider by), the pause key, and optionally the run's request counter. ARGV: max,
 * window ms, a unique member, how long a request may be in flight (ms), counter ttl (ms).
 * A granted request is scored "in flight" (now + the in-flight time) until {@link STAMP} scores
 * it with the time its answer came: the provider saw it at the latest then. So every request
 * the provider may count in a window is still in the set, however long the request took.
 * Returns 0 when granted, else the ms to wait (a pause, or until the oldest request leaves the
 * window; a short poll while all are in flight). Time is Redis's, so the workers' clocks do not matter.
 */
export const PERMIT = lua(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local flight = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now + flight, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + flight)
  if KEYS[3] then
    redis.call('INCR', KEYS[3])
    redis.call('PEXPIRE', KEYS[3], ARGV[5])
  end
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then return 10 end
return math.max(1, oldest + window - now + 1)`)

/** Scores a finished request with the time (Redis's) its answer came. KEYS[1] the window; ARGV[1] the member. */
export const STAMP = lua(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 1`)

/** Pauses the provider for ARGV[1] ms, unless a longer pause is already set. KEYS[1] the pause key. */
export const PAUSE = lua(`if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1`)

/**
 * Schedules grants in a run. KEYS: stats, grants set. ARGV: now (ms), ttl (s), then members
 * (`provider\nkey`). Returns, per member, 1 when new to the run. Counts `scheduled`, sets
 * `started` once, and clears `finished` when something new was added.
 */
export const SCHEDULE = lua(`local added = {}
local fresh = 0
for i = 3, #ARGV do
  local n = redis.call('SADD', KEYS[2], ARGV[i])
  added[#added + 1] = n
  fresh = fresh + n
end
redis.call('HSETNX', KEYS[1], 'started', ARGV[1])
if fresh > 0 then
  redis.call('HINCRBY', KEYS[1], 'scheduled', fresh)
  redis.call('HDEL', KEYS[1], 'finished')
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return added`)

/**
 * Records a grant's outcome, once per grant (a changed outcome moves its count). KEYS: stats,
 * outcomes. ARGV: member (`provider\nkey`), status, value (`status|reason`), now (ms), ttl (s).
 * Sets `finished` when every scheduled grant has an outcome.
 */
export const OUTCOME = lua(`local previous = redis.call('HGET', KEYS[2], ARGV[1])
if previous then
  local was = string.match(previous, '^[^|]*')
  if was == ARGV[2] then return 0 end
  redis.call('HINCRBY', KEYS[1], was, -1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
local s = redis.call('HMGET', KEYS[1], 'scheduled', 'done', 'failed', 'needs_consent')
local finished = (tonumber(s[2]) or 0) + (tonumber(s[3]) or 0) + (tonumber(s[4]) or 0)
if finished >= (tonumber(s[1]) or 0) then redis.call('HSETNX', KEYS[1], 'finished', ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1`)
