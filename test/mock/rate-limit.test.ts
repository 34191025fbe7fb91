/**
 * The mock provider's rate limit: strict on the arrival times its call log records, however
 * the requests' checks interleave, and the rate-limit fields it answers with.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rateLimitFields, SlidingWindow } from '../../src/mock/rate-limit.js'
import { mostInWindow } from '../support/windows.js'

describe('mock SlidingWindow', () => {
  it('never accepts more than max in any window, even when arrivals are judged out of order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 10, max: 200 }),
        // Arrival times, and how much later each is judged (its checks took that long).
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 80 })), { maxLength: 60 }),
        (max, windowMs, requests) => {
          const window = new SlidingWindow({ max, windowMs })
          const arrivals = [...requests].sort((a, b) => a[0] - b[0])
          const judged = arrivals.map(([at, lag]) => ({ at, when: at + lag })).sort((a, b) => a.when - b.when)
          const accepted = judged.filter(({ at }) => window.take(at).wait === 0).map(({ at }) => at)
          expect(mostInWindow(accepted, windowMs)).toBeLessThanOrEqual(max)
        },
      ),
    )
  })

  it('accepts exactly max per window at a steady pace, and says when the next one would be', () => {
    const window = new SlidingWindow({ max: 3, windowMs: 1000 })
    expect([0, 1, 2].map((t) => window.take(t).wait)).toEqual([0, 0, 0])
    expect(window.take(999)).toEqual({ wait: 1, remaining: 0, resetMs: 1 })
    expect(window.take(1000)).toEqual({ wait: 0, remaining: 0, resetMs: 1 })
    expect(window.take(1500)).toEqual({ wait: 0, remaining: 1, resetMs: 0 }) // (500, 1500] holds 1000 and 1500
  })

  it('refuses an early arrival judged late when a full window already follows it', () => {
    const window = new SlidingWindow({ max: 2, windowMs: 100 })
    expect(window.take(50).wait).toBe(0)
    expect(window.take(120).wait).toBe(0)
    // Arrived at 40, judged now: [40, 50, 120] would put three in [40, 140).
    expect(window.take(40).wait).toBeGreaterThan(0)
    expect(window.take(200).wait).toBe(0)
  })
})

describe('mock rate-limit fields', () => {
  it('answers the IETF draft fields by default, the policy only for whole-second windows', () => {
    const answer = { wait: 0, remaining: 7, resetMs: 0 }
    expect(rateLimitFields({ max: 10, windowMs: 1000 }, answer, 0)).toEqual({
      RateLimit: '"default";r=7;t=0',
      'RateLimit-Policy': '"default";q=10;w=1',
    })
    expect(rateLimitFields({ max: 10, windowMs: 500 }, { wait: 0, remaining: 0, resetMs: 120 }, 0)).toEqual({
      RateLimit: '"default";r=0;t=1',
    })
  })

  it('answers X-RateLimit-* with the reset in epoch seconds, or nothing', () => {
    const answer = { wait: 0, remaining: 0, resetMs: 1500 }
    expect(rateLimitFields({ max: 5, windowMs: 2000, headers: 'x-ratelimit' }, answer, 1_700_000_000_000)).toEqual({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1700000002',
    })
    expect(rateLimitFields({ max: 5, windowMs: 2000, headers: 'none' }, answer, 0)).toEqual({})
  })
})
