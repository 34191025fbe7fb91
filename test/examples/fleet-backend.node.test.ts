/**
 * examples/fleet-backend for real: a PostgreSQL server, the launcher as a child process and the
 * two instances it spawns (separate Node processes on two ports). Consent on instance A, data
 * from instance B, then an expired grant asked for by both at once: one refresh at the provider.
 * The test runs its own mock provider (passed as ECIS_ISSUER) to read its call log.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MockProviderServer, startMockProviderServer } from '../../src/mock/node/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { makeKeys } from '../support/eci-endpoint.js'
import { type PostgresServer, postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { freePort } from '../support/server-process.js'
import { ensureBuiltPackage, ROOT } from './package-build.js'

interface Fleet {
  child: ChildProcess
  output: () => string
  /** Instance name → URL, as the launcher printed them. */
  instances: Record<string, string>
  provider: string
}

/** `node examples/fleet-backend/start.ts` with `env`; resolves once it says every instance is ready. */
function startFleet(env: Record<string, string>): Promise<Fleet> {
  const child = spawn(process.execPath, ['examples/fleet-backend/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr.on('data', (d) => {
    out += d
  })
  return new Promise((resolve, reject) => {
    const instances: Record<string, string> = {}
    let provider = ''
    createInterface({ input: child.stdout }).on('line', (line) => {
      out += `${line}\n`
      const instance = /^Instance ([A-Z]): (http\S+)$/.exec(line)
      if (instance) instances[instance[1]!] = instance[2]!
      provider ||= /^Provider: (\S+)/.exec(line)?.[1] ?? ''
      if (line.startsWith('Ready:')) resolve({ child, output: () => out, instances, provider })
    })
    child.once('exit', (code) => reject(new Error(`the launcher exited with ${code}:\n${out}`)))
  })
}

/** SIGTERM to the launcher: it stops its instances, then exits 0. */
async function stopFleet(fleet: Fleet | undefined): Promise<number | null> {
  if (!fleet || fleet.child.exitCode !== null) return fleet?.child.exitCode ?? null
  const exited = new Promise<number | null>((resolve) => fleet.child.once('exit', resolve))
  fleet.child.kill('SIGTERM')
  return exited
}

/** A browser in miniature: one cookie jar for 127.0.0.1 (cookies ignore the port), redirects not followed. */
function browser(backends: string[]) {
  let cookie: string | undefined
  return async (url: string) => {
    const own = backends.some((b) => url.startsWith(b))
    const res = await fetch(url, { redirect: 'manual', headers: cookie && own ? { cookie } : {} })
    const set = res.headers.get('set-cookie')
    if (set && own) cookie = set.split(';')[0]
    return res
  }
}

let postgres: PostgresServer
let pool: pg.Pool
let keyDir: string

beforeAll(async () => {
  ;[postgres] = await Promise.all([startPostgresServer(), ensureBuiltPackage()])
  pool = postgresPool(postgres)
  keyDir = await mkdtemp(join(tmpdir(), 'ecis-fleet-test-'))
}, 180_000)

afterAll(async () => {
  await pool?.end()
  await postgres?.close()
  await rm(keyDir, { recursive: true, force: true })
})

