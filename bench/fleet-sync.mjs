// The throughput of ONE sync worker process (ecis-consumer/sync, built package) against the mock
// provider on loopback, with no provider rate limit: what a worker can do when the utility is
// not the bottleneck. Starts its own redis-server; grants in Redis; the worker is a separate
// Node process, so its CPU time is its own (the mock runs in this process).
//
//   npm run build && npx node bench/fleet-sync.mjs [grants] [--json]
//
// For each provider latency and job concurrency: grants/s, requests/s and the worker's CPU
// time per request. bench/fleet-sync-model.mjs turns these into the capacity table of
// docs/scaling.md.
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
const JSON_OUT = process.argv.includes('--json')
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

/** A mock utility with GRANTS customers, each consented into the store. */
async function utility(latencyMs, store, keys) {
  const generated = performance.now()
  const server = await startMockProviderServer({
    seed: latencyMs + 1,
    latency: latencyMs,
    owners: Array.from({ length: GRANTS }, (_, i) => ({ ownerId: `c${i}`, accounts: [{ months: MONTHS }] })),
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] } }],
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
        await consumer.completeConsent(location, transaction, { store, key: `${latencyMs}/${o.ownerId}` })
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
const utilities = new Map()
try {
  for (const [n, s] of SCENARIOS.entries()) {
    if (!utilities.has(s.latencyMs)) utilities.set(s.latencyMs, await utility(s.latencyMs, store, keys))
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
      server.provider.fixtures.owners.map((o) => ({ key: `${s.latencyMs}/${o.ownerId}`, provider: 'utility' })),
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
} finally {
  for (const { server } of utilities.values()) await server.close()
  storeRedis.disconnect()
  queueRedis.disconnect()
  await redisServer.close()
}

if (JSON_OUT) console.log(JSON.stringify(results, null, 2))
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
}
