/**
 * The fleet's request limiter on a real Redis, with a transport that stands in for the provider:
 * a request counts from when it is sent (not until its answer), the fleet sends evenly and keeps
 * within `max` in any `duration + marginMs`, and it learns from the provider's rate-limit headers.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryGrantStore } from '../../src/index.js'
import { RequestLimiter } from '../../src/sync/limiter.js'
import { providerOf, resolveSyncOptions } from '../../src/sync/options.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { mostInWindow } from '../support/windows.js'
import { memorySink } from './support.js'

let redisServer: RedisServer
let redis: Redis
let prefixes = 0

beforeAll(async () => {
  redisServer = await startRedisServer()
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
}, 60_000)

afterAll(async () => {
  redis?.disconnect()
  await redisServer?.close()
})

/** `workers` limiters of one provider on one prefix: what `workers` worker processes hold. */
function fleet(rateLimit: { max: number; duration: number; marginMs?: number }, workers = 1) {
  const o = resolveSyncOptions({
    redis,
    store: memoryGrantStore(),
    sink: memorySink().sink,
    prefix: `l${++prefixes}`,
    providers: { p: { consumer: { issuer: 'https://as.example', clientId: 'c' }, rateLimit } },
  })
  return Array.from({ length: workers }, () => new RequestLimiter(o, providerOf(o, 'p')))
}

/** A transport that records when each request was sent and answers after `latencyMs`. */
function provider(latencyMs: number, answer: (n: number) => Response = () => new Response('{}')) {
  const sent: number[] = []
  const fetch = async () => {
    sent.push(performance.now())
    const n = sent.length
    await new Promise((resolve) => setTimeout(resolve, latencyMs))
    return answer(n)
  }
  return { sent, fetch: fetch as typeof globalThis.fetch }
}

describe('RequestLimiter', () => {
  it('defaults the margin to 40 ms, or 2.5 % of a longer window (at most a minute)', () => {
    const margin = (duration: number, marginMs?: number) => {
      const o = resolveSyncOptions({
        redis,
        store: memoryGrantStore(),
        sink: memorySink().sink,
        providers: {
          p: { consumer: { issuer: 'https://as.example', clientId: 'c' }, rateLimit: { max: 10, duration, marginMs } },
        },
      })
      return [providerOf(o, 'p').marginMs, providerOf(o, 'p').windowMs]
    }
    expect(margin(1000)).toEqual([40, 1040])
    expect(margin(2000)).toEqual([50, 2050])
    expect(margin(60_000)).toEqual([1500, 61_500])
    expect(margin(86_400_000)).toEqual([60_000, 86_460_000])
    // What the app sets stands, 0 included.
    expect(margin(60_000, 0)).toEqual([0, 60_000])
    expect(margin(1000, 25)).toEqual([25, 1025])
  })

  it('sends request max + 1 duration + marginMs after the first was sent, not after its answer came', async () => {
    const [limiter] = fleet({ max: 5, duration: 1000, marginMs: 50 })
    const p = provider(600)
    const send = limiter!.fetch(p.fetch)
    await Promise.all(Array.from({ length: 10 }, () => send('https://rs.example/eci')))
    const sixth = (p.sent[5] as number) - (p.sent[0] as number)
    // Never before the window and margin have passed (less what the first send may have lagged its slot)…
    expect(sixth).toBeGreaterThanOrEqual(1050 - 30)
    // …and not held for the 600 ms answer too (that limiter sent the sixth at 1650 ms or later).
    expect(sixth).toBeLessThan(1600)
  }, 20_000)

  it('lets two workers send at most max in any duration + marginMs between them', async () => {
    const limiters = fleet({ max: 6, duration: 300, marginMs: 100 }, 2)
    const p = provider(30)
    await Promise.all(
      limiters.flatMap((l) => Array.from({ length: 20 }, () => l.fetch(p.fetch)('https://rs.example/eci'))),
    )
    expect(p.sent).toHaveLength(40)
    // Local send times: the permits were spaced on Redis's clock, the margin covers the replies' jitter.
    expect(mostInWindow(p.sent, 300)).toBeLessThanOrEqual(6)
  }, 20_000)

  it('learns a lower limit the provider announces (RateLimit-Policy) for every worker of the fleet', async () => {
    const [first, second] = fleet({ max: 10, duration: 1000, marginMs: 20 }, 2)
    const policy = () => new Response('{}', { headers: { 'RateLimit-Policy': '"default";q=4;w=1' } })
    const p = provider(0, policy)
    await first!.fetch(p.fetch)('https://rs.example/eci')
    await Promise.all(Array.from({ length: 6 }, () => second!.fetch(p.fetch)('https://rs.example/eci')))
    // The slot after the first was reserved at the configured pace (102 ms on), the next ones
    // (1000 + 20) / 4 = 255 ms apart: 5 in the first second, where the configured pace sends 7.
    // A request is never sent before its slot, so a busy machine can only make it fewer.
    const start = p.sent[0] as number
    expect(p.sent.filter((t) => t - start < 1000).length).toBeLessThanOrEqual(5)
    expect(p.sent).toHaveLength(7)
  }, 20_000)

  it('ignores an announced limit for another window, and a higher one', async () => {
    const [limiter] = fleet({ max: 6, duration: 1000, marginMs: 20 })
    const answers = ['"d";q=2;w=60', '"d";q=50;w=1']
    const p = provider(0, (n) => new Response('{}', { headers: { 'RateLimit-Policy': answers[n % 2]! } }))
    for (let i = 0; i < 2; i++) await limiter!.fetch(p.fetch)('https://rs.example/eci')
    await Promise.all(Array.from({ length: 4 }, () => limiter!.fetch(p.fetch)('https://rs.example/eci')))
    // (1000 + 20) / 6 = 170 ms apart, as configured; a limit of 2 would have made it 510.
    const span = (p.sent[5] as number) - (p.sent[0] as number)
    expect(span / 5).toBeGreaterThanOrEqual(170 - 5)
    expect(span / 5).toBeLessThan(340)
  }, 20_000)

  it('pauses every worker after a 429 until the RateLimit reset when there is no Retry-After', async () => {
    const [first, second] = fleet({ max: 100, duration: 1000 }, 2)
    const limited = () => new Response('{}', { status: 429, headers: { RateLimit: '"default";r=0;t=2' } })
    const refused = provider(0, limited)
    const response = await first!.fetch(refused.fetch)('https://rs.example/eci')
    expect(response.status).toBe(429)
    const ok = provider(0)
    await second!.fetch(ok.fetch)('https://rs.example/eci')
    expect((ok.sent[0] as number) - (refused.sent[0] as number)).toBeGreaterThanOrEqual(2000 - 10)
  }, 20_000)
})
