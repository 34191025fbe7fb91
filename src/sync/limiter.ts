/**
 * A provider's request rate limit shared by every worker: one permit per request from a sliding
 * window in Redis (Lua scripts on Redis's clock) that holds each request until it is answered,
 * and a pause every worker honours when the provider answers 429. The consumer's `fetch` goes through it, so token requests and the SDK's
 * own retries take permits too.
 * @internal
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { retryAfterSeconds } from '../http/refusal.js'
import { evalScript } from '../stores/redis-scripts.js'
import type { ResolvedProvider, ResolvedSyncOptions } from './options.js'
import { limiterKeys, PAUSE, PERMIT, STAMP } from './scripts.js'

/** The run a request belongs to (set around each job), for the per-run request counts. */
export const jobContext = new AsyncLocalStorage<{ run: string }>()

/** Pause after a 429 without a usable `Retry-After`, ms. */
const DEFAULT_PAUSE_MS = 1000

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

/** The pause a 429 asks for, ms. */
export function pauseOf(headers: Headers): number {
  const seconds = retryAfterSeconds(headers)
  return seconds === undefined || seconds <= 0 ? DEFAULT_PAUSE_MS : seconds * 1000
}

/** One provider's share of the fleet's requests. */
export class RequestLimiter {
  readonly #o: ResolvedSyncOptions
  readonly #provider: ResolvedProvider
  readonly #keys: ReturnType<typeof limiterKeys>
  readonly #id = randomBytes(6).toString('hex')
  /** How long a request holds its place before it is answered: its timeout and some. */
  readonly #inFlightMs: number
  #counter = 0

  constructor(o: ResolvedSyncOptions, provider: ResolvedProvider, timeoutMs: number) {
    this.#o = o
    this.#provider = provider
    this.#keys = limiterKeys(o.prefix, provider.id)
    this.#inFlightMs = timeoutMs + 5000
  }

  /**
   * Waits for a permit (counted for the current job's run); resolves its member, to
   * {@link RequestLimiter.stamp} when the request is answered.
   */
  async acquire(signal?: AbortSignal | null): Promise<string> {
    const { max, windowMs } = this.#provider
    for (;;) {
      if (signal?.aborted) throw signal.reason
      const run = jobContext.getStore()?.run
      const keys = [this.#keys.window, this.#keys.pause]
      if (run) keys.push(this.#keys.requests(run))
      const member = `${this.#id}:${++this.#counter}`
      const args = [max, windowMs, member, this.#inFlightMs, this.#o.keepSeconds * 1000]
      const wait = Number(await evalScript(this.#o.redis, PERMIT, keys, args))
      if (wait <= 0) return member
      // A little jitter, so waiters that woke together do not all ask at the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 5), signal)
    }
  }

  /** Scores a finished request with the time its answer (or failure) came. */
  async stamp(member: string): Promise<void> {
    await evalScript(this.#o.redis, STAMP, [this.#keys.window], [member])
  }

  /** Pauses every worker's requests to the provider for `ms`. */
  async pause(ms: number): Promise<void> {
    await evalScript(this.#o.redis, PAUSE, [this.#keys.pause], [Math.ceil(ms)])
  }

  /** `inner` behind the limiter: a permit before each request, stamped when answered; a shared pause after a 429. */
  fetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const member = await this.acquire(init?.signal ?? (input instanceof Request ? input.signal : undefined))
      let response: Response
      try {
        response = await inner(input, init)
      } finally {
        // A failed stamp leaves the request "in flight" until that time runs out: safe, only slower.
        await this.stamp(member).catch(() => {})
      }
      if (response.status === 429) await this.pause(pauseOf(response.headers))
      return response
    }
  }
}
