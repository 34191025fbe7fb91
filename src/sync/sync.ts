/**
 * `createEciSync`: the nightly sync of every grant on BullMQ — one queue per provider, one job per
 * grant key per run, workers in as many processes as you like.
 * @module
 */
import type { Queue, Worker } from 'bullmq'
import { EciConsumer } from '../consumer.js'
import { EciConfigError, EciNetworkError, ErrorCode } from '../errors.js'
import { checkStoreKey } from '../grant/store-rules.js'
import { greenButtonConsumer } from '../green-button/connect/consumer.js'
import { sleep } from '../http/retry.js'
import { badOption, defaultFetch, resolveTimeout } from '../resolve.js'
import { type BullMQ, loadBullmq } from './bullmq.js'
import type { GrantJobResult } from './grant-job.js'
import type { NotifyOptions, NotifyResult } from './green-button-types.js'
import { RequestLimiter } from './limiter.js'
import { isWaiting, notifiedKeys } from './notify.js'
import {
  checkName,
  providerOf,
  type ResolvedProvider,
  type ResolvedSyncOptions,
  resolveSyncOptions,
} from './options.js'
import { RunLog } from './run-log.js'
import type {
  EciSyncOptions,
  EciSyncWorker,
  ScheduleOptions,
  ScheduleResult,
  SyncGrantOutcome,
  SyncGrantRef,
  SyncRunSummary,
  WaitForRunOptions,
  WorkOptions,
} from './types.js'
import { type GrantJobData, startProviderWorker } from './worker.js'

/** Grants added to Redis per round trip when scheduling. */
const BATCH = 500

/** The SDK's per-call retries inside a job: small, and a 429 surfaces at once so the queue pauses. */
const SYNC_RETRY = { limit: 1, backoffLimit: 1000, maxRetryAfter: 0 }

/** How long `waitForRun` waits by default: a day, past which a nightly run meets the next one. */
const DEFAULT_WAIT_MS = 86_400_000

/** Today's date in UTC, the default run. */
const today = () => new Date().toISOString().slice(0, 10)

/** The consumer of one provider, its requests taking permits from the provider's shared rate limit. */
async function providerConsumer(provider: ResolvedProvider, limiter: RequestLimiter) {
  const given = provider.config.consumer
  const options = { retry: given.retry ?? SYNC_RETRY, fetch: limiter.fetch(given.fetch ?? defaultFetch) }
  if (provider.config.kind === 'green-button') {
    return greenButtonConsumer({ ...provider.config.consumer, ...options })
  }
  return EciConsumer.discover({ ...provider.config.consumer, ...options })
}

/**
 * A grant's job id, one per (run, key) and never shared by two pairs: a run is letters, digits,
 * `.`, `_` and `-`, and the key has `%`, `/` and `:` percent-encoded, so the first `/` ends the
 * run (`nightly` + `eu.cust-1` and `nightly.eu` + `cust-1` differ). BullMQ ids may not hold `:`.
 * @internal
 */
export const jobId = (run: string, key: string) =>
  `${run}/${key.replace(/[%/:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`

/** The nightly sync; see {@link createEciSync}. */
export class EciSync {
  readonly #o: ResolvedSyncOptions
  readonly #log: RunLog
  readonly #queues = new Map<string, Queue<GrantJobData, GrantJobResult>>()
  readonly #workers = new Set<EciSyncWorker>()

  /** @internal Use {@link createEciSync}. */
  constructor(options: EciSyncOptions) {
    this.#o = resolveSyncOptions(options)
    this.#log = new RunLog(this.#o)
  }

