/**
 * A run's record in Redis: which grants it scheduled, each grant's outcome (once), counts of
 * invoices and failed records, and the summary read back from them.
 * @internal
 * @module
 */
import { evalScript } from '../stores/redis-scripts.js'
import type { ResolvedSyncOptions } from './options.js'
import { limiterKeys, OUTCOME, runKeys, SCHEDULE } from './scripts.js'
import type { SyncGrantOutcome, SyncGrantRef, SyncGrantStatus, SyncRunSummary } from './types.js'

/** A grant's member in a run's sets: provider and key (a key has no control characters). */
export const member = (ref: SyncGrantRef) => `${ref.provider}\n${ref.key}`

function parseMember(value: string): SyncGrantRef {
  const at = value.indexOf('\n')
  return { provider: value.slice(0, at), key: value.slice(at + 1) }
}

/** Reads and writes runs. */
export class RunLog {
  readonly #o: ResolvedSyncOptions

  constructor(o: ResolvedSyncOptions) {
    this.#o = o
  }

  /** Adds grants to a run; resolves which of them are new to it. */
  async schedule(run: string, refs: readonly SyncGrantRef[]): Promise<boolean[]> {
    const k = runKeys(this.#o.prefix, run)
    const args = [Date.now(), this.#o.keepSeconds, ...refs.map(member)]
    const added = (await evalScript(this.#o.redis, SCHEDULE, [k.stats, k.grants], args)) as number[]
    return added.map((n) => Number(n) === 1)
  }

  /** Records a grant's outcome (a later outcome of the same grant replaces it). */
  async outcome(run: string, ref: SyncGrantRef, status: SyncGrantStatus, reason?: string): Promise<void> {
    const k = runKeys(this.#o.prefix, run)
    const args = [member(ref), status, `${status}|${reason ?? ''}`, Date.now(), this.#o.keepSeconds]
    await evalScript(this.#o.redis, OUTCOME, [k.stats, k.outcomes], args)
  }

  /** Adds to a run's counters (`invoices`, `failed_records`). */
  async count(run: string, field: 'invoices' | 'failed_records', by = 1): Promise<void> {
    await this.#o.redis.hincrby(runKeys(this.#o.prefix, run).stats, field, by)
  }

  /** The run's summary. */
  async summary(run: string): Promise<SyncRunSummary> {
    const { redis, prefix, providers } = this.#o
    const stats = await redis.hgetall(runKeys(prefix, run).stats)
    const n = (field: string) => Number(stats[field] ?? 0)
    const ids = [...providers.keys()]
    const counts = ids.length ? await redis.mget(...ids.map((id) => limiterKeys(prefix, id).requests(run))) : []
    const requests = Object.fromEntries(ids.map((id, i) => [id, Number(counts[i] ?? 0)]))
    const scheduled = n('scheduled')
    const [done, failed, needsConsent] = [n('done'), n('failed'), n('needs_consent')]
    const startedAt = stats.started === undefined ? undefined : Number(stats.started)
    const finishedAt = stats.finished === undefined ? undefined : Number(stats.finished)
    return {
      run,
      scheduled,
      done,
      failed,
      needsConsent,
      pending: Math.max(0, scheduled - done - failed - needsConsent),
      invoices: n('invoices'),
      failedRecords: n('failed_records'),
      requests,
      startedAt,
      finishedAt,
      durationMs: startedAt !== undefined && finishedAt !== undefined ? finishedAt - startedAt : undefined,
    }
  }

  /** Every grant's outcome in the run so far, in batches (HSCAN). */
  async *outcomes(run: string): AsyncGenerator<SyncGrantOutcome> {
    const key = runKeys(this.#o.prefix, run).outcomes
    let cursor = '0'
    do {
      const [next, flat] = await this.#o.redis.hscan(key, cursor, 'COUNT', 500)
      cursor = next
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const value = flat[i + 1] as string
        const at = value.indexOf('|')
        const reason = value.slice(at + 1)
        yield {
          ...parseMember(flat[i] as string),
          status: value.slice(0, at) as SyncGrantStatus,
          ...(reason ? { reason } : {}),
        }
      }
    } while (cursor !== '0')
  }
}
