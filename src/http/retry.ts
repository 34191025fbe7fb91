/**
 * The retry policy of ECI calls: which failures are retried, how often and how long to wait
 * (exponential backoff with full jitter, or the provider's `Retry-After`). The client signs a
 * new request JWT for every attempt.
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
 * How long to wait before retry number `retries + 1` after `error`, or `undefined` when the
 * error is not retried (limit reached, not retryable, or a `Retry-After` beyond `maxRetryAfter`).
 */
export function retryDelay(error: unknown, retries: number, policy: ResolvedRetry): number | undefined {
  if (retries >= policy.limit) return undefined
  const backoff = () => Math.random() * Math.min(policy.backoffLimit, BASE_DELAY_MS * 2 ** retries)
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

/** Waits `ms`, or rejects with an ABORTED network error when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new EciNetworkError(ErrorCode.ABORTED, 'The ECI call was aborted', { cause: signal?.reason })
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

/**
 * Runs `attempt` until it succeeds or {@link retryDelay} says stop, waiting in between (the
 * wait ends early when `signal` aborts). `attempt` must sign anew each time: a spent `jti` is
 * refused.
 */
export async function withRetries<T>(
  attempt: (number: number) => Promise<T>,
  policy: ResolvedRetry,
  signal: AbortSignal | undefined,
  onRetry?: (error: unknown, delayMs: number, number: number) => void,
): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await attempt(retries + 1)
    } catch (error) {
      const wait = retryDelay(error, retries, policy)
      if (wait === undefined || signal?.aborted) throw error
      onRetry?.(error, wait, retries + 1)
      await sleep(wait, signal)
    }
  }
}
