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
    /** A lower `max` the provider announced (its rate-limit headers), while it lasts. */
    learned: `${tag}:learned`,
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
 * One request permit. KEYS: the window (a sorted set of the permits' times), the pause key, the
 * learned limit, and optionally the run's request counter. ARGV: max, window ms (the provider's
 * duration + the margin), a unique member, counter ttl (ms). A permit is scored with the time
 * it was granted — its request is sent at once — and counts for one window from then: the fleet
 * grants at most `max` (or the lower learned limit) in any window. Returns 0 when granted, else
 * the ms to wait (a pause, or until enough permits leave the window). Time is Redis's, so the
 * workers' clocks do not matter.
 */
export const PERMIT = lua(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local max = tonumber(ARGV[1])
local learned = redis.call('GET', KEYS[3])
if learned and tonumber(learned) and tonumber(learned) < max then max = tonumber(learned) end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZCARD', KEYS[1])
if held < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  if KEYS[4] then
    redis.call('INCR', KEYS[4])
    redis.call('PEXPIRE', KEYS[4], ARGV[4])
  end
  return 0
end
local pivot = tonumber(redis.call('ZRANGE', KEYS[1], held - max, held - max, 'WITHSCORES')[2])
return math.max(1, pivot + window - now)`)

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
