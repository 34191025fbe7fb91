/**
 * examples/green-button-backend for real, as its own Node process on the built package: real
 * PostgreSQL and Redis, the mock Data Custodian on loopback (started here, to publish data and send
 * notifications). Consent → grant stored; the nightly run stores the bills; a notification POST
 * leads to exactly the named grant being synced again, with only the new month.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type GreenButtonProviderServer, startGreenButtonProviderServer } from '../../src/mock/node/index.js'
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { freePort } from '../support/server-process.js'
import { ensureBuiltPackage, ROOT } from './package-build.js'

let postgres: PostgresServer
let redis: RedisServer
let custodian: GreenButtonProviderServer
let backend: ChildProcess | undefined
let base = ''
let output = ''

beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer(), ensureBuiltPackage()])
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  custodian = await startGreenButtonProviderServer({
    clients: [
      {
        clientId: 'acme-solar',
        clientSecret: 'example-secret',
        redirectUris: [`${base}/green-button/callback`],
        notifyUri: `${base}/green-button/notify`,
      },
    ],
    feed: { months: 4 },
  })
  const e = custodian.custodian.endpoints
  backend = spawn(process.execPath, ['examples/green-button-backend/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: postgres.connectionString,
      REDIS_URL: redis.url,
      PORT: String(port),
      GB_AUTHORIZATION_ENDPOINT: e.authorizationEndpoint,
      GB_TOKEN_ENDPOINT: e.tokenEndpoint,
      GB_RESOURCE_ENDPOINT: e.resourceEndpoint,
      GB_CLIENT_SECRET: 'example-secret',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  backend.stderr!.on('data', (d) => {
    output += d
  })
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: backend!.stdout! }).on('line', (line) => {
      output += `${line}\n`
      if (line.startsWith('Ready:')) resolve()
    })
    backend!.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)))
  })
}, 240_000)

afterAll(async () => {
  if (backend && backend.exitCode === null) {
    const exited = new Promise((resolve) => backend!.once('exit', resolve))
    backend.kill('SIGTERM')
    await exited
  }
  await custodian?.close()
  await redis?.close()
  await postgres?.close()
})

async function consent(customer: string) {
  const start = await fetch(`${base}/connect?customer=${customer}`, { redirect: 'manual' })
  const authorize = await fetch(start.headers.get('location') as string, { redirect: 'manual' })
  const callback = await fetch(authorize.headers.get('location') as string)
  expect(callback.status).toBe(200)
  return (await callback.json()) as { key: string; subscription: string }
}

const bills = async (customer: string) =>
  (await (await fetch(`${base}/bills?customer=${customer}`)).json()) as unknown[]

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > end) return value
    await new Promise((r) => setTimeout(r, 100))
  }
}

it('runs without configuration against the mock Data Custodian it starts', async () => {
  const port = await freePort()
  // Another app: its own database and Redis database (the backend above shares neither).
  const admin = new pg.Client({ connectionString: postgres.connectionString })
  await admin.connect()
  await admin.query('CREATE DATABASE gb_mock_mode')
  await admin.end()
  const child = spawn(process.execPath, ['examples/green-button-backend/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: postgres.connectionString.replace(/\/postgres$/, '/gb_mock_mode'),
      REDIS_URL: `${redis.url}/1`,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr!.on('data', (d) => {
    out += d
  })
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        out += `${line}\n`
        if (line.startsWith('Ready:')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${out}`)))
    })
    expect(out).toMatch(/^Custodian: http:\/\/127\.0\.0\.1:\d+ \(mock\)$/m)
    const own = `http://127.0.0.1:${port}`
    const start = await fetch(`${own}/connect?customer=m1`, { redirect: 'manual' })
    const authorize = await fetch(start.headers.get('location') as string, { redirect: 'manual' })
    expect((await fetch(authorize.headers.get('location') as string)).status).toBe(200)
    expect(await (await fetch(`${own}/nightly`, { method: 'POST' })).json()).toMatchObject({ scheduled: 1 })
    const read = async () => (await (await fetch(`${own}/bills?customer=m1`)).json()) as unknown[]
    // The mock's default feed: two usage points, twelve published months.
    const got = await until(read, (b) => b.length === 24)
    expect(got).toHaveLength(24)
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}, 60_000)

it('consents, syncs nightly, and syncs exactly the notified grant again', async () => {
  const one = await consent('c1')
  const two = await consent('c2')
  expect(one).toEqual({
    key: 'gb/c1',
    subscription: `${custodian.custodian.endpoints.resourceEndpoint}/Batch/Subscription/1`,
  })
  expect(two.subscription).toMatch(/Subscription\/2$/)

  const nightly = await (await fetch(`${base}/nightly`, { method: 'POST' })).json()
  expect(nightly).toMatchObject({ scheduled: 2 })
  // Two usage points × three published months each.
  expect(
    await until(
      () => bills('c1'),
      (b) => b.length === 6,
    ),
  ).toHaveLength(6)
  expect(
    await until(
      () => bills('c2'),
      (b) => b.length === 6,
    ),
  ).toHaveLength(6)

  const reads = custodian.custodian.calls.length
  const changed = custodian.custodian.publishMonth('1')
  expect(await custodian.custodian.notify('acme-solar', changed)).toBe(200)
  expect(
    await until(
      () => bills('c1'),
      (b) => b.length === 8,
    ),
  ).toHaveLength(8)
  await new Promise((r) => setTimeout(r, 300))
  expect(await bills('c2')).toHaveLength(6)
  const subscriptionReads = custodian.custodian.calls.slice(reads).filter((c) => c.endpoint === 'subscription')
  expect(subscriptionReads).toEqual([
    expect.objectContaining({ subscription: '1', query: expect.stringMatching(/^published-min=/) }),
  ])
  expect(output).toContain('notification: 1 grant(s)')
}, 60_000)
