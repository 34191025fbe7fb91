/**
 * A provider's request rate limit shared by every worker: each request reserves a sending slot
 * (a Lua script on Redis's clock) and is counted when it is sent; slots are
 * `(duration + marginMs) / max` apart, so the fleet sends evenly and at most `max` in any
 * `duration + marginMs`. A 429 pauses every worker; what the provider's rate-limit headers say
 * is learned for the whole fleet. The consumer's `fetch` goes through it, so token requests and
 * the SDK's own retries take slots too.
 *
 * Why counting at sending is enough: the provider counts a request when it arrives, some network
 * delay after it was sent. If that delay varies by at most `marginMs`, any `duration` of arrivals
 * holds only requests sent within `duration + marginMs` — at most `max`. A slot its process
 * missed (an event loop that stalled past half the margin) is not used late: the request takes
 * another. A 429 all the same says the delays vary more than that: the fleet widens its margin.
 * @internal
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { retryAfterSeconds } from '../http/refusal.js'
import { sleep } from '../http/retry.js'
import { evalScript } from '../stores/redis-scripts.js'
import type { ResolvedProvider, ResolvedSyncOptions } from './options.js'
import { type RateLimitInfo, rateLimitInfo } from './rate-limit-headers.js'
import { LEARN, limiterKeys, PAUSE, PERMIT } from './scripts.js'

/** The run a request belongs to (set around each job), for the per-run request counts. */
export const jobContext = new AsyncLocalStorage<{ run: string }>()

/** Pause after a 429 that says nothing of when to come back, ms. */
const DEFAULT_PAUSE_MS = 1000

/** How far ahead a sending slot may be reserved, ms: requests already this close still leave in a pause that begins. */
const HORIZON_MS = 250

/** How long a limit learned from the provider's headers holds unless it is heard again, ms. */
const LEARNED_TTL_MS = 600_000

/** The pause a 429 asks for, ms: its `Retry-After`, else when its rate-limit headers say quota returns. */
export function pauseOf(headers: Headers, info: RateLimitInfo = rateLimitInfo(headers)): number {
  const seconds = retryAfterSeconds(headers)
  if (seconds !== undefined && seconds > 0) return seconds * 1000
  return info.resetMs !== undefined && info.resetMs > 0 ? info.resetMs : DEFAULT_PAUSE_MS
}

/** One provider's share of the fleet's requests. */
export class RequestLimiter {
  readonly #o: ResolvedSyncOptions
  readonly #provider: ResolvedProvider
  readonly #keys: ReturnType<typeof limiterKeys>
  /** The learned limit this process last wrote, and when (performance.now()). */
  #learned: { max: number; at: number } | undefined
  /** The widest margin this process learned from a 429, ms. */
  #margin = 0
  /** The end of the last pause this process set (performance.now()). */
  #pausedUntil = 0
  /** Permits dropped because this process could not send their request at once. */
  stalePermits = 0

  constructor(o: ResolvedSyncOptions, provider: ResolvedProvider) {
    this.#o = o
    this.#provider = provider
    this.#keys = limiterKeys(o.prefix, provider.id)
  }

  /**
   * Waits for this request's sending slot (counted for the current job's run) and resolves when
   * it comes. A slot this process missed by more than half the margin (its event loop stalled)
   * is not used — sent late it would crowd the requests after it — and the request takes
   * another, at most twice; the third is used as it comes (the process is that slow). A slot
   * that falls in a pause this process learned of (its own 429) is not used either.
   */
  async acquire(signal?: AbortSignal | null): Promise<void> {
    const { max, duration, marginMs } = this.#provider
    const sendWithinMs = marginMs / 2
    let renewals = 0
    let counted = false
    for (;;) {
      if (signal?.aborted) throw signal.reason
      const run = jobContext.getStore()?.run
      const keys = [this.#keys.next, this.#keys.pause, this.#keys.learned]
      if (run) keys.push(this.#keys.requests(run))
      const args = [max, duration, marginMs, HORIZON_MS, this.#o.keepSeconds * 1000, counted ? '0' : '1']
      const asked = performance.now()
      const [reserved, wait] = ((await evalScript(this.#o.redis, PERMIT, keys, args)) as number[]).map(Number)
      if (!reserved) {
        // A little jitter, so waiters that woke together do not all ask at the same millisecond.
        await sleep((wait as number) + Math.floor(Math.random() * 10), signal)
        continue
      }
      counted = true
      if ((wait as number) > 0) await sleep(wait as number, signal)
      const now = performance.now()
      if (now < this.#pausedUntil) continue
      if (sendWithinMs === 0 || now - (asked + (wait as number)) <= sendWithinMs || renewals >= 2) return
      renewals++
      this.stalePermits++
    }
  }

  /** Pauses every worker's requests to the provider for `ms`. */
  async pause(ms: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms)
    await evalScript(this.#o.redis, PAUSE, [this.#keys.pause], [Math.ceil(ms)])
  }

  /**
   * Learns from a response, for the whole fleet: a limit the provider announces below the
   * configured one (for the configured window, or with no window said) becomes the fleet's for a
   * while. A 429 pauses every worker until the provider says quota returns, and — the fleet kept
   * to the limit, so the requests' delays varied more than the margin — doubles the margin for a
   * while (at least 50 ms, at most half the duration). Never throws: learning is best effort.
   */
  async learn(response: Response): Promise<void> {
    try {
      const info = rateLimitInfo(response.headers)
      if (response.status === 429) {
        const { duration, marginMs } = this.#provider
        const wider = Math.min(Math.floor(duration / 2), Math.max(50, marginMs * 2, this.#margin * 2))
        const [, margin] = await Promise.all([
          this.pause(pauseOf(response.headers, info)),
          evalScript(this.#o.redis, LEARN, [this.#keys.learned], ['margin', wider, LEARNED_TTL_MS]),
        ])
        this.#margin = Number(margin)
      }
      const { limit, windowMs } = info
      if (limit === undefined || limit >= this.#provider.max) return
      if (windowMs !== undefined && windowMs !== this.#provider.duration) return
      const known = this.#learned
      if (known && known.max === limit && performance.now() - known.at < LEARNED_TTL_MS / 10) return
      this.#learned = { max: limit, at: performance.now() }
      await evalScript(this.#o.redis, LEARN, [this.#keys.learned], ['max', limit, LEARNED_TTL_MS])
    } catch {
      // Redis trouble here only costs what the headers could have taught; the request stands.
    }
  }

  /** `inner` behind the limiter: a permit before each request, learning from each answer. */
  fetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      await this.acquire(init?.signal ?? (input instanceof Request ? input.signal : undefined))
      const response = await inner(input, init)
      await this.learn(response)
      return response
    }
  }
}
