/**
 * The retry policy of ECI calls: which failures are retried, how often and how long to wait.
 * ky does the waiting (exponential backoff with full jitter, `Retry-After` in seconds or as an
 * HTTP-date); the client re-signs the request JWT before every attempt.
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'

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
   * Longest `Retry-After` honoured, in milliseconds; a longer one fails the call at once with
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
export function normalizeRetry(retry: number | RetryOptions | undefined): ResolvedRetry {
  const given: RetryOptions = typeof retry === 'number' ? { limit: retry } : (retry ?? {})
  if (typeof given !== 'object')
    throw new EciConfigError(ErrorCode.INVALID_OPTION, '`retry` must be a number or an object')
  const resolved = {
    limit: given.limit ?? 2,
    backoffLimit: given.backoffLimit ?? 10_000,
    maxRetryAfter: given.maxRetryAfter ?? 60_000,
    retryOnTimeout: given.retryOnTimeout ?? true,
  }
  for (const key of ['limit', 'backoffLimit', 'maxRetryAfter'] as const) {
    const v = resolved[key]
    if (!Number.isFinite(v) || v < 0 || (key === 'limit' && (!Number.isInteger(v) || v > 10))) {
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `\`retry.${key}\` must be a ${key === 'limit' ? 'whole number from 0 to 10' : 'non-negative number of milliseconds'}`,
      )
    }
  }
  return Object.freeze(resolved)
}
