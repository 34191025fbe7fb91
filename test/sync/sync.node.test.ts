/**
 * `ecis-consumer/sync` in one process, against a real Redis (started here) and the mock provider
 * server: scheduling, the grant job, incremental runs, 429 pauses, retries, lost consents,
 * schema breaks and the run summary. The many-process fleet is test/fleet-sync/.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConfigError, EciConsentError, ErrorCode, memoryGrantStore } from '../../src/index.js'
import { createEciSync } from '../../src/sync/index.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { allInvoices, maxInWindow, memorySink } from './support.js'
import { worlds } from './world.js'

let redisServer: RedisServer
let redis: Redis

beforeAll(async () => {
  redisServer = await startRedisServer()
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
}, 60_000)

afterAll(async () => {
  await close()
  redis?.disconnect()
  await redisServer?.close()
})

const { world, runOnce, close } = worlds(() => redis)

describe('sync.schedule', () => {
  it('adds one job per grant per run: scheduling the same run again adds nothing', async () => {
    const w = await world({ grants: 4 })
    try {
      expect(await w.sync.schedule(w.refs, { run: 'night-1' })).toEqual({ run: 'night-1', scheduled: 4, duplicates: 0 })
      expect(await w.sync.schedule(w.refs, { run: 'night-1' })).toEqual({ run: 'night-1', scheduled: 0, duplicates: 4 })
      const summary = await w.sync.summary('night-1')
      expect(summary).toMatchObject({ scheduled: 4, pending: 4, done: 0 })
      expect(summary.startedAt).toBeTypeOf('number')
    } finally {
      await w.sync.close()
    }
  })

  it('refuses an unknown provider, a bad key or run before adding anything', async () => {
    const w = await world({ grants: 1 })
    try {
      await expect(w.sync.schedule([{ key: 'k', provider: 'nope' }], { run: 'r1' })).rejects.toBeInstanceOf(
        EciConfigError,
      )
      await expect(w.sync.schedule([{ key: '', provider: 'utility-a' }], { run: 'r1' })).rejects.toBeInstanceOf(
        EciConfigError,
      )
      await expect(w.sync.schedule(w.refs, { run: 'a:b' })).rejects.toBeInstanceOf(EciConfigError)
      expect((await w.sync.summary('r1')).scheduled).toBe(0)
    } finally {
      await w.sync.close()
    }
  })
})

describe('a run', () => {
  it('stores every invoice of every grant once, with each account, and reports the run', async () => {
    const w = await world({ grants: 5 })
    try {
      const { summary } = await runOnce(w, 'n1')
      const expected = allInvoices(w.utility)
      expect([...w.rows.keys()].map((k) => k.slice('utility-a/'.length)).sort()).toEqual([...expected].sort())
      expect([...w.writes.values()].every((n) => n === 1)).toBe(true)
      for (const [key, row] of w.rows) {
        const [, account, invoice] = key.split('/')
        expect(row.invoice).toEqual(w.utility.server.provider.fixtures.invoiceDetail(account!, invoice!))
        expect(row.position).toBe(
          w.utility.server.provider.fixtures.basic(account!)!.system_invoice_ids.indexOf(invoice!),
        )
      }
      expect(w.accounts.size).toBe(w.utility.server.provider.fixtures.accounts().length)
      expect(summary).toMatchObject({ scheduled: 5, done: 5, failed: 0, needsConsent: 0, pending: 0 })
      expect(summary.invoices).toBe(expected.length)
      // Every request of the run, token requests included (discovery is not part of a run).
      expect(summary.requests['utility-a']).toBe(w.calls().filter((c) => c.endpoint !== 'metadata').length)
      expect(summary.durationMs).toBeGreaterThanOrEqual(0)
      expect(w.eci()).toHaveLength(w.accounts.size + expected.length)
    } finally {
      await w.sync.close()
    }
  })

  it('sends the ECI requests through globalThis.fetch (undici), through the limiter', async () => {
    const w = await world({ grants: 2 })
    const paths: string[] = []
    const onRequest = (message: unknown) => paths.push((message as { request: { path: string } }).request.path)
    subscribe('undici:request:create', onRequest)
    try {
      const { summary } = await runOnce(w, 'n1')
      expect(summary.done).toBe(2)
    } finally {
      unsubscribe('undici:request:create', onRequest)
      await w.sync.close()
    }
    expect(paths.filter((p) => p.endsWith('/eci/v1'))).toHaveLength(w.eci().length)
  })

  it('the next night fetches only the new invoice of each account', async () => {
    const w = await world({ grants: 4 })
    try {
      await runOnce(w, 'n1')
      const issued = w.utility.server.provider.issueInvoices()
      w.utility.server.provider.clearCalls()
      const { summary } = await runOnce(w, 'n2')
      const details = w.eci().filter((c) => c.claims?.eci_request_type === 'invoice_detail')
      expect(details.map((c) => c.claims?.system_invoice_id).sort()).toEqual(
        issued.map((i) => i.systemInvoiceId).sort(),
      )
      expect(w.eci()).toHaveLength(2 * issued.length) // one Basic and one Invoice Detail per account
      expect(summary).toMatchObject({ done: 4, invoices: issued.length })
      expect(w.rows.size).toBe(allInvoices(w.utility).length)
    } finally {
      await w.sync.close()
    }
  })

  it('keeps every provider request inside the rate limit shared by two workers', async () => {
    // A margin for this shared, loaded machine: the workers and the mock share one event loop
    // here, so a request can reach the mock 100 ms after its slot (the bench measures the default).
    const rateLimit = { max: 8, duration: 500, marginMs: 250 }
    const w = await world({ grants: 6, months: 4, rateLimit, utility: { rateLimit: { max: 8, windowMs: 500 } } })
    try {
      await w.sync.schedule(w.refs, { run: 'n1' })
      const second = createEciSync({
        redis,
        store: w.store,
        sink: w.sink,
        prefix: w.prefix,
        providers: { 'utility-a': { consumer: w.utility.consumer, rateLimit } },
      })
      const workers = [await w.sync.work(), await second.work()]
      const summary = await w.sync.waitForRun('n1', { pollMs: 50 })
      await Promise.all(workers.map((x) => x.close()))
      await second.close()
      expect(summary.done).toBe(6)
      expect(maxInWindow(w.calls(), 500)).toBeLessThanOrEqual(8)
      expect(w.calls().filter((c) => c.status === 429)).toEqual([])
    } finally {
      await w.sync.close()
    }
  }, 60_000)

  it('at 200 ms latency, keeps within the utility’s own limit in every window: no 429, every invoice stored', async () => {
    const w = await world({
      grants: 8,
      months: 4,
      rateLimit: { max: 10, duration: 1000, marginMs: 250 },
      provider: { concurrency: 4, invoiceConcurrency: 2 },
      utility: { rateLimit: { max: 10, windowMs: 1000 }, latency: 200 },
    })
    try {
      const { summary } = await runOnce(w, 'n1')
      expect(summary).toMatchObject({ done: 8, failed: 0 })
      expect(w.rows.size).toBe(allInvoices(w.utility).length)
      expect(w.eci().filter((c) => c.status === 429)).toEqual([])
      expect(maxInWindow(w.eci(), 1000)).toBeLessThanOrEqual(10)
    } finally {
      await w.sync.close()
    }
  }, 60_000)
})

describe('provider trouble', () => {
  it('a 429 pauses the whole provider for Retry-After, then the run completes with nothing lost', async () => {
    const w = await world({ grants: 4, months: 4 })
    try {
      w.utility.server.provider.fault({ endpoint: 'eci', delayMs: 0, times: 3 })
      w.utility.server.provider.fault({ endpoint: 'eci', status: 429, retryAfter: 1, times: 1 })
      const { summary } = await runOnce(w, 'n1')
      const eci = w.eci()
      const limited = eci.find((c) => c.status === 429)!
      const after = eci.filter((c) => c.at > limited.at)
      // Requests already in flight when the 429 came back may land just after — at most what can be
      // in flight (4 jobs × invoiceConcurrency 2) — then nothing until the pause ends.
      const resumed = after.filter((c) => c.at - limited.at >= 900)
      expect(after.length - resumed.length).toBeLessThanOrEqual(4 * 2)
      expect(resumed.length).toBeGreaterThan(0)
      expect(summary).toMatchObject({ done: 4, failed: 0 })
      expect(w.rows.size).toBe(allInvoices(w.utility).length)
    } finally {
      await w.sync.close()
    }
  }, 30_000)

  it('retries 503s with backoff and a sink that failed once, and stores everything once the provider recovers', async () => {
    const w = await world({ grants: 2 })
    try {
      // The SDK retries once inside the call; the job is retried by BullMQ after that.
      w.utility.server.provider.fault({ endpoint: 'eci', status: 503, retryAfter: 0, times: 3 })
      let failures = 1
      w.sink.fail = () => failures-- > 0
      const { summary } = await runOnce(w, 'n1')
      expect(summary).toMatchObject({ done: 2, failed: 0 })
      expect(w.rows.size).toBe(allInvoices(w.utility).length)
      expect(w.eci().filter((c) => c.status === 503)).toHaveLength(3)
    } finally {
      await w.sync.close()
    }
  })

  it('fails a grant at once when retrying cannot help (403), and goes on with the others', async () => {
    const w = await world({ grants: 3, sync: { attempts: 5 } })
    try {
      w.utility.server.provider.fault({ endpoint: 'eci', status: 403, error: 'insufficient_scope', times: 1 })
      const { summary } = await runOnce(w, 'n1')
      expect(summary).toMatchObject({ done: 2, failed: 1, pending: 0 })
      expect(w.eci().filter((c) => c.status === 403)).toHaveLength(1)
      const outcomes = []
      for await (const o of w.sync.outcomes('n1')) outcomes.push(o)
      expect(outcomes.filter((o) => o.status === 'failed')).toEqual([
        expect.objectContaining({ provider: 'utility-a', reason: ErrorCode.HTTP_ERROR }),
      ])
    } finally {
      await w.sync.close()
    }
  })

  it('records a response that breaks the schema and stores the other invoices', async () => {
    const w = await world({ grants: 1, months: 4 })
    try {
      w.utility.server.provider.fault({ endpoint: 'eci', delayMs: 0, times: 2 }) // the Basic and one detail
      w.utility.server.provider.fault({ endpoint: 'eci', body: 'invalid', times: 1 })
      const { summary } = await runOnce(w, 'n1')
      expect(summary).toMatchObject({ done: 1, failedRecords: 1 })
      expect(w.failures).toHaveLength(1)
      expect(w.failures[0]).toMatchObject({ provider: 'utility-a', requestType: 'invoice_detail' })
      expect(w.rows.size).toBe(allInvoices(w.utility).length - 1)
    } finally {
      await w.sync.close()
    }
  })
})

describe('lost consent', () => {
  it('marks a revoked grant needs_consent, calls onNeedsConsent, and never retries it', async () => {
    const w = await world({ grants: 3 })
    try {
      const gone = w.utility.server.provider.fixtures.owners[1]!.ownerId
      w.utility.server.provider.revokeGrants({ owners: [gone] })
      // Expired, so the revoked grant's refresh is refused (invalid_grant).
      const key = `grant-${gone}`
      const stored = (await w.store.get(key))!
      await w.store.put(key, { ...stored.grant, expiresAt: 1 }, { ifVersion: stored.version })
      const { summary } = await runOnce(w, 'n1')
      expect(summary).toMatchObject({ done: 2, needsConsent: 1, failed: 0 })
      expect(w.needsConsent).toEqual([{ key, code: ErrorCode.INVALID_GRANT }])
      expect(await w.store.get(key)).toMatchObject({ status: 'needs_consent', reason: ErrorCode.INVALID_GRANT })
      expect(w.calls().filter((c) => c.endpoint === 'token')).toHaveLength(1)

      // The next night: no request at all for it, and it is reported again.
      w.utility.server.provider.clearCalls()
      w.needsConsent.length = 0
      await runOnce(w, 'n2')
      expect(w.needsConsent).toEqual([{ key, code: ErrorCode.INVALID_GRANT }])
      expect(w.calls().filter((c) => c.endpoint === 'token')).toHaveLength(0)
    } finally {
      await w.sync.close()
    }
  })

  it('marks a grant whose access token the provider refuses mid-run (revoked, no longer refreshable)', async () => {
    const w = await world({ grants: 1 })
    try {
      w.utility.server.provider.revokeGrants()
      const { summary } = await runOnce(w, 'n1')
      expect(summary.needsConsent).toBe(1)
      expect(w.needsConsent[0]!.code).toBe(ErrorCode.INVALID_GRANT)
      expect((await w.store.get(w.keys[0]!))?.status).toBe('needs_consent')
      expect(w.rows.size).toBe(0)
    } finally {
      await w.sync.close()
    }
  })
})

describe('createEciSync options', () => {
  it('refuses bad options with EciConfigError', () => {
    const base = {
      redis,
      store: memoryGrantStore(),
      sink: memorySink().sink,
      providers: { a: { consumer: { issuer: 'x', clientId: 'c' } as never, rateLimit: { max: 1, duration: 1000 } } },
    }
    expect(() => createEciSync(base)).not.toThrow()
    for (const bad of [
      { redis: undefined },
      { sink: {} },
      { providers: {} },
      { providers: { 'a:b': base.providers.a } },
      { providers: { a: { ...base.providers.a, rateLimit: { max: 0, duration: 1000 } } } },
      { providers: { a: { ...base.providers.a, concurrency: 0 } } },
      { attempts: 0 },
      { prefix: 'a b' },
    ]) {
      expect(() => createEciSync({ ...base, ...bad } as never)).toThrow(EciConfigError)
    }
  })

  it('refuses to work on a client that BullMQ workers cannot use', async () => {
    const client = new Redis(redisServer.url, { maxRetriesPerRequest: 1, lazyConnect: true })
    const sync = createEciSync({
      redis: client,
      store: memoryGrantStore(),
      sink: memorySink().sink,
      providers: { a: { consumer: { issuer: 'x', clientId: 'c' } as never, rateLimit: { max: 1, duration: 1000 } } },
    })
    await expect(sync.work()).rejects.toBeInstanceOf(EciConfigError)
    client.disconnect()
  })

  it('hands onNeedsConsent an EciConsentError', async () => {
    const seen: unknown[] = []
    const w = await world({ grants: 1, sync: { onNeedsConsent: (_key, error) => void seen.push(error) } })
    try {
      await w.store.markNeedsConsent(w.keys[0]!, ErrorCode.INVALID_GRANT)
      await runOnce(w, 'n1')
      expect(seen).toHaveLength(1)
      expect(seen[0]).toBeInstanceOf(EciConsentError)
      expect(w.eci()).toHaveLength(0)
    } finally {
      await w.sync.close()
    }
  })
})