describe('examples/fleet-backend: two instances on one PostgreSQL grant store', () => {
  let mock: MockProviderServer
  let fleet: Fleet | undefined

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()]
    const { privateJwk, publicJwk } = await makeKeys('ES256')
    const keyFile = join(keyDir, 'private.jwk.json')
    await writeFile(keyFile, JSON.stringify(privateJwk))
    // Rotation on, no reuse window: a second refresh with the same refresh token would revoke the grant.
    mock = await startMockProviderServer({
      consent: 'auto',
      clients: [
        {
          clientId: 'acme-solar',
          redirectUris: ports.map((p) => `http://127.0.0.1:${p}/eci/callback`),
          jwks: { keys: [publicJwk] },
        },
      ],
    })
    fleet = await startFleet({
      DATABASE_URL: postgres.connectionString,
      PORTS: ports.join(','),
      ECIS_ISSUER: mock.issuer,
      ECIS_PRIVATE_JWK: keyFile,
    })
  }, 60_000)

  afterAll(async () => {
    await stopFleet(fleet)
    await mock?.close()
  })

  it('consents on A, serves B, and refreshes an expired grant once for both', async () => {
    const { A: a, B: b } = fleet!.instances
    expect(a).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(b).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(b).not.toBe(a)
    const get = browser([a!, b!])

    // Consent through instance A; the mock consents at once and redirects back to A.
    const connect = await get(`${a}/connect`)
    expect(connect.status).toBe(302)
    const authorize = await get(connect.headers.get('location') ?? '')
    const callbackUrl = authorize.headers.get('location') ?? ''
    expect(callbackUrl.startsWith(`${a}/eci/callback?`)).toBe(true)
    const callback = await get(callbackUrl)
    expect(callback.status).toBe(303)
    // The pending consent is shared too, and used once: replayed on B it is gone.
    const replay = await get(callbackUrl.replace(a!, b!))
    expect(replay.status).toBe(400)

    // The customer's data through instance B, from the grant A saved.
    const fixtures = mock.provider.fixtures
    const expected = fixtures.owners[0]!.accounts.map((x) => fixtures.basic(x.systemAccountId))
    const first = await get(`${b}/accounts`)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual(expected)

    // Expire the stored grant (and the token at the provider), then ask both instances at once.
    const store = postgresGrantStore({ pool })
    const { rows } = await pool.query<{ key: string }>('SELECT key FROM ecis_grants')
    expect(rows).toHaveLength(1)
    const key = rows[0]!.key
    const before = (await store.get(key))!
    const now = Math.floor(Date.now() / 1000)
    await store.put(key, { ...before.grant, expiresAt: now - 5 }, { ifVersion: before.version })
    mock.provider.expireAccessTokens()
    mock.provider.clearCalls()

    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`${i % 2 ? b : a}/accounts`)))
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200))
    for (const answer of answers) expect(await answer.json()).toEqual(expected)

    const tokenCalls = mock.provider.calls.filter((c) => c.endpoint === 'token')
    expect(tokenCalls).toEqual([expect.objectContaining({ method: 'POST', status: 200 })])
    expect(mock.provider.calls.filter((c) => c.endpoint === 'eci' && c.status !== 200)).toEqual([])
    const after = (await store.get(key))!
    expect(after.status).toBe('active')
    expect(after.grant.refreshToken).not.toBe(before.grant.refreshToken)
    expect(after.grant.expiresAt).toBeGreaterThan(now)
    expect(mock.provider.grants().map((g) => g.revoked)).toEqual([false])
  }, 60_000)

  it('stops both instances when the launcher is stopped', async () => {
    const urls = Object.values(fleet!.instances)
    expect(await stopFleet(fleet)).toBe(0)
    for (const url of urls) await expect(fetch(`${url}/accounts`)).rejects.toThrow()
  }, 30_000)
})

describe('npx node examples/fleet-backend/start.ts', () => {
  it('starts the embedded mock provider and two instances from one command', async () => {
    const ports = [await freePort(), await freePort()]
    const fleet = await startFleet({ DATABASE_URL: postgres.connectionString, PORTS: ports.join(',') })
    try {
      expect(fleet.output()).toContain('(embedded mock)')
      expect(Object.values(fleet.instances)).toEqual(ports.map((p) => `http://127.0.0.1:${p}`))
      const connect = await fetch(`${fleet.instances.A}/connect`, { redirect: 'manual' })
      expect(connect.status).toBe(302)
      const location = connect.headers.get('location') ?? ''
      expect(location.startsWith(`${fleet.provider}/`)).toBe(true)
      // The command-line fleet uses the mock's interactive consent page.
      expect(await (await fetch(location)).text()).toMatch(/<form/i)
      const accounts = await fetch(`${fleet.instances.B}/accounts`)
      expect(accounts.status).toBe(401)
    } finally {
      expect(await stopFleet(fleet)).toBe(0)
    }
  }, 60_000)
})
