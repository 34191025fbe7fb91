/**
 * A test world of the one-process sync tests: a mock utility whose customers consented into a
 * grant store, a sync over them on a real Redis, and helpers to run a whole run.
 */
import type { Redis } from 'ioredis'
import { type GrantStore, memoryGrantStore } from '../../src/index.js'
import type { MockRateLimit } from '../../src/mock/index.js'
import { createEciSync, type EciSyncOptions, type SyncProviderConfig } from '../../src/sync/index.js'
import { consentAll, memorySink, owners, startUtility, type Utility } from './support.js'

export interface WorldOptions {
  grants?: number
  rateLimit?: { max: number; duration: number; marginMs?: number }
  months?: number
  store?: GrantStore
  sync?: Partial<EciSyncOptions>
  provider?: Partial<SyncProviderConfig>
  /** The grant key of an owner (`c-0`, `c-1`, …). @default `grant-${owner}` */
  keyOf?: (owner: string) => string
  /** The mock utility's own limit and latency. */
  utility?: { rateLimit?: MockRateLimit; latency?: number | { minMs: number; maxMs: number } }
}

export type World = Awaited<ReturnType<ReturnType<typeof worlds>['world']>>

/** Worlds on one Redis; `close()` stops their utilities. */
export function worlds(redis: () => Redis) {
  const utilities: Utility[] = []
  let prefixes = 0

  /** A utility with `grants` customers consented into a store, and a sync over them. */
  async function world(options: WorldOptions = {}) {
    const { grants = 3, months = 3 } = options
    const utility = await startUtility('utility-a', {
      seed: 7 + utilities.length,
      owners: owners(grants, 'c', (i) => ({ accounts: i % 2 === 0 ? 1 : 2, months })),
      ...options.utility,
    })
    utilities.push(utility)
    const store = options.store ?? memoryGrantStore()
    const keys = await consentAll(utility, store, options.keyOf ?? ((owner) => `grant-${owner}`))
    const memory = memorySink()
    const needsConsent: { key: string; code: string }[] = []
    const prefix = `t${++prefixes}`
    const sync = createEciSync({
      redis: redis(),
      store,
      sink: memory.sink,
      prefix,
      backoff: { baseMs: 50, maxMs: 200 },
      providers: {
        'utility-a': {
          consumer: utility.consumer,
          rateLimit: options.rateLimit ?? { max: 1000, duration: 1000 },
          concurrency: 4,
          ...options.provider,
        },
      },
      onNeedsConsent: (key, error) => void needsConsent.push({ key, code: error.code }),
      ...options.sync,
    })
    const refs = keys.map((key) => ({ key, provider: 'utility-a' }))
    const calls = () => utility.server.provider.calls
    const eci = () => calls().filter((c) => c.endpoint === 'eci')
    return { utility, store, keys, refs, sync, prefix, needsConsent, calls, eci, ...memory }
  }

  /** Runs a whole run with one worker in this process. */
  async function runOnce(w: World, run: string) {
    const scheduled = await w.sync.schedule(w.refs, { run })
    const worker = await w.sync.work({ lockDurationMs: 5000, stalledIntervalMs: 2000 })
    try {
      return { scheduled, summary: await w.sync.waitForRun(run, { pollMs: 50, timeoutMs: 60_000 }) }
    } finally {
      await worker.close()
    }
  }

  async function close() {
    for (const u of utilities) await u.server.close()
  }

  return { world, runOnce, close, nextPrefix: () => `t${++prefixes}` }
}
