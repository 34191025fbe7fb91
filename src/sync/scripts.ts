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
    /** The next free sending slot, Redis time in ms. */
    next: `${tag}:next`,
    pause: `${tag}:pause`,
    /** What the provider taught (a hash): a lower `max` it announced, a wider `margin` its 429s asked for. */
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
 * One request's sending slot. KEYS: the next free slot (Redis time, ms), the pause key, what was
 * learned from the provider (a hash: a lower `max`, a wider `margin`), and optionally the run's
 * request counter. ARGV: max, duration ms, margin ms, how far ahead a slot may be reserved (ms),
 * counter ttl (ms), '1' to count the request for the run.
 * Slots are `(duration + margin) / max` apart (the lower learned `max`, the wider learned margin),
 * so the fleet sends at most `max` in any `duration + margin`, evenly — a provider counting
 * arrivals sees no burst it must queue. A slot is reserved only within the horizon (and never in
 * a pause), so a pause that begins reaches all but the requests about to leave.
 * Returns { 1, ms until the slot } when reserved, else { 0, ms to wait before asking again }.
 * Time is Redis's, so the workers' clocks do not matter.
 */
export const PERMIT = lua(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local margin = tonumber(ARGV[3])
local learned = redis.call('HMGET', KEYS[3], 'max', 'margin')
if tonumber(learned[1]) and tonumber(learned[1]) < max then max = tonumber(learned[1]) end
if tonumber(learned[2]) and tonumber(learned[2]) > margin then margin = tonumber(learned[2]) end
local spacing = (tonumber(ARGV[2]) + margin) / max
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1])) or 0, now + math.max(0, redis.call('PTTL', KEYS[2])))
local horizon = tonumber(ARGV[4])
if slot - now > horizon then return { 0, math.ceil(slot - now - horizon) } end
redis.call('SET', KEYS[1], tostring(slot + spacing), 'PX', math.ceil(tonumber(ARGV[2]) + margin + horizon))
if KEYS[4] and ARGV[6] == '1' then
  redis.call('INCR', KEYS[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
end
return { 1, math.floor(slot - now) }`)

/**
 * Learns from the provider. KEYS[1] the learned hash. ARGV: field (`max` or `margin`), value,
 * ttl ms. `max` is set as given; `margin` only ever widens while it lasts. Returns the value held.
 */
export const LEARN = lua(`local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
local value = tonumber(ARGV[2])
if ARGV[1] == 'margin' and held and held > value then value = held end
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return value`)

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
