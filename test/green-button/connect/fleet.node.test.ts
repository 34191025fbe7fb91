/**
 * Connect My Data across a fleet: two separate Node processes on the built package share one
 * grant in a real PostgreSQL store and read bills at the same time with an expired access token,
 * against the mock Data Custodian on loopback: exactly one token request for both.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { greenButtonConsumer } from '../../../src/green-button/index.js'
import { type GreenButtonProviderServer, startGreenButtonProviderServer } from '../../../src/mock/node/index.js'
import { postgresGrantStore } from '../../../src/stores/postgres.js'
import { ensureBuiltPackage } from '../../examples/package-build.js'
import { type PostgresServer, startPostgresServer } from '../../support/postgres-server.js'
import { SCOPE } from './world.js'

const KEY = 'gb-customer-42'
const SECRET = 'gb-fleet-secret'
const REDIRECT = 'http://127.0.0.1/gb/callback'
const CALLS = 6

let pgServer: PostgresServer
let pool: pg.Pool
let server: GreenButtonProviderServer
const children: ChildProcess[] = []

beforeAll(async () => {
  const build = ensureBuiltPackage()
  pgServer = await startPostgresServer()
  pool = new pg.Pool({ connectionString: pgServer.connectionString })
  pool.on('error', () => {})
  server = await startGreenButtonProviderServer({
    clients: [{ clientId: 'acme-solar', clientSecret: SECRET, redirectUris: [REDIRECT] }],
    feed: { months: 3 },
  })
  await build
}, 240_000)

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await pool?.end()
  await server?.close()
  await pgServer?.close()
})

async function spawnInstance() {
  const child = spawn(process.execPath, ['test/green-button/connect/instance.mjs'], {
    env: {
      ...process.env,
      STORE_URL: pgServer.connectionString,
      ENDPOINTS: JSON.stringify(server.custodian.endpoints),
      SECRET,
      KEY,
      CALLS: String(CALLS),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  expect(JSON.parse((await lines.next()).value as string)).toEqual({ ready: true })
  return { child, lines }
}

it('two processes read bills on one expired grant in PostgreSQL with exactly one token request', async () => {
  const store = postgresGrantStore({ pool })
  await store.migrate()
  const gb = greenButtonConsumer({
    ...server.custodian.endpoints,
    clientId: 'acme-solar',
    clientAuth: { method: 'client_secret_basic', secret: SECRET },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  })
  const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
  const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
  const grant = await gb.completeConsent(callback, transaction, { store, key: KEY })
  expect(grant.resourceUri).toMatch(/\/Batch\/Subscription\/1$/)
  const now = Math.floor(Date.now() / 1000)
  await store.put(KEY, { ...grant, expiresAt: now - 5, issuedAt: now - 3605 })
  const before = server.custodian.calls.length

  const instances = await Promise.all([spawnInstance(), spawnInstance()])
  for (const { child } of instances) child.stdin!.write('go\n')
  const results = await Promise.all(
    instances.map(async ({ lines }) => JSON.parse((await lines.next()).value as string)),
  )

  const calls = server.custodian.calls.slice(before)
  expect(calls.filter((c) => c.endpoint === 'token')).toEqual([
    expect.objectContaining({ grantType: 'refresh_token', status: 200 }),
  ])
  // Two usage points × two published months, per read.
  for (const r of results) expect(r).toMatchObject({ errors: [], bills: CALLS * 4 })
  expect(results[0].token).toBe(results[1].token)
  const stored = await store.get(KEY)
  expect(stored?.grant.refreshToken).not.toBe(grant.refreshToken)
  expect(stored?.grant).toMatchObject({ resourceUri: grant.resourceUri, scope: SCOPE })
}, 120_000)
