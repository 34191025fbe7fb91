/**
 * The one retry policy of the SDK: which failures are retried, what is safe to resend, how
 * often and how long to wait (exponential backoff with full jitter, or the provider's
 * `Retry-After`). ECI calls and OAuth calls retry through it, each attempt built anew.
 * @module
 */
import { EciConfigError, EciHttpError, EciNetworkError, ErrorCode } from '../errors.js'

/** Retry policy of ECI calls. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (0 disables retrying).
   * @default 2
   */
  limit?: number
  /**
   * Upper bound of one backoff wait, in milliseconds.
   * @default 10_000
   */
  backoffLimit?: number
  /**
   * Longest `Retry-After` waited for, in milliseconds; a longer one fails the call at once with
   * the provider's `retryAfter` on the error, so that a job scheduler can decide.
   * @default 60_000
   */
  maxRetryAfter?: number
  /**
   * Whether a per-attempt timeout is retried.
   * @default true
   */
  retryOnTimeout?: boolean
}

/** Statuses that are retried: rate limited, and the gateway/availability family. */
export const RETRY_STATUS_CODES: readonly number[] = [429, 502, 503, 504]

/** {@link RetryOptions} with every field settled. */
export type ResolvedRetry = Readonly<Required<RetryOptions>>

/** Expands `retry: number | RetryOptions` once, with defaults. */
export function normalizeRetry(retry: unknown): ResolvedRetry {
  if (retry !== undefined && typeof retry !== 'number' && (retry === null || typeof retry !== 'object')) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, '`retry` must be a number or an object')
  }
  const shorthand = typeof retry === 'number'
  const given = (shorthand ? { limit: retry } : (retry ?? {})) as RetryOptions
  const resolved = {
    limit: given.limit ?? 2,
    backoffLimit: given.backoffLimit ?? 10_000,
    maxRetryAfter: given.maxRetryAfter ?? 60_000,
    retryOnTimeout: given.retryOnTimeout ?? true,
  }
  for (const key of ['limit', 'backoffLimit', 'maxRetryAfter'] as const) {
    const v = resolved[key]
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < 0 ||
      (key === 'limit' && (!Number.isInteger(v) || v > 10))
    ) {
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `\`${shorthand ? 'retry' : `retry.${key}`}\` must be a ${key === 'limit' ? 'whole number from 0 to 10' : 'non-negative number of milliseconds'}`,
      )
    }
  }
  if (typeof resolved.retryOnTimeout !== 'boolean') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, '`retry.retryOnTimeout` must be a boolean')
  }
  return Object.freeze(resolved)
}

const BASE_DELAY_MS = 300

/**
 * What a failed request may be sent again after:
 * - `'any'`: every retryable failure — requests that change nothing, or that are new requests
 *   each time (an ECI POST carries a new request JWT, a GET changes nothing).
 * - `'unprocessed'`: only failures that show the request was not processed — a 429 or 503
 *   answer, or a connection refused before anything was sent. Token requests: a refresh token
 *   or a code sent twice may end the grant.
 */
export type Resend = 'any' | 'unprocessed'

/** Root causes that prove nothing reached the server. */
const NOTHING_SENT = new Set(['ECONNREFUSED'])

/** Whether `error` is one that {@link Resend} `'unprocessed'` may send again. */
function unprocessed(error: unknown): boolean {
  if (error instanceof EciHttpError) return error.status === 429 || error.status === 503
  return error instanceof EciNetworkError && error.code === ErrorCode.NETWORK && NOTHING_SENT.has(error.rootCause ?? '')
}

/**
 * The wait before retry number `retries + 1`: exponential from `baseMs`, capped at `capMs`, with
 * equal jitter (half fixed, half random, so waiters spread out yet always back off). The one
 * backoff of the SDK: ECI and OAuth retries, lock waits and store writes.
 */
export function backoffDelay(retries: number, capMs: number, baseMs = BASE_DELAY_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retries)
  return ceiling / 2 + (Math.random() * ceiling) / 2
}

/**
 * How long to wait before retry number `retries + 1` after `error`, or `undefined` when the
 * error is not retried (limit reached, not retryable, not safe to resend, or a `Retry-After`
 * beyond `maxRetryAfter`).
 */
export function retryDelay(
  error: unknown,
  retries: number,
  policy: ResolvedRetry,
  resend: Resend = 'any',
): number | undefined {
  if (retries >= policy.limit) return undefined
  if (resend === 'unprocessed' && !unprocessed(error)) return undefined
  const backoff = () => backoffDelay(retries, policy.backoffLimit)
  if (error instanceof EciHttpError) {
    if (error.code !== ErrorCode.HTTP_ERROR || !RETRY_STATUS_CODES.includes(error.status)) return undefined
    if (error.retryAfter === undefined) return backoff()
    const wait = error.retryAfter * 1000
    return wait > policy.maxRetryAfter ? undefined : wait
  }
  if (error instanceof EciNetworkError) {
    if (error.code === ErrorCode.NETWORK) return backoff()
    if (error.code === ErrorCode.TIMEOUT && policy.retryOnTimeout) return backoff()
  }
  return undefined
}

/**
 * Waits `ms`; when `signal` aborts first, rejects with an `ERR_ECI_ABORTED` network error naming
 * `what` ("The token refresh"), or, without `what`, with the signal's own reason (for a caller
 * inside a `fetch`, whose boundary maps a deadline's `TimeoutError` to `ERR_ECI_TIMEOUT`). The
 * one sleep of the SDK: retries, lock waits, store writes, the sync's limiter and run polling.
 */
export function sleep(ms: number, signal?: AbortSignal | null, what?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () =>
      what === undefined
        ? signal?.reason
        : new EciNetworkError(ErrorCode.ABORTED, `${what} was aborted`, { cause: signal?.reason })
    if (signal?.aborted) return reject(aborted())
    const onAbort = () => {
      clearTimeout(timer)
      reject(aborted())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** How {@link withRetries} retries. */
export interface RetryRun {
  policy: ResolvedRetry
  /** What may be resent. @default 'any' */
  resend?: Resend | undefined
  /** Ends the waits between attempts. */
  signal?: AbortSignal | undefined
  /** What is retried, for the abort message ("The token refresh"). */
  what?: string | undefined
  /** Told of each retry before its wait. */
  onRetry?: ((error: unknown, delayMs: number, attempt: number) => void) | undefined
  /** Asked before a retry the policy allows; `false` ends the run with `error`. */
  mayRetry?: ((error: unknown) => boolean | Promise<boolean>) | undefined
}

/**
 * Runs `attempt` until it succeeds or {@link retryDelay} says stop, waiting in between. Each
 * attempt must build its request anew: a new request JWT, client assertion and DPoP proof (a
 * spent `jti` is refused). Every retry loop of the SDK is this one: ECI calls, OAuth calls.
 */
export async function withRetries<T>(attempt: (number: number) => Promise<T>, run: RetryRun): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await attempt(retries + 1)
    } catch (error) {
      const wait = retryDelay(error, retries, run.policy, run.resend)
      if (wait === undefined || run.signal?.aborted) throw error
      if (run.mayRetry && !(await run.mayRetry(error))) throw error
      run.onRetry?.(error, wait, retries + 1)
      await sleep(wait, run.signal, run.what ?? 'The request')
    }
  }
}
