/** What the sync reads from a provider's rate-limit header fields, in each style providers send. */
import { describe, expect, it } from 'vitest'
import { pauseOf } from '../../src/sync/limiter.js'
import { rateLimitInfo } from '../../src/sync/rate-limit-headers.js'

const h = (fields: Record<string, string>) => new Headers(fields)

describe('rateLimitInfo', () => {
  it('reads the current IETF draft: RateLimit-Policy (q, w) and RateLimit (r, t) of the named policy', () => {
    expect(
      rateLimitInfo(
        h({ 'RateLimit-Policy': '"burst";q=100;w=1, "daily";q=5000;w=86400', RateLimit: '"burst";r=42;t=1' }),
      ),
    ).toEqual({ limit: 100, windowMs: 1000, remaining: 42, resetMs: 1000 })
    expect(rateLimitInfo(h({ 'RateLimit-Policy': '"a";q=10;w=60, "b";q=3;w=1', RateLimit: '"b";r=0;t=1' }))).toEqual({
      limit: 3,
      windowMs: 1000,
      remaining: 0,
      resetMs: 1000,
    })
  })

  it('reads draft-07 (`100;w=1`, `limit=…, remaining=…, reset=…`) and the earlier drafts’ RateLimit-Limit/-Remaining/-Reset', () => {
    expect(rateLimitInfo(h({ 'RateLimit-Policy': '100;w=2', RateLimit: 'limit=100, remaining=7, reset=1' }))).toEqual({
      limit: 100,
      windowMs: 2000,
      remaining: 7,
      resetMs: 1000,
    })
    expect(rateLimitInfo(h({ 'RateLimit-Limit': '50', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '3' }))).toEqual({
      limit: 50,
      remaining: 0,
      resetMs: 3000,
    })
  })

  it('reads X-RateLimit-*: the reset as delta seconds, as epoch seconds (GitHub), or -Reset-After', () => {
    const now = 1_700_000_000_000
    expect(
      rateLimitInfo(h({ 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '3', 'X-RateLimit-Reset': '2' }), now),
    ).toEqual({
      limit: 20,
      remaining: 3,
      resetMs: 2000,
    })
    expect(rateLimitInfo(h({ 'X-RateLimit-Reset': '1700000005' }), now)).toEqual({ resetMs: 5000 })
    expect(rateLimitInfo(h({ 'X-RateLimit-Reset-After': '0.25', 'X-RateLimit-Reset': '9' }), now)).toEqual({
      resetMs: 250,
    })
  })

  it('ignores what is not a count: nothing, garbage, negative or fractional quotas', () => {
    expect(rateLimitInfo(h({}))).toEqual({})
    expect(
      rateLimitInfo(h({ 'X-RateLimit-Limit': 'lots', 'RateLimit-Remaining': '-1', 'RateLimit-Limit': '2.5' })),
    ).toEqual({})
    expect(rateLimitInfo(h({ 'RateLimit-Policy': '"p";q=0;w=1' }))).toEqual({ windowMs: 1000 })
  })
})

describe('pauseOf (a 429)', () => {
  it('is Retry-After, else the RateLimit reset, else one second', () => {
    expect(pauseOf(h({ 'Retry-After': '3', RateLimit: '"d";r=0;t=9' }))).toBe(3000)
    expect(pauseOf(h({ RateLimit: '"d";r=0;t=2' }))).toBe(2000)
    expect(pauseOf(h({ 'X-RateLimit-Reset-After': '0.4' }))).toBe(400)
    expect(pauseOf(h({}))).toBe(1000)
  })
})
