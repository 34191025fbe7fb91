/**
 * The provider's per-client rate limit at the ECI endpoint: a sliding window over the times of
 * the requests it answered.
 * @module
 */
/** A sliding-window rate limit. */
export interface MockRateLimit {
  /** Requests answered per window (a positive whole number). */
  max: number
  /** The window, ms (positive). */
  windowMs: number
}

/** At most `max` accepted requests in any `windowMs`. */
export class SlidingWindow {
  readonly #max: number
  readonly #windowMs: number
  /** Accepted request times, oldest first, from `#head` on. */
  #times: number[] = []
  #head = 0

  constructor({ max, windowMs }: MockRateLimit) {
    this.#max = max
    this.#windowMs = windowMs
  }

  /** Accepts a request at `now` (ms) and returns 0, or returns the ms until a slot frees. */
  take(now: number): number {
    const times = this.#times
    while (this.#head < times.length && (times[this.#head] as number) <= now - this.#windowMs) this.#head++
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head)
      this.#head = 0
    }
    if (this.#times.length - this.#head < this.#max) {
      this.#times.push(now)
      return 0
    }
    return (this.#times[this.#head] as number) + this.#windowMs - now
  }
}

/** Checks a client's `rateLimit` option; returns an error message or `undefined`. */
export function rateLimitProblem(limit: unknown): string | undefined {
  if (limit === undefined) return undefined
  const { max, windowMs } = (limit ?? {}) as Partial<MockRateLimit>
  if (!Number.isInteger(max) || (max as number) < 1) return '`rateLimit.max` must be a positive whole number'
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    return '`rateLimit.windowMs` must be a positive number of milliseconds'
  }
  return undefined
}
