/**
 * The nightly sync speaks Green Button: an ECIS utility (mock provider server) and a Green Button
 * Data Custodian (mock, in process) side by side in one sync on a real Redis, each under its own
 * rate limit; notifications through `greenButtonNotifications` → `sync.notify`; a revoked
 * authorization ending as needs-consent.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { greenButtonNotifications } from '../../../src/green-button/index.js'
import { type GrantStore, memoryGrantStore } from '../../../src/index.js'
import { createEciSync, type EciSync, type SyncGreenButtonBillRecord } from '../../../src/sync/index.js'
import { type RedisServer, startRedisServer } from '../../support/redis-server.js'
import {
  allInvoices,
  consentAll,
  maxInWindow,
  memorySink,
  owners,
  startUtility,
  type Utility,
} from '../../sync/support.js'
import { gbWorld, NOTIFY, SCOPE } from './world.js'

const GB_GRANTS = 5
const GB_LIMIT = 3
const ECIS_LIMIT = 6

let redisServer: RedisServer
let redis: Redis
let utility: Utility
let store: GrantStore
let sync: EciSync
let gb: Awaited<ReturnType<typeof gbWorld>>
const bills = new Map<string, SyncGreenButtonBillRecord>()
const needsConsent: { key: string; code: string; provider: string }[] = []
const memory = memorySink()
const gbKey = (i: number) => `gb-customer-${i + 1}`
/** Grant key → the count of upserts at which the sink fails once. */
const failAt = new Map<string, number>()
let upserts = 0

beforeAll(async () => {
  redisServer = await startRedisServer()
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
  store = memoryGrantStore()
  utility = await startUtility('utility-ecis', { seed: 5, owners: owners(4, 'e', () => ({ accounts: 1, months: 2 })) })
  await consentAll(utility, store, (owner) => `ecis/${owner}`)
  gb = await gbWorld({
    // Notifications reach the app's handler in this process.
    fetch: (input, init) => handler(new Request(input, init)),
  })
  for (let i = 0; i < GB_GRANTS; i++) {
    const { url, transaction } = await gb.gb.beginConsent({ scope: SCOPE })
    await gb.gb.completeConsent(await gb.authorize(url), transaction, { store, key: gbKey(i) })
  }
  const sink = {
    ...memory.sink,
    async lastGreenButtonPeriod(ref: { provider: string; key: string }) {
      const ends = [...bills.values()].filter((b) => b.key === ref.key).map((b) => b.periodEnd)
      return ends.length ? Math.max(...ends) : undefined
    },
    async upsertGreenButtonBill(record: SyncGreenButtonBillRecord) {
      if (failAt.get(record.key) === ++upserts) throw new Error('the database went away')
      bills.set(`${record.provider}/${record.key}/${record.usagePointId}/${record.periodStart}`, record)
    },
  }
  sync = createEciSync({
    redis,
    store,
    sink,
    prefix: 'gbsync',
    backoff: { baseMs: 50, maxMs: 200 },
    onNeedsConsent: (key, error, { provider }) => void needsConsent.push({ key, code: error.code, provider }),
    providers: {
      'utility-ecis': { consumer: utility.consumer, rateLimit: { max: ECIS_LIMIT, duration: 1000, marginMs: 100 } },
      'utility-gb': {
        kind: 'green-button',
        consumer: {
          ...gb.custodian.endpoints,
          clientId: 'acme-solar',
          clientAuth: { method: 'client_secret_basic', secret: 'gb-s3cret-value-never-shown' },
          fetch: gb.fetch,
        },
        rateLimit: { max: GB_LIMIT, duration: 1000, marginMs: 100 },
        concurrency: 4,
      },
    },
  })
}, 60_000)

afterAll(async () => {
  await sync?.close()
  redis?.disconnect()
  await utility?.server.close()
  await redisServer?.close()
})

const handler = greenButtonNotifications({ onBatch: (uris) => void notified.push(uris) })
const notified: string[][] = []

async function runToEnd(run: string) {
  const worker = await sync.work({ lockDurationMs: 5000, stalledIntervalMs: 2000 })
  try {
    return await sync.waitForRun(run, { pollMs: 50, timeoutMs: 60_000 })
  } finally {
    await worker.close()
  }
}

async function outcomes(run: string) {
  const out = []
  for await (const o of sync.outcomes(run)) out.push(o)
  return out.sort((a, b) => a.key.localeCompare(b.key))
}

