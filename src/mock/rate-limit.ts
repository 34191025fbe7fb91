/**
 * The provider's per-client rate limit at the ECI endpoint: a strict sliding window over the
 * arrival times of the requests it accepted, and the rate-limit header fields it answers with.
 * @module
 */
/** A sliding-window rate limit. */
export interface MockRateLimit {
  /** Requests accepted per window (a positive whole number). */
  max: number
  /** The window, ms (positive). */
  windowMs: number
  /**
   * The rate-limit fields on every ECI answer to the client: `'ietf'`
   * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy: "default";q=<max>;w=<s>` — only
   * for a window of whole seconds — and `RateLimit: "default";r=<remaining>;t=<s>`),
   * `'x-ratelimit'` (`X-RateLimit-Limit`, `-Remaining`, `-Reset` in epoch seconds), or `'none'`.
   * @default 'ietf'
   */
  headers?: 'ietf' | 'x-ratelimit' | 'none' | undefined
}

/** The outcome of {@link SlidingWindow.take}. */
export interface WindowAnswer {
  /** 0 when accepted, else the ms until the request would be. */
  wait: number
  /** Requests left in the window that ends at the request's arrival. */
  remaining: number
  /** Ms until another request would be accepted (0 when one would be now). */
  resetMs: number
}

/** How far back a request's arrival may lie behind the latest one and still be judged exactly, ms. */
const LATE_MS = 60_000

/**
 * At most `max` accepted requests in any `windowMs` of arrival times — the times the provider's
 * call log records — however the requests' checks interleave: an arrival judged after a later
 * one is placed in time order and checked against every window it falls in.
 */
export class SlidingWindow {
  readonly #max: number
  readonly #windowMs: number
  /** Accepted arrival times, in order, from `#head` on. */
  #times: number[] = []
  #head = 0

  constructor({ max, windowMs }: MockRateLimit) {
    this.#max = max
    this.#windowMs = windowMs
  }

  /** Accepts a request that arrived at `at` (ms), or says how long until it would be accepted. */
  take(at: number): WindowAnswer {
    const W = this.#windowMs
    const latest = this.#times.at(-1) ?? at
    this.#forget(Math.max(latest, at) - W - LATE_MS)
    if (at < latest - LATE_MS) return { wait: W, remaining: 0, resetMs: W }
    const times = this.#times
    // Insert after equal times: the place the arrival takes in time order.
    let p = times.length
    while (p > this.#head && (times[p - 1] as number) > at) p--
    const at_ = (i: number) => (i < p ? times[i] : i === p ? at : times[i - 1]) as number
    const end = times.length + 1
    // Every run of max + 1 accepted arrivals holding this one must span at least the window.
    let wait = 0
    for (let k = Math.max(this.#head, p - this.#max); k <= p && k + this.#max < end; k++) {
      const span = at_(k + this.#max) - at_(k)
      if (span < W) wait = Math.max(wait, W - span)
    }
    if (wait > 0) return { wait, remaining: 0, resetMs: wait }
    times.splice(p, 0, at)
    return { wait: 0, ...this.#state(at) }
  }

  /** The quota left in the window ending at `at` (accepted), and when the next request would be accepted. */
  #state(at: number): Omit<WindowAnswer, 'wait'> {
    const times = this.#times
    let last = times.length
    while (last > this.#head && (times[last - 1] as number) > at) last--
    let first = last
    while (first > this.#head && (times[first - 1] as number) > at - this.#windowMs) first--
    const remaining = Math.max(0, this.#max - (last - first))
    const resetMs = remaining > 0 ? 0 : (times[last - this.#max] as number) + this.#windowMs - at
    return { remaining, resetMs }
  }

  /** Drops arrivals at or before `before`. */
  #forget(before: number): void {
    const times = this.#times
    while (this.#head < times.length && (times[this.#head] as number) <= before) this.#head++
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head)
      this.#head = 0
    }
  }
}

/** The rate-limit header fields of an answer, in the client's chosen style. */
export function rateLimitFields(limit: MockRateLimit, answer: WindowAnswer, now: number): Record<string, string> {
  const style = limit.headers ?? 'ietf'
  const resetSeconds = Math.ceil(answer.resetMs / 1000)
  if (style === 'x-ratelimit') {
    return {
      'X-RateLimit-Limit': String(limit.max),
      'X-RateLimit-Remaining': String(answer.remaining),
      'X-RateLimit-Reset': String(Math.ceil((now + answer.resetMs) / 1000)),
    }
  }
  if (style === 'none') return {}
  const fields: Record<string, string> = { RateLimit: `"default";r=${answer.remaining};t=${resetSeconds}` }
  if (limit.windowMs % 1000 === 0) fields['RateLimit-Policy'] = `"default";q=${limit.max};w=${limit.windowMs / 1000}`
  return fields
}

/** Checks a client's `rateLimit` option; returns an error message or `undefined`. */
export function rateLimitProblem(limit: unknown): string | undefined {
  if (limit === undefined) return undefined
  const { max, windowMs, headers } = (limit ?? {}) as Partial<MockRateLimit>
  if (!Number.isInteger(max) || (max as number) < 1) return '`rateLimit.max` must be a positive whole number'
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0) {
    return '`rateLimit.windowMs` must be a positive number of milliseconds'
  }
  if (headers !== undefined && !['ietf', 'x-ratelimit', 'none'].includes(headers)) {
    return "`rateLimit.headers` must be 'ietf', 'x-ratelimit' or 'none'"
  }
  return undefined
}
