// Latency of one put, one compare-and-set put, one get and one lock + release, per store, on
// the real servers the tests use (loopback; PostgreSQL with fsync on, Redis with AOF fsync
// always). Sequential operations; prints the median and p90 of each (after a warm-up):
//
//   npx vitest bench --run --project 'node (bench)' test/stores
import { afterAll, expect, test } from 'vitest'
import { type GrantStore, memoryGrantStore } from '../../src/index.js'
import { withDurableStore } from '../support/durable-store.js'
import { grantNumber, newKey } from './conformance.js'

const OPS = 300
const WARMUP = 30
const rows: string[] = []
afterAll(() => console.log(`\nGrantStore latency, ${OPS} sequential ops each (ms)\n${rows.join('\n')}\n`))

async function timed(run: () => Promise<unknown>): Promise<{ median: number; p90: number }> {
  for (let i = 0; i < WARMUP; i++) await run()
  const samples: number[] = []
  for (let i = 0; i < OPS; i++) {
    const start = performance.now()
    await run()
    samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  return { median: samples[Math.floor(OPS / 2)]!, p90: samples[Math.floor(OPS * 0.9)]! }
}

async function measure(name: string, store: GrantStore): Promise<void> {
  const key = newKey()
  const grant = grantNumber(1)
  let version = await store.put(key, grant)
  const results = {
    put: await timed(async () => {
      version = await store.put(key, grant)
    }),
    'CAS put': await timed(async () => {
      version = await store.put(key, grant, { ifVersion: version })
    }),
    get: await timed(() => store.get(key)),
    'lock + release': await timed(async () => {
      const lock = await store.lock(key, { ttlMs: 10_000 })
      expect(await lock?.release()).toBe(true)
    }),
  }
  expect((await store.get(key))?.version).toBe(version)
  for (const [op, { median, p90 }] of Object.entries(results)) {
    rows.push(
      `${name.padEnd(10)} ${op.padEnd(15)} median ${median.toFixed(3).padStart(7)}  p90 ${p90.toFixed(3).padStart(7)}`,
    )
  }
}

test('memory', () => measure('memory', memoryGrantStore()))

test('postgres', () => withDurableStore('postgres', (store) => measure('postgres', store)), 120_000)

test('redis', () => withDurableStore('redis', (store) => measure('redis', store)), 120_000)
