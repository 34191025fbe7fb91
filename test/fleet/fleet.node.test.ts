/**
 * The fleet test: N separate Node processes, each with its own EciConsumer on one shared grant
 * store (real PostgreSQL, real Redis) and the same grant key, each making M concurrent calls on an
 * expired grant, against the mock provider server with rotation and reuse detection on.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConsumer, ErrorCode, type GrantStore } from '../../src/index.js'
import { type MockProviderServer, startMockProviderServer } from '../../src/mock/node/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { redisGrantStore } from '../../src/stores/redis.js'
import { makeKeys } from '../support/eci-endpoint.js'
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { startSigningService } from '../support/remote-signer.js'

const INSTANCES = 4
const CALLS = 50
const KEY = 'customer-42'
const REDIRECT = 'http://127.0.0.1/callback'

interface Instance {
  child: ChildProcess
  lines: AsyncIterator<string>
}

async function spawnInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['test/fleet/instance.mjs'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const first = await lines.next()
  expect(JSON.parse(first.value as string)).toEqual({ ready: true })
  return { child, lines }
}

async function result(instance: Instance): Promise<{ ok: number; errors: string[]; token?: string; ms: number }> {
  const line = await instance.lines.next()
  return JSON.parse(line.value as string)
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

for (const kind of ['postgres', 'redis'] as const) {
  describe(`the fleet on ${kind}`, () => {
    let pgServer: PostgresServer | undefined
    let redisServer: RedisServer | undefined
    let pool: pg.Pool | undefined
    let redis: Redis | undefined
    let store: GrantStore
    let storeUrl: string
    let keyJwk: string
    let privateJwk: Record<string, unknown>
    let publicJwk: Record<string, unknown>

    beforeAll(async () => {
      const keys = await makeKeys('ES256')
      privateJwk = keys.privateJwk as Record<string, unknown>
      publicJwk = keys.publicJwk as Record<string, unknown>
      keyJwk = JSON.stringify(privateJwk)
      if (kind === 'postgres') {
        pgServer = await startPostgresServer()
        storeUrl = pgServer.connectionString
        pool = new pg.Pool({ connectionString: storeUrl })
        // Idle clients see the server stop at the end of the file: expected, not a test failure.
        pool.on('error', () => {})
        const s = postgresGrantStore({ pool })
        await s.migrate()
        store = s
      } else {
        redisServer = await startRedisServer()
        storeUrl = redisServer.url
        redis = new Redis(storeUrl, { maxRetriesPerRequest: 1 })
        store = redisGrantStore({ redis })
      }
    }, 60_000)

    afterAll(async () => {
      await pool?.end()
      await redis?.quit()
      await pgServer?.close()
      await redisServer?.close()
    })

    /** A provider, a consent saved under KEY, and the grant expired so the first call refreshes. */
    async function consented(refreshReuseWindow = 0): Promise<MockProviderServer> {
      const server = await startMockProviderServer({
        clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [publicJwk] } }],
        consent: 'auto',
        refreshReuseWindow,
      } as never)
      const consumer = await EciConsumer.discover({
        issuer: server.issuer,
        clientId: 'acme-solar',
        clientAuth: { method: 'private_key_jwt', key: privateJwk },
        redirectUri: REDIRECT,
        allowInsecureRequests: true,
      })
      const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
      const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
      const grant = await consumer.completeConsent(location, transaction, { store, key: KEY })
      const now = Math.floor(Date.now() / 1000)
      await store.put(KEY, { ...grant, expiresAt: now - 5, issuedAt: now - 3605 })
      server.provider.clearCalls()
      return server
    }

    const env = (server: MockProviderServer, extra: Record<string, string> = {}) => ({
      ISSUER: server.issuer,
      KEY_JWK: keyJwk,
      STORE: kind,
      STORE_URL: storeUrl,
      KEY,
      CALLS: String(CALLS),
      ...extra,
    })

    it(`${INSTANCES} processes × ${CALLS} concurrent calls on an expired grant: one refresh, every call succeeds`, async () => {
      const server = await consented()
      try {
        const instances = await Promise.all(Array.from({ length: INSTANCES }, () => spawnInstance(env(server))))
        const started = performance.now()
        for (const i of instances) i.child.stdin!.write('go\n')
        const results = await Promise.all(instances.map(result))
        const ms = Math.round(performance.now() - started)
        const calls = server.provider.calls
        const refreshes = calls.filter((c) => c.endpoint === 'token')
        const stored = await store.get(KEY)
        console.info(
          `[fleet ${kind}] ${INSTANCES} processes × ${CALLS} calls: ${results.reduce((n, r) => n + r.ok, 0)} ok, ` +
            `${refreshes.length} token request(s), ${calls.filter((c) => c.endpoint === 'eci').length} ECI calls, ${ms} ms`,
        )
        expect(results.flatMap((r) => r.errors)).toEqual([])
        expect(results.map((r) => r.ok)).toEqual(Array(INSTANCES).fill(CALLS))
        expect(refreshes).toHaveLength(1)
        expect(refreshes[0]!.status).toBe(200)
        expect(stored?.status).toBe('active')
        for (const r of results) expect(r.token).toBe(sha(stored!.grant.accessToken))
      } finally {
        await server.close()
      }
    }, 90_000)

    it('2 processes sign every client assertion, request JWT and DPoP proof through a signer in a third process', async () => {
      const signer = await startSigningService('ES256', { encoding: 'der' })
      const dpopSigner = await startSigningService('ES256', { encoding: 'raw' })
      const server = await startMockProviderServer({
        clients: [
          {
            clientId: 'acme-solar',
            redirectUris: [REDIRECT],
            jwks: { keys: [{ ...signer.signer.publicJwk, kid: signer.signer.kid, alg: signer.signer.alg }] },
          },
        ],
        consent: 'auto',
      } as never)
      try {
        const consumer = await EciConsumer.discover({
          issuer: server.issuer,
          clientId: 'acme-solar',
          clientAuth: { method: 'private_key_jwt', key: signer.signer },
          dpop: { key: dpopSigner.signer },
          redirectUri: REDIRECT,
          allowInsecureRequests: true,
        })
        const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
        const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
        const grant = await consumer.completeConsent(location, transaction, { store, key: KEY })
        expect(grant.tokenType).toBe('DPoP')
        const now = Math.floor(Date.now() / 1000)
        await store.put(KEY, { ...grant, expiresAt: now - 5, issuedAt: now - 3605 })
        server.provider.clearCalls()
        const [signedBefore, proofsBefore] = [await signer.signed(), await dpopSigner.signed()]
        const extra = { SIGNER_URL: signer.url, DPOP_SIGNER_URL: dpopSigner.url, CALLS: '20', KEY_JWK: '{}' }
        const instances = await Promise.all(Array.from({ length: 2 }, () => spawnInstance(env(server, extra))))
        for (const i of instances) i.child.stdin!.write('go\n')
        const results = await Promise.all(instances.map(result))
        expect(results.flatMap((r) => r.errors)).toEqual([])
        expect(results.map((r) => r.ok)).toEqual([20, 20])
        const calls = server.provider.calls
        const tokens = calls.filter((c) => c.endpoint === 'token')
        const eci = calls.filter((c) => c.endpoint === 'eci')
        expect(tokens).toHaveLength(1)
        expect(calls.filter((c) => c.status >= 400)).toEqual([])
        // One signature per client assertion and request JWT, one DPoP proof per token and ECI request.
        expect((await signer.signed()) - signedBefore).toBe(tokens.length + eci.length)
        expect((await dpopSigner.signed()) - proofsBefore).toBe(tokens.length + eci.length)
        expect((await store.get(KEY))?.grant.tokenType).toBe('DPoP')
      } finally {
        await server.close()
        await signer.close()
        await dpopSigner.close()
      }
    }, 90_000)

    for (const window of [30, 0]) {
      it(`a process kill -9'ed while its refresh is in flight: ${window ? 'with a reuse window the others carry on' : 'without one the grant is marked needs_consent'}`, async () => {
        const server = await consented(window)
        try {
          // The refresh reaches the provider and is answered late: the process dies in between.
          server.provider.fault({ endpoint: 'token', delayMs: 1500, times: 1 })
          const extra = {
            REUSE_WINDOW: String(window),
            LOCK_TTL_MS: '1000',
            TIMEOUT: '1000',
            LOCK_WAIT_MS: '8000',
            CALLS: '5',
          }
          const victim = await spawnInstance(env(server, extra))
          victim.child.stdin!.write('go\n')
          for (let i = 0; i < 200 && (await store.get(KEY))?.grant.refreshingSince === undefined; i++) {
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          expect((await store.get(KEY))?.grant.refreshingSince).toBeTypeOf('number')
          await new Promise((resolve) => setTimeout(resolve, 200))
          victim.child.kill('SIGKILL')
          const survivors = await Promise.all(Array.from({ length: 2 }, () => spawnInstance(env(server, extra))))
          for (const s of survivors) s.child.stdin!.write('go\n')
          const results = await Promise.all(survivors.map(result))
          const stored = await store.get(KEY)
          if (window) {
            expect(results.flatMap((r) => r.errors)).toEqual([])
            expect(stored?.status).toBe('active')
            expect(stored?.grant.refreshingSince).toBeUndefined()
          } else {
            expect(results.flatMap((r) => r.errors)).toContain(ErrorCode.REFRESH_OUTCOME_UNKNOWN)
            expect(stored?.status).toBe('needs_consent')
            expect(stored?.reason).toBe(ErrorCode.REFRESH_OUTCOME_UNKNOWN)
          }
        } finally {
          await server.close()
        }
      }, 90_000)
    }
  })
}
