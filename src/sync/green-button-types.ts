/**
 * The Green Button side of the sync's public types: a `kind: 'green-button'` provider, the sink's
 * bill methods and notifications.
 * @module
 */
import type { GreenButtonBill } from '../green-button/bills.js'
import type { GreenButtonConsumerOptions } from '../green-button/connect/options.js'
import type { SyncRateLimit } from './rate-limit-option.js'

/** A Green Button Connect My Data utility (Data Custodian) of the sync. */
export interface SyncGreenButtonProviderConfig {
  kind: 'green-button'
  /**
   * Options of `greenButtonConsumer`. The sync adds its rate-limited `fetch` (wrapping yours) and,
   * unless you set `retry`, the sync's small per-call retries.
   */
  consumer: GreenButtonConsumerOptions
  /** The utility's rate limit across all workers. */
  rateLimit: SyncRateLimit
  /** Grants a worker process syncs at once for this utility. @default 4 */
  concurrency?: number | undefined
}

/** The grant a Green Button bill belongs to. */
export interface SyncGreenButtonRef {
  /** The provider id (a key of `providers`). */
  provider: string
  /** The grant key. */
  key: string
}

/** One Green Button bill to store: upsert by `(provider, key, usagePointId, periodStart)`. */
export interface SyncGreenButtonBillRecord extends SyncGreenButtonRef {
  /** The subscription (`resourceUri` of the grant). */
  subscription: string
  usagePointId: string
  /** Start of the billing period, epoch seconds. */
  periodStart: number
  /** End of the billing period (exclusive), epoch seconds. */
  periodEnd: number
  bill: GreenButtonBill
}

/** What a sink adds to take Green Button bills. */
export interface GreenButtonSyncSink {
  /**
   * The end (epoch seconds) of the latest billing period stored for the grant, or `undefined`:
   * the job asks the Data Custodian only for what was published since (`published-min`).
   */
  lastGreenButtonPeriod?(ref: SyncGreenButtonRef): Promise<number | undefined>
  /** Stores one bill; idempotent by usage point and period (a notification may bring a bill again). */
  upsertGreenButtonBill?(record: SyncGreenButtonBillRecord): Promise<void>
}

/** Options of `sync.notify`. */
export interface NotifyOptions {
  /** The nightly run a pending job of the same grant belongs to (no second job then). @default today's run */
  nightlyRun?: string | undefined
  /** The run the new jobs go to. @default `<nightlyRun>.n<time>` */
  run?: string | undefined
  /**
   * The grant key of a subscription URI the sync has not seen yet (it learns each grant's
   * subscription when its job runs).
   */
  keyOf?: ((subscriptionUri: string) => string | undefined | Promise<string | undefined>) | undefined
}

/** What `sync.notify` did. */
export interface NotifyResult {
  run: string
  /** Jobs added. */
  scheduled: number
  /** Grants whose job in the nightly run (or this run) is still pending: no second job. */
  duplicates: number
  /** Grant keys the notification named. */
  keys: string[]
  /** Resource URIs no grant is known for. */
  unknown: string[]
}
