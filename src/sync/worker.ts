/**
 * A provider's BullMQ worker: runs grant jobs under the provider's limiter, pauses the whole
 * queue on a 429, retries what a retry can fix (5xx, network, store) with backoff and jitter
 * honouring `Retry-After`, and fails the rest at once.
 * @internal
 * @module
 */
import type { Job, Queue, Worker } from 'bullmq'
import type { EciConsumer } from '../consumer.js'
import { EciConfigError, EciError, EciHttpError, EciNetworkError, ErrorCode } from '../errors.js'
import type { GreenButtonConsumer } from '../green-button/connect/consumer.js'
import type { BullMQ } from './bullmq.js'
import { type GrantJobContext, type GrantJobProgress, type GrantJobResult, syncGrant } from './grant-job.js'
import { syncGreenButtonGrant } from './green-button-job.js'
import { jobContext, type RequestLimiter } from './limiter.js'
import type { ResolvedProvider, ResolvedSyncOptions } from './options.js'
import type { RunLog } from './run-log.js'
import type { SyncGrantRef } from './types.js'

/** What a grant's job carries. */
export interface GrantJobData extends SyncGrantRef {
  run: string
}

/** The worker's settings from `work()`. */
export interface WorkerSettings {
  lockDurationMs: number
  stalledIntervalMs: number
  lockTtlMs: number
  lockWaitMs: number
}

/** Codes of failures a later attempt may not meet. */
const TRANSIENT_CODES: readonly string[] = [
  ErrorCode.NETWORK,
  ErrorCode.TIMEOUT,
  ErrorCode.STORE_UNAVAILABLE,
  ErrorCode.GRANT_LOCK_TIMEOUT,
  ErrorCode.GRANT_CONFLICT,
]

/** True when retrying the job may succeed: 5xx, 408, network and store trouble, or an error that is not the SDK's (the sink's). */
export function isTransient(error: unknown): boolean {
  if (error instanceof EciHttpError)
    return error.code === ErrorCode.HTTP_ERROR && (error.status >= 500 || error.status === 408)
  if (error instanceof EciNetworkError) return error.code !== ErrorCode.ABORTED
  if (error instanceof EciConfigError) return false
  if (error instanceof EciError) return TRANSIENT_CODES.includes(error.code)
  return true
}

/** The wait before attempt `attemptsMade + 1`: exponential with jitter, at least the provider's `Retry-After`. */
export function backoffDelay(o: ResolvedSyncOptions, attemptsMade: number, error: unknown): number {
  const ceiling = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.max(0, attemptsMade - 1))
  const jittered = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  const retryAfter = error instanceof EciHttpError && error.retryAfter !== undefined ? error.retryAfter * 1000 : 0
  return Math.max(jittered, retryAfter)
}

const isRateLimited = (error: unknown) => error instanceof EciHttpError && error.status === 429

/** A short, secret-free reason for a failed grant. */
const reasonOf = (error: unknown) => (error instanceof EciError ? error.code : ErrorCode.INTERNAL)

/** Starts the BullMQ worker of one provider. */
export function startProviderWorker(
  o: ResolvedSyncOptions,
  provider: ResolvedProvider,
  parts: {
    mq: BullMQ
    queue: Queue
    consumer: EciConsumer | GreenButtonConsumer
    limiter: RequestLimiter
    log: RunLog
  },
  settings: WorkerSettings,
): Worker<GrantJobData, GrantJobResult> {
  const { mq, queue, limiter, log, consumer } = parts
  const ctx: GrantJobContext = { o, provider, consumer: consumer as EciConsumer, log, ...settings }
  // A Green Button utility's jobs read subscriptions; an ECIS provider's read accounts.
  type Progress = (p: GrantJobProgress) => Promise<void>
  const sync =
    provider.kind === 'green-button'
      ? (ref: GrantJobData, p: Progress) => syncGreenButtonGrant(ctx, consumer as GreenButtonConsumer, ref, p)
      : (ref: GrantJobData, p: Progress) => syncGrant(ctx, ref, p)
  const process = async (job: Job<GrantJobData, GrantJobResult>): Promise<GrantJobResult> => {
    const { key, run } = job.data
    const ref = { key, provider: provider.id }
    try {
      const result = await jobContext.run({ run }, () => sync({ ...ref, run }, (p) => job.updateProgress(p)))
      await log.outcome(run, ref, result.status, result.reason)
      return result
    } catch (error) {
      if (isRateLimited(error)) {
        // The whole provider waits, not just this job; the job goes back to the queue unpenalised.
        const ms = ((error as EciHttpError).retryAfter ?? 1) * 1000
        await Promise.all([queue.rateLimit(ms), limiter.pause(ms)])
        throw mq.Worker.RateLimitError()
      }
      const transient = isTransient(error)
      if (!transient || job.attemptsMade + 1 >= o.attempts) await log.outcome(run, ref, 'failed', reasonOf(error))
      if (!transient) throw new mq.UnrecoverableError(`${reasonOf(error)}: ${(error as Error)?.message ?? error}`)
      throw error
    }
  }
  const worker = new mq.Worker<GrantJobData, GrantJobResult>(queue.name, process, {
    connection: o.redis,
    prefix: o.prefix,
    concurrency: provider.concurrency,
    // Jobs per window; each job sends at least one request, so this never binds before the
    // request limiter does — and BullMQ needs it for queue.rateLimit() to pause workers.
    limiter: { max: provider.max, duration: provider.duration },
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: 3,
    settings: { backoffStrategy: (attemptsMade, _type, error) => backoffDelay(o, attemptsMade, error) },
  })
  // Errors are reported through outcomes and failed jobs; an unlistened 'error' would crash the process.
  worker.on('error', () => {})
  return worker
}
