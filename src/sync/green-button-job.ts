/**
 * One Green Button grant's sync, the work of one job: open the session from the shared store,
 * read the subscription published since the sink's last period (`published-min`), and upsert each
 * bill, oldest first. A lost consent is marked in the store and reported, as for ECIS grants.
 * Each job also records its grant's subscription URI, so a notification naming it finds the key.
 * @internal
 * @module
 */
import { EciConsentError } from '../errors.js'
import { espiBills } from '../green-button/bills.js'
import type { GreenButtonConsumer } from '../green-button/connect/consumer.js'
import { type GrantJobContext, type GrantJobProgress, type GrantJobResult, markNeedsConsent } from './grant-job.js'
import type { SyncGrantRef } from './types.js'

/** The Redis hash of a provider's subscription URIs → grant keys. */
export const subscriptionsKey = (prefix: string, provider: string) => `${prefix}:gb-subscriptions:${provider}`

/** The subscription (`…/Batch/Subscription/{id}`) a notified resource URI belongs to. */
export function subscriptionOf(uri: string): string {
  const m = /^(.*\/Subscription\/[^/?#]+)/.exec(uri)
  return m ? (m[1] as string) : uri
}

/** Syncs one Green Button grant. Errors other than a lost consent are the worker's to classify and retry. */
export async function syncGreenButtonGrant(
  ctx: GrantJobContext,
  gb: GreenButtonConsumer,
  ref: SyncGrantRef & { run: string },
  progress: (p: GrantJobProgress) => Promise<void>,
): Promise<GrantJobResult> {
  const result: GrantJobResult = { status: 'done', accounts: 1, invoices: 0, failedRecords: 0 }
  const { sink, store } = ctx.o
  try {
    const session = await gb.openSession(ref.key, { store, lockTtlMs: ctx.lockTtlMs, lockWaitMs: ctx.lockWaitMs })
    const subscription = session.grant.resourceUri
    await ctx.o.redis.hset(subscriptionsKey(ctx.o.prefix, ref.provider), subscriptionOf(subscription), ref.key)
    const grantRef = { provider: ref.provider, key: ref.key }
    const last = await sink.lastGreenButtonPeriod?.(grantRef)
    const feed = await session.feed(last === undefined ? {} : { publishedMin: new Date(last * 1000) })
    // Oldest first, each stored before the next. The last period is read again (upserts are
    // idempotent): a job cut off between two usage points' bills of the same period resumes there.
    const bills = espiBills(feed)
      .filter((bill) => last === undefined || bill.periodEnd >= last)
      .sort((a, b) => a.periodEnd - b.periodEnd)
    for (const bill of bills) {
      const { usagePointId, periodStart, periodEnd } = bill
      await sink.upsertGreenButtonBill?.({ ...grantRef, subscription, usagePointId, periodStart, periodEnd, bill })
      result.invoices++
      await ctx.log.count(ref.run, 'invoices')
    }
    await progress({ accounts: 1, accountsDone: 1, invoices: result.invoices })
    return result
  } catch (error) {
    if (!(error instanceof EciConsentError)) throw error
    await markNeedsConsent(ctx, ref.key, error)
    await ctx.o.onNeedsConsent?.(ref.key, error, { provider: ref.provider, run: ref.run })
    return { ...result, status: 'needs_consent', reason: error.code }
  }
}
