/**
 * The `rateLimit` option of a sync provider, ECIS or Green Button (its own module, so that the
 * providers' option types share it without importing each other).
 * @module
 */

/** A provider's request rate limit, shared by every worker of the fleet. */
export interface SyncRateLimit {
  /** Requests allowed per `duration` (a positive whole number). */
  max: number
  /** The window, ms. */
  duration: number
  /**
   * How much the time from a request's permit to the provider counting it may vary, ms: network
   * jitter, a new connection's handshake, a stalled event loop. The fleet counts each request
   * when it is sent and lets at most `max` go in any `duration + marginMs`, so the provider sees
   * at most `max` in any `duration` while that variation stays within the margin — and the
   * fleet runs at up to `duration / (duration + marginMs)` of the limit. A permit the worker got
   * more than `marginMs / 2` after asking (its event loop stalled) is not used: it keeps its
   * place, and the request asks again (twice at most). `0` trusts network and workers completely. Raise
   * it if the provider still answers 429; the provider's rate-limit headers are learned too
   * (docs/sync.md).
   * @default 40 ms, or 2.5 % of `duration` where that is more (1.5 s for a per-minute limit), at most 60 s
   */
  marginMs?: number | undefined
}
