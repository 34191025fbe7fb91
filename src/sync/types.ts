/**
 * Public types of `ecis-consumer/sync`: the app's per-provider configuration, the sink it
 * implements, and what a run reports.
 * @module
 */
import type { Redis } from 'ioredis'
import type { EciConsentError, EciValidationError } from '../errors.js'
import type { GrantStore } from '../grant/store.js'
import type { EciConsumerOptions } from '../options.js'
import type { Basic, InvoiceDetail } from '../schemas/responses.js'
import type { GreenButtonSyncSink, SyncGreenButtonProviderConfig } from './green-button-types.js'
import type { SyncRateLimit } from './rate-limit-option.js'

export type { SyncRateLimit } from './rate-limit-option.js'

/** One provider (utility) of the sync: how to reach it and how hard to push it. */
export interface SyncProviderConfig {
  /** An ECIS provider (the default); `'green-button'` providers take {@link SyncGreenButtonProviderConfig}. */
  kind?: 'ecis' | undefined
  /**
   * Options for `EciConsumer.discover`. The sync adds its rate-limited `fetch` (wrapping yours)
   * and, unless you set `retry`, small per-call retries (`{ limit: 1, maxRetryAfter: 0 }`: a
   * 429 goes straight to the queue, which pauses the whole provider).
   */
  consumer: EciConsumerOptions
  /** The provider's rate limit across all workers. BullMQ's limiter is per queue, hence one queue per provider. */
  rateLimit: SyncRateLimit
  /** Grants a worker process syncs at once for this provider. @default 4 */
  concurrency?: number | undefined
  /** Invoice Detail requests in flight per grant (1–16). @default 2 */
  invoiceConcurrency?: number | undefined
}

/** The account an invoice record belongs to. */
export interface SyncAccountRef {
  /** The provider id (a key of `providers`). */
  provider: string
  /** The grant key (your customer-at-a-utility id). */
  key: string
  systemAccountId: string
}

/** One invoice to store. */
export interface SyncInvoiceRecord extends SyncAccountRef {
  systemInvoiceId: string
  /** Its position in the account's date-ordered `system_invoice_ids` (0 the oldest): order by it. */
  position: number
  invoice: InvoiceDetail
}

/** An account's Basic, read at the start of its sync. */
export interface SyncAccountRecord extends SyncAccountRef {
  basic: Basic
}

/** A response that broke the schema: recorded, and the sync went on with the rest. */
export interface SyncFailedRecord extends SyncAccountRef {
  requestType: 'basic' | 'invoice_detail'
  /** The invoice, for an Invoice Detail. */
  systemInvoiceId?: string | undefined
  error: EciValidationError
}

/**
 * Where synced data goes: implemented by the app (a table, a warehouse …). Every call must be
 * durable when its promise resolves; the sync stores an account's invoices in the provider's
 * order, each only after the one before it.
 */
export interface SyncSink extends GreenButtonSyncSink {
  /**
   * The `system_invoice_id` of the newest invoice stored for the account (the highest
   * `position`), or `undefined` for none: the sync fetches only what follows it.
   */
  lastInvoice(account: SyncAccountRef): Promise<string | undefined>
  /** Stores one invoice. Idempotent by (provider, account, invoice id): a retried job may store it again. */
  upsertInvoice(record: SyncInvoiceRecord): Promise<void>
  /** Stores the account's Basic (optional). */
  upsertAccount?(record: SyncAccountRecord): Promise<void>
  /**
   * Records a response that broke the schema (optional). Later runs do not fetch that invoice
   * again once newer ones are stored: re-read it with `session.invoiceDetail` when the provider fixed it.
   */
  recordFailure?(record: SyncFailedRecord): Promise<void>
}

/** Where a grant needing consent was found. */
export interface SyncNeedsConsentContext {
  provider: string
  run: string
}

