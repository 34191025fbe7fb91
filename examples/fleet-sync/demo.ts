/**
 * The whole fleet sync in one command, against the mock provider on loopback: two utilities with
 * different rate limits, their customers consenting (grants into the shared store, each customer
 * into the `customers` table), WORKERS worker processes (worker.ts), and two nights of the
 * scheduler (scheduler.ts): the first fetches every history, the second — after each utility
 * billed a new month — only the new invoices. One customer withdraws consent at utility-b before
 * the first night and is reported.
 *
 *   npm run build
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… [GRANT_STORE=redis] [CUSTOMERS=30] [WORKERS=2] \
 *     npx node examples/fleet-sync/demo.ts
 *
 * The last line is a JSON summary of both nights.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { EciConsumer } from 'ecis-consumer'
import type { MockOwnerSpec } from 'ecis-consumer/mock'
import { type MockProviderServer, startMockProviderServer } from 'ecis-consumer/mock/node'
import { openFleet, openStores, type ProviderEntry, type Stores } from './fleet.ts'
import { describeRun, runNight } from './scheduler.ts'

const REDIRECT = 'http://127.0.0.1/eci/callback'

/** The demo's utilities: seed, rate limit, and how many of the customers each serves. */
export const DEMO_UTILITIES = [
  { id: 'utility-a', seed: 31, rateLimit: { max: 20, duration: 1000 }, share: 0.6 },
  { id: 'utility-b', seed: 32, rateLimit: { max: 10, duration: 1000 }, share: 0.4 },
] as const

/** The customers of a utility: every third has two accounts; half a year of history each. */
export function demoOwners(utility: string, count: number): MockOwnerSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    ownerId: `${utility}-customer-${i + 1}`,
    accounts: Array.from({ length: i % 3 === 0 ? 2 : 1 }, () => ({ months: 6 })),
  }))
}

/** Customers per utility for `customers` in all. */
export function demoCounts(customers: number): number[] {
  const a = Math.round(customers * DEMO_UTILITIES[0].share)
  return [a, customers - a]
}

/** A demo run's data: its own seed, so a second demo on the same database has other accounts. */
export const demoSeed = (spec: { seed: number }, token: string) => `${spec.seed}-${token}`

/** The customer of utility-b who withdraws consent before the first night. */
export const WITHDRAWN = 'utility-b-customer-2'

async function ecKey() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  return {
    privateJwk: { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'demo' },
    publicJwk: { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'demo' },
  }
}

/** Starts a utility and has each of its customers consent; their grants go to the fleet's store. */
async function utility(fleet: Stores, spec: (typeof DEMO_UTILITIES)[number], customers: number, token: string) {
  const { privateJwk, publicJwk } = await ecKey()
  const server: MockProviderServer = await startMockProviderServer({
    seed: demoSeed(spec, token),
    latency: { minMs: 10, maxMs: 40 },
    owners: demoOwners(spec.id, customers),
    clients: [
      {
        clientId: 'acme-solar',
        redirectUris: [REDIRECT],
        jwks: { keys: [publicJwk] },
        rateLimit: { max: spec.rateLimit.max, windowMs: spec.rateLimit.duration },
      },
    ],
    // The customer approves the accounts the producer asked for.
    consent: (request) => ({ owner: server.provider.fixtures.account(request.requestedAccounts?.[0] ?? '')?.ownerId }),
  })
  const entry: ProviderEntry = {
    id: spec.id,
    issuer: server.issuer,
    clientId: 'acme-solar',
    privateJwk,
    rateLimit: spec.rateLimit,
    allowInsecureRequests: true,
  }
  const consumer = await EciConsumer.discover({
    issuer: entry.issuer,
    clientId: entry.clientId,
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  })
  for (const owner of server.provider.fixtures.owners) {
    const { url, transaction } = await consumer.beginConsent({
      scopes: ['basic', 'invoice', 'invoice_detail'],
      accounts: owner.accounts.map((a) => a.systemAccountId),
    })
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? ''
    const key = `${token}/${spec.id}/${owner.ownerId}`
    await consumer.completeConsent(location, transaction, { store: fleet.store, key })
    await fleet.pool.query('INSERT INTO customers (grant_key, provider) VALUES ($1, $2)', [key, spec.id])
  }
  return { server, entry }
}

function startWorkers(count: number, env: Record<string, string | undefined>): Promise<ChildProcess[]> {
  const script = fileURLToPath(new URL('./worker.ts', import.meta.url))
  return Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] })
      const lines = createInterface({ input: child.stdout! })
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => {
          if (line.includes('"ready"')) resolve()
          else if (line.includes('needsConsent')) console.log(`  worker ${child.pid}: ${line}`)
        })
        child.once('exit', (code) => reject(new Error(`a worker exited with ${code}`)))
      })
      return child
    }),
  )
}

const stopAll = (children: ChildProcess[]) =>
  Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )

/** Runs the demo; resolves both nights' summaries. */
export async function demo(env: Record<string, string | undefined> = process.env) {
  const customers = Number(env.CUSTOMERS ?? 30)
  const token = randomBytes(4).toString('hex') // this demo's keys and runs, so repeated demos do not mix
  const fleet = await openStores(env, { migrate: true })
  const servers: MockProviderServer[] = []
  let workers: ChildProcess[] = []
  try {
    const counts = demoCounts(customers)
    const utilities = []
    for (const [i, spec] of DEMO_UTILITIES.entries()) utilities.push(await utility(fleet, spec, counts[i]!, token))
    servers.push(...utilities.map((u) => u.server))
    console.log(
      `${customers} customers consented at ${utilities.length} utilities (grants in ${env.GRANT_STORE ?? 'postgres'})`,
    )
    servers[1]!.provider.revokeGrants({ owners: [WITHDRAWN] })
    const workerEnv = { ...env, ECIS_PROVIDERS: JSON.stringify(utilities.map((u) => u.entry)) }
    workers = await startWorkers(Number(env.WORKERS ?? 2), workerEnv)
    console.log(`${workers.length} workers started`)
    const nightFleet = await openFleet(workerEnv)
    try {
      const first = await runNight(nightFleet, `${token}-night-1`, `${token}/`)
      console.log(describeRun(first))
      for (const s of servers) s.provider.issueInvoices() // a month later: every account has a new bill
      const second = await runNight(nightFleet, `${token}-night-2`, `${token}/`)
      console.log(describeRun(second))
      const result = { token, nights: [first, second] }
      console.log(JSON.stringify(result))
      return result
    } finally {
      await nightFleet.close()
    }
  } finally {
    await stopAll(workers)
    for (const s of servers) await s.close()
    await fleet.close()
  }
}

if (import.meta.main) await demo()
