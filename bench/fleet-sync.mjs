// The nightly sync (ecis-consumer/sync, built package) against the mock provider on loopback, in
// two parts. Starts its own redis-server; grants in Redis; workers are separate Node processes,
// so their CPU time is their own (the mock runs in this process).
//
//   npm run build && npx node bench/fleet-sync.mjs [grants] [--json] [--at-limit-only]
//
// 1. Throughput of ONE worker with no provider rate limit, for each provider latency and job
//    concurrency: grants/s, requests/s and the worker's CPU time per request.
// 2. The fleet AT the utility's limit: two workers against a mock that refuses (429) anything
//    over its own limit (a strict sliding window on arrival times), 200 ms latency, the sync set
//    to the same limit with its default margin. Achieved fraction of the limit = accepted ECI
//    requests that arrived in the middle 60 % of the run / what the limit allows in that time;
//    also the most arrivals in any window (must be ≤ the limit) and the 429s. Three runs per
//    window; medians.
//
// bench/fleet-sync-model.mjs turns these into the capacity table of docs/scaling.md.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { EciConsumer } from '../dist/index.js'
import { startMockProviderServer } from '../dist/mock/node/index.js'
import { redisGrantStore } from '../dist/redis/index.js'
import { createEciSync } from '../dist/sync/index.js'

const GRANTS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200)
/** The limited part: the utility's limit (requests per window), runs per window, latency. */
const env = process.env
const LIMITED = {
  /** Requests per second the utility allows: well under what this machine's fleet can send, so the limit binds. */
  rate: Number(env.BENCH_RATE ?? 40),
  windowsMs: env.BENCH_WINDOWS ? env.BENCH_WINDOWS.split(',').map(Number) : [1000, 2000],
  runs: Number(env.BENCH_RUNS ?? 3),
  latencyMs: 200,
  workers: 2,
  grants: Number(env.BENCH_GRANTS ?? 60),
  /** The sync's margin; unset: its default. */
  marginMs: env.BENCH_MARGIN,
}
const JSON_OUT = process.argv.includes('--json')
const AT_LIMIT_ONLY = process.argv.includes('--at-limit-only')
const MONTHS = 12
const SCENARIOS = [
  { latencyMs: 0, concurrency: 4 },
  { latencyMs: 0, concurrency: 16 },
  { latencyMs: 50, concurrency: 4 },
  { latencyMs: 50, concurrency: 16 },
]
const INVOICE_CONCURRENCY = 4
const REDIRECT = 'http://127.0.0.1/eci/callback'

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