  /** The provider ids. */
  get providers(): string[] {
    return [...this.#o.providers.keys()]
  }

  #queue(provider: string, mq: BullMQ): Queue<GrantJobData, GrantJobResult> {
    let queue = this.#queues.get(provider)
    if (!queue) {
      const keep = { age: this.#o.keepSeconds }
      queue = new mq.Queue<GrantJobData, GrantJobResult>(provider, {
        connection: this.#o.redis,
        prefix: this.#o.prefix,
        defaultJobOptions: {
          attempts: this.#o.attempts,
          backoff: { type: 'custom' },
          removeOnComplete: keep,
          removeOnFail: keep,
        },
      })
      queue.on('error', () => {})
      this.#queues.set(provider, queue)
    }
    return queue
  }

  /**
   * Adds one job per grant to the run: a grant the run holds already is not added again, so
   * scheduling twice (or from two schedulers) fetches nothing twice.
   * @throws {EciConfigError} for an unknown provider, a bad key or run (nothing of the batch is added).
   * @example
   * ```ts
   * declare const sync: EciSync
   * await sync.schedule([{ key: 'customer-42', provider: 'utility-a' }]) // tonight's run
   * ```
   */
  async schedule(
    grants: Iterable<SyncGrantRef> | AsyncIterable<SyncGrantRef>,
    options: ScheduleOptions = {},
  ): Promise<ScheduleResult> {
    const run = options.run === undefined ? today() : checkName(options.run, 'run')
    const mq = await loadBullmq()
    const result: ScheduleResult = { run, scheduled: 0, duplicates: 0 }
    let batch: SyncGrantRef[] = []
    const flush = async () => {
      const added = await this.#log.schedule(run, batch)
      const byProvider = new Map<string, { name: string; data: GrantJobData; opts: { jobId: string } }[]>()
      for (const ref of batch) {
        const jobs = byProvider.get(ref.provider) ?? []
        jobs.push({ name: 'grant', data: { ...ref, run }, opts: { jobId: jobId(run, ref.key) } })
        byProvider.set(ref.provider, jobs)
      }
      // Jobs of grants the run held already are added too (BullMQ keeps one per id): a
      // schedule cut off between the two steps is completed by scheduling again.
      for (const [provider, jobs] of byProvider) await this.#queue(provider, mq).addBulk(jobs)
      const fresh = added.filter(Boolean).length
      result.scheduled += fresh
      result.duplicates += added.length - fresh
      batch = []
    }
    for await (const ref of grants) {
      providerOf(this.#o, ref?.provider)
      checkStoreKey(ref.key)
      batch.push({ key: ref.key, provider: ref.provider })
      if (batch.length >= BATCH) await flush()
    }
    if (batch.length > 0) await flush()
    return result
  }

  /**
   * Starts this process's workers: one BullMQ worker per provider (its `concurrency`), each on
   * an `EciConsumer` whose requests take permits from the provider's shared rate limit.
   * @throws {EciConfigError} for bad options or a `redis` client without `maxRetriesPerRequest: null`;
   *   discovery errors of a provider.
   */
  async work(options: WorkOptions = {}): Promise<EciSyncWorker> {
    const o = this.#o
    if ((o.redis.options as { maxRetriesPerRequest?: unknown } | undefined)?.maxRetriesPerRequest !== null) {
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        'BullMQ workers need a `redis` client with maxRetriesPerRequest: null',
      )
    }
    const mq = await loadBullmq()
    const ids = options.providers ?? [...o.providers.keys()]
    const settings = {
      lockDurationMs: resolveTimeout(options.lockDurationMs, 'lockDurationMs', 30_000),
      stalledIntervalMs: resolveTimeout(options.stalledIntervalMs, 'stalledIntervalMs', 30_000),
      lockTtlMs: resolveTimeout(options.lockTtlMs, 'lockTtlMs', 30_000),
      lockWaitMs: resolveTimeout(options.lockWaitMs, 'lockWaitMs', 10_000),
    }
    const workers: Worker[] = []
    try {
      for (const id of ids) {
        const provider = providerOf(o, id)
        const limiter = new RequestLimiter(o, provider)
        const consumer = await providerConsumer(provider, limiter)
        const parts = { mq, queue: this.#queue(id, mq), consumer, limiter, log: this.#log }
        workers.push(startProviderWorker(o, provider, parts, settings))
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.close()))
      throw error
    }
    const handle: EciSyncWorker = {
      providers: Object.freeze([...ids]),
      close: async () => {
        this.#workers.delete(handle)
        await Promise.all(workers.map((w) => w.close()))
      },
    }
    this.#workers.add(handle)
    return handle
  }

  /**
   * Schedules the grants a Green Button notification names (`parseBatchList` of the Data
   * Custodian's POST, or `greenButtonNotifications`' `onBatch`): each grant whose subscription the
   * URIs name, once — a grant whose job in the nightly run is still waiting gets no second job.
   * The sync knows a grant's subscription once its first job ran; before that, `keyOf` names it.
   * @throws {EciConfigError} for an unknown or non-Green-Button provider, or bad URIs.
   * @example
   * ```ts
   * import { greenButtonNotifications } from 'ecis-consumer/green-button'
   *
   * const handler = greenButtonNotifications({ onBatch: async (uris) => void (await sync.notify('utility-gb', uris)) })
   * ```
   */
  async notify(provider: string, resourceUris: readonly string[], options: NotifyOptions = {}): Promise<NotifyResult> {
    if (providerOf(this.#o, provider).kind !== 'green-button') {
      throw badOption(`Provider ${JSON.stringify(provider)} is not a Green Button provider`)
    }
    const { keys, unknown } = await notifiedKeys(this.#o, provider, resourceUris, options.keyOf)
    const nightly = options.nightlyRun === undefined ? today() : checkName(options.nightlyRun, 'nightlyRun')
    const run = options.run === undefined ? `${nightly}.n${Date.now()}` : checkName(options.run, 'run')
    const mq = await loadBullmq()
    const fresh: SyncGrantRef[] = []
    let waiting = 0
    for (const key of keys) {
      if (await isWaiting(this.#queue(provider, mq), jobId(nightly, key))) waiting++
      else fresh.push({ key, provider })
    }
    const added = fresh.length > 0 ? await this.schedule(fresh, { run }) : { scheduled: 0, duplicates: 0 }
    return { run, scheduled: added.scheduled, duplicates: waiting + added.duplicates, keys, unknown }
  }

  /** The run's summary so far. */
  summary(run: string): Promise<SyncRunSummary> {
    return this.#log.summary(checkName(run, 'run'))
  }

  /**
   * Waits until every grant scheduled in the run has an outcome, and returns the summary. Call
   * it once `schedule()` of the run has resolved (in any process): a run with nothing scheduled
   * — a mistyped name, or one whose records `keepSeconds` removed — rejects at once.
   * @throws {EciConfigError} for a bad option, or a run with nothing scheduled.
   * @throws {EciError} code `ERR_ECI_TIMEOUT` when grants are still pending after `timeoutMs`.
   * @throws the signal's reason when it aborts.
   */
  async waitForRun(run: string, options: WaitForRunOptions = {}): Promise<SyncRunSummary> {
    const pollMs = resolveTimeout(options.pollMs, 'pollMs', 500)
    const timeoutMs = resolveTimeout(options.timeoutMs, 'timeoutMs', DEFAULT_WAIT_MS)
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const summary = await this.summary(run)
      if (summary.scheduled === 0) {
        throw new EciConfigError(ErrorCode.INVALID_OPTION, `Run ${JSON.stringify(run)} has nothing scheduled`)
      }
      if (summary.pending === 0) return summary
      const left = deadline - performance.now()
      if (left <= 0) {
        throw new EciNetworkError(
          ErrorCode.TIMEOUT,
          `Run ${JSON.stringify(run)} still had ${summary.pending} of ${summary.scheduled} grants pending after ${timeoutMs} ms`,
        )
      }
      await sleep(Math.min(pollMs, left), options.signal, `Waiting for run ${JSON.stringify(run)}`)
    }
  }

  /** Each grant's outcome in the run (for the grants needing consent: `status === 'needs_consent'`). */
  outcomes(run: string): AsyncGenerator<SyncGrantOutcome> {
    return this.#log.outcomes(checkName(run, 'run'))
  }

  /** Closes this process's workers and queues (the `redis` client stays open: it is yours). */
  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => w.close()))
    await Promise.all([...this.#queues.values()].map((q) => q.close()))
    this.#queues.clear()
  }
}

/**
 * Creates the nightly sync: the same call in the scheduler and in every worker process.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import type { GrantStore } from 'ecis-consumer'
 * import { createEciSync, type SyncSink } from 'ecis-consumer/sync'
 *
 * declare const store: GrantStore // postgresGrantStore({ pool }), or redisGrantStore on another client
 * declare const sink: SyncSink // yours: lastInvoice, upsertInvoice
 * const sync = createEciSync({
 *   redis: new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null }),
 *   store,
 *   sink,
 *   providers: {
 *     'utility-a': {
 *       consumer: {
 *         issuer: 'https://auth.utility-a.example',
 *         clientId: 'acme-solar',
 *         clientAuth: { method: 'private_key_jwt', key: privateJwk },
 *       },
 *       rateLimit: { max: 50, duration: 1000 },
 *       concurrency: 8,
 *     },
 *   },
 *   onNeedsConsent: (key, error) => console.warn(`${key} must consent again (${error.code})`),
 * })
 * await sync.schedule([{ key: 'customer-42', provider: 'utility-a' }]) // the scheduler, nightly
 * const worker = await sync.work() // every worker process
 * await worker.close()
 * ```
 * @throws {EciConfigError} for bad options.
 */
export function createEciSync(options: EciSyncOptions): EciSync {
  return new EciSync(options)
}
