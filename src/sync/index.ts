/**
 * `ecis-consumer/sync`: the nightly sync of every customer's invoices on BullMQ (Node only;
 * `bullmq` and `ioredis` are optional peers). One queue per provider with the provider's rate
 * limit shared by every worker process, one job per grant key per run, incremental (only the
 * invoices after the sink's last known one), resumable after a worker dies, and grants whose
 * consent is gone marked `needs_consent`. See docs/sync.md.
 * @module
 */
export type {
  GreenButtonSyncSink,
  NotifyOptions,
  NotifyResult,
  SyncGreenButtonBillRecord,
  SyncGreenButtonProviderConfig,
  SyncGreenButtonRef,
} from './green-button-types.js'
export { createEciSync, EciSync } from './sync.js'
export type {
  EciSyncOptions,
  EciSyncWorker,
  ScheduleOptions,
  ScheduleResult,
  SyncAccountRecord,
  SyncAccountRef,
  SyncFailedRecord,
  SyncGrantOutcome,
  SyncGrantRef,
  SyncGrantStatus,
  SyncInvoiceRecord,
  SyncNeedsConsentContext,
  SyncProviderConfig,
  SyncRateLimit,
  SyncRunSummary,
  SyncSink,
  WaitForRunOptions,
  WorkOptions,
} from './types.js'
