/**
 * One grant's sync, the work of one job: open the session from the shared store, then for each
 * granted account its Basic, and the invoices after the sink's last known one, with details,
 * into the sink in the provider's order. A lost consent is marked in the store and reported;
 * a record that breaks the schema is recorded and the rest goes on.
 * @internal
 * @module
 */
import type { EciConsumer } from '../consumer.js'
import { EciConsentError, EciValidationError } from '../errors.js'
import type { InvalidInvoice } from '../grant/invoices.js'
import type { EciSession } from '../grant/session.js'
import type { ResolvedProvider, ResolvedSyncOptions } from './options.js'
import type { RunLog } from './run-log.js'
import type { SyncAccountRef, SyncFailedRecord, SyncGrantRef } from './types.js'

/** What a grant's job needs. */
export interface GrantJobContext {
  o: ResolvedSyncOptions
  provider: ResolvedProvider
  consumer: EciConsumer
  log: RunLog
  lockTtlMs: number
  lockWaitMs: number
}

/** Progress a job reports (`job.updateProgress`). */
export interface GrantJobProgress {
  accounts: number
  accountsDone: number
  invoices: number
}

/** How a grant's job ended (the job's return value). */
export interface GrantJobResult {
  status: 'done' | 'needs_consent'
  accounts: number
  invoices: number
  failedRecords: number
  reason?: string | undefined
}

/** Syncs one grant. Errors other than a lost consent are the worker's to classify and retry. */
export async function syncGrant(
  ctx: GrantJobContext,
  ref: SyncGrantRef & { run: string },
  progress: (p: GrantJobProgress) => Promise<void>,
): Promise<GrantJobResult> {
  const result: GrantJobResult = { status: 'done', accounts: 0, invoices: 0, failedRecords: 0 }
  try {
    const session = await ctx.consumer.openSession(ref.key, {
      store: ctx.o.store,
      lockTtlMs: ctx.lockTtlMs,
      lockWaitMs: ctx.lockWaitMs,
    })
    const accounts = session.accounts
    result.accounts = accounts.length
    for (const [i, systemAccountId] of accounts.entries()) {
      const account: SyncAccountRef = { provider: ref.provider, key: ref.key, systemAccountId }
      await syncAccount(ctx, ref.run, session, account, result)
      await progress({ accounts: accounts.length, accountsDone: i + 1, invoices: result.invoices })
    }
    return result
  } catch (error) {
    if (!(error instanceof EciConsentError)) throw error
    await markNeedsConsent(ctx, ref.key, error)
    await ctx.o.onNeedsConsent?.(ref.key, error, { provider: ref.provider, run: ref.run })
    return { ...result, status: 'needs_consent', reason: error.code }
  }
}

/** An account's Basic and its new invoices, into the sink. */
async function syncAccount(
  ctx: GrantJobContext,
  run: string,
  session: EciSession,
  account: SyncAccountRef,
  result: GrantJobResult,
): Promise<void> {
  const { sink } = ctx.o
  const failed = async (record: SyncFailedRecord) => {
    result.failedRecords++
    await sink.recordFailure?.(record)
    await ctx.log.count(run, 'failed_records')
  }
  let basic: Awaited<ReturnType<EciSession['basic']>>
  try {
    basic = await session.basic(account.systemAccountId)
  } catch (error) {
    if (!(error instanceof EciValidationError)) throw error
    await failed({ ...account, requestType: 'basic', error })
    return
  }
  await sink.upsertAccount?.({ ...account, basic })
  const positions = new Map(basic.system_invoice_ids.map((id, i) => [id, i]))
  const after = await sink.lastInvoice(account)
  const onInvalid = ({ systemInvoiceId, error }: InvalidInvoice) =>
    failed({ ...account, requestType: 'invoice_detail', systemInvoiceId, error })
  const invoices = session.invoices(account.systemAccountId, {
    detail: true,
    basic,
    after,
    concurrency: ctx.provider.invoiceConcurrency,
    onInvalid,
  })
  // In order, each stored before the next: a job cut off here resumes after the last one stored.
  for await (const invoice of invoices) {
    const systemInvoiceId = invoice.system_invoice_id
    await sink.upsertInvoice({ ...account, systemInvoiceId, position: positions.get(systemInvoiceId) ?? -1, invoice })
    result.invoices++
    await ctx.log.count(run, 'invoices')
  }
}

/** Marks the grant `needs_consent` unless it is marked already (or gone). */
export async function markNeedsConsent(ctx: GrantJobContext, key: string, error: EciConsentError): Promise<void> {
  const stored = await ctx.o.store.get(key)
  if (stored?.status === 'active') {
    await ctx.o.store.markNeedsConsent(key, error.code, { ifVersion: stored.version }).catch(async (cause) => {
      // Another instance changed it meanwhile: mark what is there now, unless that is marked too.
      const now = await ctx.o.store.get(key)
      if (now?.status === 'active') throw cause
    })
  }
}