describe('the sync with ECIS and Green Button utilities', () => {
  it('a notification for a grant whose nightly job still waits adds no second job', async () => {
    await sync.schedule([{ key: gbKey(0), provider: 'utility-gb' }], { run: 'night-0' })
    const result = await sync.notify(
      'utility-gb',
      [`${gb.custodian.endpoints.resourceEndpoint}/Batch/Subscription/1`],
      {
        nightlyRun: 'night-0',
        keyOf: (uri) => (uri.endsWith('/Subscription/1') ? gbKey(0) : undefined),
      },
    )
    expect(result).toMatchObject({ scheduled: 0, duplicates: 1, keys: [gbKey(0)], unknown: [] })
    await runToEnd('night-0')
  })

  it('syncs both kinds side by side, each utility under its own rate limit', async () => {
    bills.clear()
    utility.server.provider.clearCalls()
    const mark = gb.custodian.calls.length
    const refs = [
      ...Array.from({ length: GB_GRANTS }, (_, i) => ({ key: gbKey(i), provider: 'utility-gb' })),
      ...['e-0', 'e-1', 'e-2', 'e-3'].map((o) => ({ key: `ecis/${o}`, provider: 'utility-ecis' })),
    ]
    await sync.schedule(refs, { run: 'night-1' })
    const summary = await runToEnd('night-1')
    expect(summary).toMatchObject({ scheduled: 9, done: 9, failed: 0, needsConsent: 0 })
    // 2 usage points × 3 published months per Green Button grant; every ECIS invoice.
    expect(bills.size).toBe(GB_GRANTS * 2 * 3)
    expect(memory.rows.size).toBe(allInvoices(utility).length)
    // Both limits bind (more requests than one window allows), and each holds.
    const gbCalls = gb.custodian.calls.slice(mark)
    expect(gbCalls.length).toBeGreaterThan(GB_LIMIT)
    expect(maxInWindow(gbCalls as never)).toBeLessThanOrEqual(GB_LIMIT)
    expect(utility.server.provider.calls.length).toBeGreaterThan(ECIS_LIMIT)
    expect(maxInWindow(utility.server.provider.calls)).toBeLessThanOrEqual(ECIS_LIMIT)
    // Each Green Button job read its subscription once.
    expect(gb.custodian.calls.slice(mark).filter((c) => c.endpoint === 'subscription').length).toBe(GB_GRANTS)
  })

  it('a notification POST leads to exactly the named grants being synced, with published-min', async () => {
    const changed = [...gb.custodian.publishMonth('2'), ...gb.custodian.publishMonth('4')]
    expect(changed).toHaveLength(2)
    expect(await gb.custodian.notify('acme-solar', changed)).toBe(200)
    expect(notified).toEqual([changed])
    const result = await sync.notify('utility-gb', notified[0]!, { nightlyRun: 'night-1' })
    expect(result).toMatchObject({ scheduled: 2, duplicates: 0, unknown: [] })
    expect(result.keys.sort()).toEqual([gbKey(1), gbKey(3)])
    const before = bills.size
    const reads = gb.custodian.calls.length
    await runToEnd(result.run)
    expect((await outcomes(result.run)).map((o) => [o.key, o.status])).toEqual([
      [gbKey(1), 'done'],
      [gbKey(3), 'done'],
    ])
    // One new month for two usage points of each named grant, nothing else.
    expect(bills.size).toBe(before + 4)
    const subscriptionReads = gb.custodian.calls.slice(reads).filter((c) => c.endpoint === 'subscription')
    expect(subscriptionReads.map((c) => c.subscription).sort()).toEqual(['2', '4'])
    for (const read of subscriptionReads) expect(read.query).toMatch(/^published-min=/)
  })

  it('a job cut off between two usage points of one period resumes without losing a bill', async () => {
    const { url, transaction } = await gb.gb.beginConsent({ scope: SCOPE })
    await gb.gb.completeConsent(await gb.authorize(url), transaction, { store, key: 'gb-cut' })
    // Oldest period first, both usage points per period: the 6th bill is the second point's last.
    upserts = 0
    failAt.set('gb-cut', 6)
    await sync.schedule([{ key: 'gb-cut', provider: 'utility-gb' }], { run: 'night-cut' })
    const summary = await runToEnd('night-cut')
    expect(summary).toMatchObject({ done: 1, failed: 0 })
    expect([...bills.values()].filter((b) => b.key === 'gb-cut')).toHaveLength(6)
    expect(upserts).toBeGreaterThan(6) // the retry read the last period again
  })

  it('a revoked authorization ends as needs-consent and calls onNeedsConsent', async () => {
    gb.custodian.revokeAuthorization('5')
    // The access token is still fresh: the Data Custodian refuses it, the refresh is refused too.
    await sync.schedule([{ key: gbKey(4), provider: 'utility-gb' }], { run: 'night-2' })
    const summary = await runToEnd('night-2')
    expect(summary).toMatchObject({ needsConsent: 1, done: 0 })
    expect(needsConsent).toEqual([{ key: gbKey(4), code: 'ERR_ECI_INVALID_GRANT', provider: 'utility-gb' }])
    expect((await store.get(gbKey(4)))?.status).toBe('needs_consent')
  })

  it('notify refuses an ECIS provider', async () => {
    await expect(sync.notify('utility-ecis', [NOTIFY])).rejects.toMatchObject({ code: 'ERR_ECI_INVALID_OPTION' })
  })
})
