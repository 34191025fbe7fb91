/**
 * A provider's request rate limit shared by every worker: one permit per request from a sliding
 * window in Redis (a Lua script on Redis's clock), counted when the request is sent; a pause
 * every worker honours when the provider answers 429; and what the provider's rate-limit headers
 * say, learned for the whole fleet. The consumer's `fetch` goes through it, so token requests
 * and the SDK's own retries take permits too.
 *
 * Why counting at sending is enough: the provider counts a request when it arrives, some network
 * delay after it was sent. If that delay varies by at most `marginMs`, any `duration` of arrivals
 * holds only requests sent within `duration + marginMs` — which the fleet limits to `max`. A
 * permit its process could not use at once (an event loop that stalled past half the margin) is
 * not sent late: it keeps its place and the request takes another.
 * @internal
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { retryAfterSeconds } from '../request/http-error.js'
import { evalScript } from '../stores/redis-scripts.js'
import type { ResolvedProvider, ResolvedSyncOptions } from './options.js'
import { type RateLimitInfo, rateLimitInfo } from './rate-limit-headers.js'
import { limiterKeys, PAUSE, PERMIT } from './scripts.js'

/** The run a request belongs to (set around each job), for the per-run request counts. */
export const jobContext = new AsyncLocalStorage<{ run: string }>()

/** Pause after a 429 that says nothing of when to come back, ms. */
const DEFAULT_PAUSE_MS = 1000

/** How long a limit learned from the provider's headers holds unless it is heard again, ms. */
const LEARNED_TTL_MS = 600_000

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

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
  readonly #id = randomBytes(6).toString('hex')
  #counter = 0
  /** The learned limit this process last wrote, and when (performance.now()). */
  #learned: { max: number; at: number } | undefined
  /** Permits dropped because this process could not send their request at once. */
  stalePermits = 0

  constructor(o: ResolvedSyncOptions, provider: ResolvedProvider) {
    this.#o = o
    this.#provider = provider
    this.#keys = limiterKeys(o.prefix, provider.id)
  }

  /**
   * Waits for a permit (counted for the current job's run) that this process got in time to
   * send its request at once: within half the margin of asking for it. A late one keeps its
   * place in the window — it may not be given back, another worker counted on it — and the
   * request asks again, once; a second late permit is used anyway (the process is that slow).
   */
  async acquire(signal?: AbortSignal | null): Promise<void> {
    const { max, windowMs, marginMs } = this.#provider
    const sendWithinMs = marginMs / 2
    let late = 0
    for (;;) {
      if (signal?.aborted) throw signal.reason
      const run = jobContext.getStore()?.run
      const keys = [this.#keys.window, this.#keys.pause, this.#keys.learned]
      if (run) keys.push(this.#keys.requests(run))
      const member = `${this.#id}:${++this.#counter}`
      const asked = performance.now()
      const wait = Number(
        await evalScript(this.#o.redis, PERMIT, keys, [max, windowMs, member, this.#o.keepSeconds * 1000]),
      )
      if (wait <= 0) {
        if (sendWithinMs === 0 || performance.now() - asked <= sendWithinMs || late++ > 0) return
        this.stalePermits++
        continue
      }
      // A little jitter, so waiters that woke together do not all ask at the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 4), signal)
    }
  }

  /** Pauses every worker's requests to the provider for `ms`. */
  async pause(ms: number): Promise<void> {
    await evalScript(this.#o.redis, PAUSE, [this.#keys.pause], [Math.ceil(ms)])
  }

  /**
   * Learns from a response: a limit the provider announces below the configured one (for the
   * configured window, or with no window said) becomes the fleet's for a while; a 429 pauses
   * every worker until the provider says quota returns. Never throws: learning is best effort.
   */
  async learn(response: Response): Promise<void> {
    try {
      const info = rateLimitInfo(response.headers)
      if (response.status === 429) await this.pause(pauseOf(response.headers, info))
      const { limit, windowMs } = info
      if (limit === undefined || limit >= this.#provider.max) return
      if (windowMs !== undefined && windowMs !== this.#provider.duration) return
      const known = this.#learned
      if (known && known.max === limit && performance.now() - known.at < LEARNED_TTL_MS / 10) return
      this.#learned = { max: limit, at: performance.now() }
      await this.#o.redis.set(this.#keys.learned, String(limit), 'PX', LEARNED_TTL_MS)
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
