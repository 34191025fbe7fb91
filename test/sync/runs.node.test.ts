/**
 * Runs of `ecis-consumer/sync` (real Redis, the mock provider server, one process): job ids
 * that no two (run, key) pairs share, and `waitForRun` that always ends.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConfigError, EciError, ErrorCode } from '../../src/index.js'
import { jobId } from '../../src/sync/sync.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
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

const { world, close } = worlds(() => redis)

describe('job ids', () => {
  it('run `nightly` with key `eu.cust-1` and run `nightly.eu` with key `cust-1` are two jobs, and both runs finish', async () => {
    const dotted = (owner: string) => (owner === 'c-0' ? 'eu.cust-1' : 'cust-1')
    const w = await world({ grants: 2, keyOf: dotted })
    try {
      const [eu, plain] = [
        { key: 'eu.cust-1', provider: 'utility-a' },
        { key: 'cust-1', provider: 'utility-a' },
      ]
      expect(await w.sync.schedule([eu], { run: 'nightly' })).toMatchObject({ scheduled: 1 })
      expect(await w.sync.schedule([plain], { run: 'nightly.eu' })).toMatchObject({ scheduled: 1 })
      const worker = await w.sync.work({ lockDurationMs: 5000, stalledIntervalMs: 2000 })
      try {
        const options = { pollMs: 50, timeoutMs: 15_000 }
        expect(await w.sync.waitForRun('nightly', options)).toMatchObject({ scheduled: 1, done: 1, pending: 0 })
        expect(await w.sync.waitForRun('nightly.eu', options)).toMatchObject({ scheduled: 1, done: 1, pending: 0 })
      } finally {
        await worker.close()
      }
      const synced = new Set([...w.rows.values()].map((r) => r.key))
      expect(synced).toEqual(new Set(['eu.cust-1', 'cust-1']))
    } finally {
      await w.sync.close()
    }
  }, 40_000)

  it('no two (run, key) pairs share an id, whatever `.`, `/`, `:` or `%` the key holds', () => {
    const runs = ['nightly', 'nightly.eu', 'nightly.eu.x', 'a', 'a.b', 'a-b', 'a_b']
    const keys = [
      'cust-1',
      'eu.cust-1',
      'x.eu.cust-1',
      'b',
      'b/c',
      'b%2Fc',
      'b:c',
      'b%3Ac',
      '%',
      '/',
      ':',
      'ü/ß',
      '\ud800',
    ]
    const seen = new Map<string, string>()
    for (const run of runs) {
      for (const key of keys) {
        const id = jobId(run, key)
        expect(id).not.toContain(':') // BullMQ refuses ids with ':'
        expect(seen.get(id), `${run} + ${key}`).toBeUndefined()
        seen.set(id, `${run} + ${key}`)
      }
    }
  })
})

describe('sync.waitForRun', () => {
  it('rejects at once with EciConfigError for a run with nothing scheduled (a mistyped name), without a signal', async () => {
    const w = await world({ grants: 1 })
    try {
      await w.sync.schedule(w.refs, { run: '2026-01-15' })
      const started = performance.now()
      const error = await w.sync.waitForRun('2026-01-51', { pollMs: 10 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EciConfigError)
      expect((error as EciConfigError).code).toBe(ErrorCode.INVALID_OPTION)
      expect((error as Error).message).toContain('2026-01-51')
      // One summary read, not a poll until something happens.
      expect(performance.now() - started).toBeLessThan(5_000)
    } finally {
      await w.sync.close()
    }
  })

  it('rejects with ERR_ECI_TIMEOUT, saying how many grants are pending, when the run does not finish within timeoutMs', async () => {
    const w = await world({ grants: 2 })
    try {
      await w.sync.schedule(w.refs, { run: 'no-workers' }) // and no worker ever runs
      const error = await w.sync.waitForRun('no-workers', { pollMs: 20, timeoutMs: 200 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EciError)
      expect(error).toMatchObject({ code: ErrorCode.TIMEOUT })
      expect((error as Error).message).toMatch(/2 of 2 grants pending after 200 ms/)
      // The run is untouched: its grants are still there to work on.
      expect(await w.sync.summary('no-workers')).toMatchObject({ scheduled: 2, pending: 2 })
    } finally {
      await w.sync.close()
    }
  })

  it('rejects with EciNetworkError ERR_ECI_ABORTED (the signal’s reason as cause) when the signal aborts, and refuses bad options', async () => {
    const w = await world({ grants: 1 })
    try {
      await w.sync.schedule(w.refs, { run: 'r' })
      const reason = new Error('stop waiting')
      const aborted = await w.sync.waitForRun('r', { pollMs: 20, signal: AbortSignal.abort(reason) }).catch((e) => e)
      expect(aborted).toMatchObject({ name: 'EciNetworkError', code: 'ERR_ECI_ABORTED' })
      expect(aborted.cause).toBe(reason)
      await expect(w.sync.waitForRun('r', { timeoutMs: 0 })).rejects.toBeInstanceOf(EciConfigError)
      await expect(w.sync.waitForRun('a:b')).rejects.toBeInstanceOf(EciConfigError)
    } finally {
      await w.sync.close()
    }
  })
})