/** Options of {@link createEciSync}. */
export interface EciSyncOptions {
  /**
   * The ioredis client for BullMQ and the sync's own keys. BullMQ workers need
   * `maxRetriesPerRequest: null`, and Redis should run with `maxmemory-policy noeviction`.
   * Give the grant store its own client.
   */
  redis: Redis
  /** The grant store the fleet shares (`postgresGrantStore`, `redisGrantStore`). */
  store: GrantStore
  /** Where the data goes. */
  sink: SyncSink
  /** The providers by id (letters, digits, `.`, `_`, `-`; the id names the provider's BullMQ queue). */
  providers: Record<string, SyncProviderConfig | SyncGreenButtonProviderConfig>
  /**
   * Called when a grant needs consent again (revoked, refresh refused, already marked): the
   * grant is marked `needs_consent` in the store first and is not retried. Called again each run
   * that meets the grant.
   */
  onNeedsConsent?:
    | ((key: string, error: EciConsentError, context: SyncNeedsConsentContext) => void | Promise<void>)
    | undefined
  /**
   * Prefix of the BullMQ queues and the sync's keys (letters, digits, `.`, `_`, `-`).
   * @default 'ecis-sync'
   */
  prefix?: string | undefined
  /** Attempts of a grant's job on 5xx, network and store errors (1–20). @default 5 */
  attempts?: number | undefined
  /** Backoff between attempts: exponential from `baseMs` up to `maxMs`, with jitter, at least the provider's `Retry-After`. */
  backoff?: { baseMs?: number | undefined; maxMs?: number | undefined } | undefined
  /** How long finished jobs and a run's records are kept, s: a run scheduled again within it fetches nothing twice. @default 172_800 (2 days) */
  keepSeconds?: number | undefined
}

/** A grant to sync: its key in the store and its provider. */
export interface SyncGrantRef {
  key: string
  provider: string
}

/** Options of {@link EciSync.schedule}. */
export interface ScheduleOptions {
  /**
   * The run (letters, digits, `.`, `_`, `-`; at most 64): one job per grant key per run, so
   * scheduling the same run twice adds nothing.
   * @default today's date, UTC (`YYYY-MM-DD`): one run a night
   */
  run?: string | undefined
}

/** What {@link EciSync.schedule} did. */
export interface ScheduleResult {
  run: string
  /** Grants newly scheduled in this run. */
  scheduled: number
  /** Grants this run held already (not scheduled again). */
  duplicates: number
}

/** Options of {@link EciSync.work}. */
export interface WorkOptions {
  /** Only these providers' queues. @default every provider */
  providers?: readonly string[] | undefined
  /** BullMQ's job lock, ms: a dead worker's jobs are picked up after it. @default 30_000 */
  lockDurationMs?: number | undefined
  /** How often stalled jobs (of dead workers) are looked for, ms. @default 30_000 */
  stalledIntervalMs?: number | undefined
  /** Lifetime of a grant's refresh lock, ms (`openSession`'s `lockTtlMs`). @default 30_000 */
  lockTtlMs?: number | undefined
  /** Wait for another instance's refresh, ms (`openSession`'s `lockWaitMs`). @default 10_000 */
  lockWaitMs?: number | undefined
}

/** Options of {@link EciSync.waitForRun}. */
export interface WaitForRunOptions {
  /** How often the run's summary is read, ms. @default 500 */
  pollMs?: number | undefined
  /**
   * How long to wait for the run's last grant, ms; past it `waitForRun` rejects with
   * `ERR_ECI_TIMEOUT` (the run goes on: wait again, or read `summary`).
   * @default 86_400_000 (a day)
   */
  timeoutMs?: number | undefined
  /** Stops waiting; `waitForRun` rejects with the signal's reason. */
  signal?: AbortSignal | undefined
}

/** A running worker process's share of the sync. */
export interface EciSyncWorker {
  /** The providers it works for. */
  readonly providers: readonly string[]
  /** Stops taking jobs, waits for the active ones, and closes the queues. */
  close(): Promise<void>
}

/** A grant's outcome in a run. */
export type SyncGrantStatus = 'done' | 'failed' | 'needs_consent'

/** One grant's outcome, from {@link EciSync.outcomes}. */
export interface SyncGrantOutcome extends SyncGrantRef {
  status: SyncGrantStatus
  /** The error code of a failed or needs-consent grant. */
  reason?: string | undefined
}

/** A run's summary, from {@link EciSync.summary}. */
export interface SyncRunSummary {
  run: string
  /** Grants scheduled. */
  scheduled: number
  /** Grants synced (a schema break in one record does not fail the grant). */
  done: number
  /** Grants whose job failed for good (attempts used up, or an error retrying cannot fix). */
  failed: number
  /** Grants needing consent again. */
  needsConsent: number
  /** Grants not finished yet. */
  pending: number
  /** Invoices stored (one a crashed job re-fetched counts again). */
  invoices: number
  /** Records that broke the schema. */
  failedRecords: number
  /** Requests each provider was sent in this run (token requests included). */
  requests: Record<string, number>
  /** When the run was first scheduled, epoch ms. */
  startedAt: number | undefined
  /** When its last grant finished, epoch ms. */
  finishedAt: number | undefined
  /** `finishedAt − startedAt`, ms. */
  durationMs: number | undefined
}
