/**
 * The nightly scheduler: one job per customer (grant key) in tonight's run, then the run's
 * summary once the workers are done. Scheduling the same night twice (a retry, a second
 * scheduler) adds nothing.
 *
 *   DATABASE_URL=… REDIS_URL=… ECIS_PROVIDERS='[…]' node examples/fleet-sync/scheduler.ts [run]
 */
import type { SyncRunSummary } from 'ecis-consumer/sync'
import { type Fleet, openFleet } from './fleet.ts'

/**
 * Schedules every customer of the `customers` table (whose key starts with `keyPrefix`) in `run`
 * and waits for the workers to finish it.
 */
export async function runNight(
  fleet: Fleet,
  run: string,
  keyPrefix = '',
): Promise<{ summary: SyncRunSummary; needsConsent: string[] }> {
  const { rows } = await fleet.pool.query<{ grant_key: string; provider: string }>(
    'SELECT grant_key, provider FROM customers WHERE starts_with(grant_key, $1) ORDER BY grant_key',
    [keyPrefix],
  )
  await fleet.sync.schedule(
    rows.map((r) => ({ key: r.grant_key, provider: r.provider })),
    { run },
  )
  const summary = await fleet.sync.waitForRun(run, { pollMs: 250 })
  const needsConsent: string[] = []
  for await (const outcome of fleet.sync.outcomes(run))
    if (outcome.status === 'needs_consent') needsConsent.push(outcome.key)
  return { summary, needsConsent: needsConsent.sort() }
}

/** One readable line per run. */
export function describeRun({ summary, needsConsent }: Awaited<ReturnType<typeof runNight>>): string {
  const requests = Object.entries(summary.requests)
    .map(([id, n]) => `${id} ${n}`)
    .join(', ')
  return (
    `run ${summary.run}: ${summary.done} customers synced, ${summary.failed} failed, ${summary.needsConsent} must consent again` +
    `${needsConsent.length ? ` (${needsConsent.join(', ')})` : ''}; ${summary.invoices} invoices stored; ` +
    `requests: ${requests}; ${((summary.durationMs ?? 0) / 1000).toFixed(1)} s`
  )
}

if (import.meta.main) {
  const fleet = await openFleet(process.env, { migrate: true })
  try {
    console.log(describeRun(await runNight(fleet, process.argv[2] ?? new Date().toISOString().slice(0, 10))))
  } finally {
    await fleet.close()
  }
}