async function startRedis() {
  const dir = await mkdtemp(join(tmpdir(), 'ecis-bench-redis-'))
  const port = await freePort()
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  )
  const url = `redis://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      probe.disconnect()
      break
    } catch {
      probe.disconnect()
      if (i > 100) throw new Error('redis-server did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    url,
    close: async () => {
      child.kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function keyPair() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  return {
    privateJwk: { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'bench' },
    publicJwk: { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'bench' },
  }
}

/** A mock utility with `grants` customers, each consented into the store under `${name}/owner`. */
async function utility(name, { latencyMs, rateLimit, grants = GRANTS }, store, keys) {
  const generated = performance.now()
  const server = await startMockProviderServer({
    seed: latencyMs + 1,
    latency: latencyMs,
    owners: Array.from({ length: grants }, (_, i) => ({ ownerId: `c${i}`, accounts: [{ months: MONTHS }] })),
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] }, rateLimit }],
    consent: (request) => ({ owner: server.provider.fixtures.account(request.requestedAccounts[0]).ownerId }),
  })
  const fixturesMs = performance.now() - generated
  const consumer = await EciConsumer.discover({
    issuer: server.issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  })
  const owners = [...server.provider.fixtures.owners]
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let o = owners.shift(); o; o = owners.shift()) {
        const { url, transaction } = await consumer.beginConsent({
          scopes: ['basic', 'invoice', 'invoice_detail'],
          accounts: o.accounts.map((a) => a.systemAccountId),
        })
        const location = (await fetch(url, { redirect: 'manual' })).headers.get('location')
        await consumer.completeConsent(location, transaction, { store, key: `${name}/${o.ownerId}` })
      }
    }),
  )
  return { server, fixturesMs }
}

function spawnWorker(env) {
  const child = spawn(process.execPath, [new URL('./fleet-sync-worker.mjs', import.meta.url).pathname], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return { child, next: async () => JSON.parse((await lines.next()).value) }
}

const redisServer = await startRedis()
const storeRedis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 })
const queueRedis = new Redis(redisServer.url, { maxRetriesPerRequest: null })
const store = redisGrantStore({ redis: storeRedis })
const keys = await keyPair()
const results = []
const limited = []
const utilities = new Map()

/** The utility's limit per window: LIMITED.rate per second. */
const maxOf = (windowMs) => Math.round((LIMITED.rate * windowMs) / 1000)

/** The most of `times` in any half-open window of `windowMs`. */
function most(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  for (let high = 0, low = 0; high < sorted.length; high++) {
    while (sorted[high] - sorted[low] >= windowMs) low++
    best = Math.max(best, high - low + 1)
  }
  return best
}

/** One run of the fleet at the utility's limit: LIMITED.workers worker processes, every grant. */
async function atTheLimit(server, name, windowMs, run) {
  const prefix = `${name}-${run}`
  const workers = Array.from({ length: LIMITED.workers }, () =>
    spawnWorker({
      REDIS_URL: redisServer.url,
      PREFIX: prefix,
      ISSUER: server.issuer,
      KEY_JWK: JSON.stringify(keys.privateJwk),
      CONCURRENCY: '8',
      INVOICE_CONCURRENCY: '4',
      RATE_MAX: String(maxOf(windowMs)),
      RATE_DURATION: String(windowMs),
      ...(LIMITED.marginMs ? { MARGIN_MS: LIMITED.marginMs } : {}),
    }),
  )
  for (const w of workers) await w.next()
  server.provider.clearCalls()
  const sync = createEciSync({
    redis: queueRedis,
    store,
    sink: { lastInvoice: async () => undefined, upsertInvoice: async () => {} },
    prefix,
    providers: {
      utility: { consumer: { issuer: server.issuer, clientId: 'acme-solar' }, rateLimit: { max: 1, duration: 1 } },
    },
  })
  await sync.schedule(
    server.provider.fixtures.owners.map((o) => ({ key: `${name}/${o.ownerId}`, provider: 'utility' })),
    { run: 'bench' },
  )
  const summary = await sync.waitForRun('bench', { pollMs: 100 })
  for (const w of workers) w.child.kill('SIGTERM')
  for (const w of workers) await w.next()
  await sync.close()
  const eci = server.provider.calls.filter((c) => c.endpoint === 'eci')
  const accepted = eci.filter((c) => c.status !== 429).map((c) => c.at)
  const first = Math.min(...accepted)
  const span = Math.max(...accepted) - first
  // The middle 60 % of the run: past the first burst, before the last jobs thin out.
  const [from, to] = [first + span * 0.2, first + span * 0.8]
  const inMiddle = accepted.filter((t) => t >= from && t < to).length
  const allowed = ((to - from) / windowMs) * maxOf(windowMs)
  const token = server.provider.calls.filter((c) => c.endpoint === 'token').length
  return {
    windowMs,
    run,
    grants: summary.done,
    requests: eci.length,
    fraction: inMiddle / allowed,
    wholeRun: (accepted.length - maxOf(windowMs)) / ((span / windowMs) * maxOf(windowMs)),
    mostInWindow: most(accepted, windowMs),
    refused: eci.length - accepted.length,
    permitsUnsent: summary.requests.utility - eci.length - token,
    wallMs: summary.durationMs,
  }
}

try {
  for (const [n, s] of AT_LIMIT_ONLY ? [] : SCENARIOS.entries()) {
    if (!utilities.has(s.latencyMs)) utilities.set(s.latencyMs, await utility(`l${s.latencyMs}`, s, store, keys))
    const { server, fixturesMs } = utilities.get(s.latencyMs)
    const prefix = `bench${n}`
    const worker = spawnWorker({
      REDIS_URL: redisServer.url,
      PREFIX: prefix,
      ISSUER: server.issuer,
      KEY_JWK: JSON.stringify(keys.privateJwk),
      CONCURRENCY: String(s.concurrency),
      INVOICE_CONCURRENCY: String(INVOICE_CONCURRENCY),
    })
    await worker.next()
    server.provider.clearCalls()
    // This process only schedules and reads the summary: the provider entry names the queue.
    const sync = createEciSync({
      redis: queueRedis,
      store,
      sink: { lastInvoice: async () => undefined, upsertInvoice: async () => {} },
      prefix,
      providers: {
        utility: { consumer: { issuer: server.issuer, clientId: 'acme-solar' }, rateLimit: { max: 1, duration: 1 } },
      },
    })
    const started = performance.now()
    await sync.schedule(
      server.provider.fixtures.owners.map((o) => ({ key: `l${s.latencyMs}/${o.ownerId}`, provider: 'utility' })),
      { run: 'bench' },
    )
    const summary = await sync.waitForRun('bench', { pollMs: 50 })
    const wallMs = performance.now() - started
    worker.child.kill('SIGTERM')
    const { cpuMs } = await worker.next()
    await sync.close()
    const requests = server.provider.calls.filter((c) => c.endpoint === 'eci').length
    results.push({
      ...s,
      invoiceConcurrency: INVOICE_CONCURRENCY,
      grants: summary.done,
      requests,
      wallMs: Math.round(wallMs),
      grantsPerSecond: Math.round((summary.done / wallMs) * 1000),
      requestsPerSecond: Math.round((requests / wallMs) * 1000),
      workerCpuMsPerRequest: Number((cpuMs / requests).toFixed(2)),
      fixturesMs: Math.round(fixturesMs),
    })
  }
  for (const windowMs of LIMITED.windowsMs) {
    const rateLimit = { max: maxOf(windowMs), windowMs }
    const name = `limited${windowMs}`
    const u = await utility(name, { latencyMs: LIMITED.latencyMs, rateLimit, grants: LIMITED.grants }, store, keys)
    utilities.set(name, u)
    for (let run = 0; run < LIMITED.runs; run++) limited.push(await atTheLimit(u.server, name, windowMs, run))
  }
} finally {
  for (const { server } of utilities.values()) await server.close()
  storeRedis.disconnect()
  queueRedis.disconnect()
  await redisServer.close()
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const limitedSummary = LIMITED.windowsMs.map((windowMs) => {
  const runs = limited.filter((r) => r.windowMs === windowMs)
  return {
    windowMs,
    runs: runs.length,
    fraction: median(runs.map((r) => r.fraction)),
    fractions: runs.map((r) => Number(r.fraction.toFixed(3))),
    wholeRun: median(runs.map((r) => r.wholeRun)),
    mostInWindow: Math.max(...runs.map((r) => r.mostInWindow)),
    max: maxOf(windowMs),
    refused: runs.reduce((n, r) => n + r.refused, 0),
    permitsUnsent: runs.reduce((n, r) => n + r.permitsUnsent, 0),
    requests: median(runs.map((r) => r.requests)),
    wallMs: median(runs.map((r) => r.wallMs)),
  }
})

if (JSON_OUT) console.log(JSON.stringify({ oneWorker: results, atTheLimit: limitedSummary }, null, 2))
else {
  console.log(
    `One worker, ${GRANTS} grants × 1 account × ${MONTHS} invoices (1 Basic + ${MONTHS} Invoice Details each), no rate limit:`,
  )
  console.log('latency  jobs×details  requests  wall s  grants/s  requests/s  worker CPU ms/request')
  for (const r of results) {
    console.log(
      `${String(r.latencyMs).padStart(5)} ms  ${`${r.concurrency}×${r.invoiceConcurrency}`.padStart(12)}  ${String(r.requests).padStart(8)}  ${(r.wallMs / 1000).toFixed(1).padStart(6)}  ${String(r.grantsPerSecond).padStart(8)}  ${String(r.requestsPerSecond).padStart(10)}  ${String(r.workerCpuMsPerRequest).padStart(8)}`,
    )
  }
  console.log(`fixtures for ${GRANTS} customers × ${MONTHS} months generated in ${results[0]?.fixturesMs} ms`)
  console.log(
    `\nThe fleet at the utility's limit: ${LIMITED.workers} workers × 8 jobs × 4 details, ${LIMITED.grants} grants × ${MONTHS + 1} requests, ${LIMITED.latencyMs} ms latency, the mock refusing anything over ${LIMITED.rate} requests/s (per window, arrival times), the sync at the same limit with its default margin; medians of ${LIMITED.runs} runs:`,
  )
  console.log(
    'window  requests  wall s  fraction of the limit (runs)        whole run  most in a window  429s  permits unsent',
  )
  for (const r of limitedSummary) {
    console.log(
      `${String(r.windowMs).padStart(4)} ms  ${String(r.requests).padStart(8)}  ${(r.wallMs / 1000).toFixed(1).padStart(6)}  ${r.fraction.toFixed(3)} (${r.fractions.join(', ')})`.padEnd(
        66,
      ) +
        `${r.wholeRun.toFixed(3).padStart(9)}  ${`${r.mostInWindow} of ${r.max}`.padStart(16)}  ${String(r.refused).padStart(4)}  ${String(r.permitsUnsent).padStart(14)}`,
    )
  }
}
