// The nightly sync (ecis-consumer/sync, built package) against the mock provider on loopback, in
// two parts. Starts its own redis-server; grants in Redis; workers are separate Node processes,
// so their CPU time is their own; each mock utility runs in a process of its own too.
//
//   npm run build && npx node bench/fleet-sync.mjs [grants] [--json] [--at-limit-only]
//
// 1. Throughput of ONE worker with no provider rate limit, for each provider latency and job
//    concurrency: grants/s, requests/s and the worker's CPU time per request.
// 2. The fleet AT the utility's limit: two workers against a mock that refuses (429) anything
//    over its own limit (a strict sliding window on arrival times), 200 ms latency, the sync set
//    to the same limit with its default margin. Achieved fraction of the limit = accepted ECI
//    requests that arrived in the middle 60 % of the run / what the limit allows in that time;
//    also the most arrivals in any window (must be ≤ the limit), the 429s, and how long requests
//    took from leaving a worker to the mock's count (each matched by its request JWT's jti): a
//    transit longer than the margin — the mock's process stalled, on a shared machine — is what
//    lets arrivals bunch past the limit. Three runs per window; medians.
//
// bench/fleet-sync-model.mjs turns these into the capacity table of docs/scaling.md.
import { fork, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { EciConsumer } from '../dist/index.js'
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

/**
 * A mock utility with `grants` customers, each consented into the store under `${name}/owner`:
 * the mock provider server in a process of its own (bench/fleet-sync-provider.mjs).
 */
async function utility(name, { latencyMs, rateLimit, grants = GRANTS }, store, keys) {
  const generated = performance.now()
  const child = fork(
    new URL('./fleet-sync-provider.mjs', import.meta.url).pathname,
    [
      JSON.stringify({
        seed: latencyMs + 1,
        latency: latencyMs,
        grants,
        months: MONTHS,
        publicJwk: keys.publicJwk,
        rateLimit,
        redirectUri: REDIRECT,
      }),
    ],
    {
      // A young generation of 64 MB: the mock allocates about 100 kB per request (its GC trace),
      // and with Node's default its collector ran every 2–5 s here, now and then for 50–70 ms on
      // this shared machine — a pause that delays the count of the requests waiting on it past
      // any margin the fleet keeps (a gateway counting arrivals does not stop for its GC).
      execArgv: ['--max-semi-space-size=64'],
    },
  )
  const pending = new Map()
  let ids = 0
  const { issuer, owners } = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the mock provider process exited (${code})`)))
    child.on('message', (m) => (m.ready ? resolve(m.ready) : pending.get(m.id)?.(m.result)))
  })
  const ask = (op) => new Promise((resolve) => pending.set(++ids, resolve) && child.send({ id: ids, op }))
  const server = {
    issuer,
    owners,
    /** The call log: { endpoint, at (epoch ms), status, jti }. */
    calls: () => ask('calls'),
    clearCalls: () => ask('clear'),
    close: () => ask('close'),
  }
  const fixturesMs = performance.now() - generated
  const consumer = await EciConsumer.discover({
    issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  })
  const queue = [...owners]
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let o = queue.shift(); o; o = queue.shift()) {
        const { url, transaction } = await consumer.beginConsent({
          scopes: ['basic', 'invoice', 'invoice_detail'],
          accounts: o.accounts,
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]

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

/** The sync as this process uses it: it only schedules and reads the summary (the provider entry names the queue). */
const scheduler = (server, prefix) =>
  createEciSync({
    redis: queueRedis,
    store,
    sink: { lastInvoice: async () => undefined, upsertInvoice: async () => {} },
    prefix,
    providers: {
      utility: { consumer: { issuer: server.issuer, clientId: 'acme-solar' }, rateLimit: { max: 1, duration: 1 } },
    },
  })

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
      SEND_TIMES: '1',
      ...(LIMITED.marginMs ? { MARGIN_MS: LIMITED.marginMs } : {}),
    }),
  )
  for (const w of workers) await w.next()
  await server.clearCalls()
  const sync = scheduler(server, prefix)
  await sync.schedule(
    server.owners.map((o) => ({ key: `${name}/${o.ownerId}`, provider: 'utility' })),
    { run: 'bench' },
  )
  const summary = await sync.waitForRun('bench', { pollMs: 100 })
  for (const w of workers) w.child.kill('SIGTERM')
  const sent = new Map()
  for (const w of workers) for (const [jti, at] of (await w.next()).sends) sent.set(jti, at)
  await sync.close()
  const calls = await server.calls()
  const eci = calls.filter((c) => c.endpoint === 'eci')
  const transits = eci.filter((c) => sent.has(c.jti)).map((c) => c.at - sent.get(c.jti))
  const accepted = eci.filter((c) => c.status !== 429).map((c) => c.at)
  const first = Math.min(...accepted)
  const span = Math.max(...accepted) - first
  // The middle 60 % of the run: past the first burst, before the last jobs thin out.
  const [from, to] = [first + span * 0.2, first + span * 0.8]
  const inMiddle = accepted.filter((t) => t >= from && t < to).length
  const allowed = ((to - from) / windowMs) * maxOf(windowMs)
  const token = calls.filter((c) => c.endpoint === 'token').length
  return {
    windowMs,
    run,
    grants: summary.done,
    requests: eci.length,
    fraction: inMiddle / allowed,
    wholeRun: (accepted.length - maxOf(windowMs)) / ((span / windowMs) * maxOf(windowMs)),
    mostInWindow: most(accepted, windowMs),
    refused: eci.length - accepted.length,
    transitP99: quantile(transits, 0.99),
    transitMax: Math.max(...transits),
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
    await server.clearCalls()
    const sync = scheduler(server, prefix)
    const started = performance.now()
    await sync.schedule(
      server.owners.map((o) => ({ key: `l${s.latencyMs}/${o.ownerId}`, provider: 'utility' })),
      { run: 'bench' },
    )
    const summary = await sync.waitForRun('bench', { pollMs: 50 })
    const wallMs = performance.now() - started
    worker.child.kill('SIGTERM')
    const { cpuMs } = await worker.next()
    await sync.close()
    const requests = (await server.calls()).filter((c) => c.endpoint === 'eci').length
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
    refusedByRun: runs.map((r) => r.refused),
    transitP99: median(runs.map((r) => r.transitP99)),
    transitMax: runs.map((r) => r.transitMax),
    permitsUnsent: runs.reduce((n, r) => n + r.permitsUnsent, 0),
    requests: median(runs.map((r) => r.requests)),
    wallMs: median(runs.map((r) => r.wallMs)),
  }
})

if (JSON_OUT) console.log(JSON.stringify({ oneWorker: results, atTheLimit: limitedSummary }, null, 2))
else {
  if (results.length > 0) {
    console.log(
      `One worker, ${GRANTS} grants × 1 account × ${MONTHS} invoices (1 Basic + ${MONTHS} Invoice Details each), no rate limit:`,
    )
    console.log('latency  jobs×details  requests  wall s  grants/s  requests/s  worker CPU ms/request')
    for (const r of results) {
      console.log(
        `${String(r.latencyMs).padStart(5)} ms  ${`${r.concurrency}×${r.invoiceConcurrency}`.padStart(12)}  ${String(r.requests).padStart(8)}  ${(r.wallMs / 1000).toFixed(1).padStart(6)}  ${String(r.grantsPerSecond).padStart(8)}  ${String(r.requestsPerSecond).padStart(10)}  ${String(r.workerCpuMsPerRequest).padStart(8)}`,
      )
    }
    console.log(
      `the mock utility with ${GRANTS} customers × ${MONTHS} months started in ${results[0]?.fixturesMs} ms\n`,
    )
  }
  console.log(
    `The fleet at the utility's limit: ${LIMITED.workers} workers × 8 jobs × 4 details, ${LIMITED.grants} grants × ${MONTHS + 1} requests, ${LIMITED.latencyMs} ms latency, the mock refusing anything over ${LIMITED.rate} requests/s (per window, arrival times), the sync at the same limit with ${LIMITED.marginMs ? `a ${LIMITED.marginMs} ms margin` : 'its default margin'}; medians of ${LIMITED.runs} runs (and each run):`,
  )
  console.log('window  fraction of the limit  whole run  most in a window  429s  transit p99 / max ms  permits unsent')
  for (const r of limitedSummary) {
    console.log(
      `${String(r.windowMs).padStart(4)} ms  ${r.fraction.toFixed(3)} (${r.fractions.join(', ')})  ${r.wholeRun.toFixed(3)}  ${r.mostInWindow} of ${r.max}  ${r.refused} (${r.refusedByRun.join(', ')})  ${r.transitP99} / ${r.transitMax.join(', ')}  ${r.permitsUnsent}`,
    )
  }
}
