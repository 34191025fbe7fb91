/**
 * The world of the refresh fault tests: a real store server (PostgreSQL or Redis), store clients
 * that reach it directly or through a TCP fault proxy, the mock provider behind a recording front,
 * a watcher that samples the stored grant and the lock, and the properties every case must keep.
 */
import { Redis } from 'ioredis'
import pg from 'pg'
import { expect } from 'vitest'
import { EciConsumer, EciError, type EciSession, type Grant, type GrantStore } from '../../src/index.js'
import { postgresGrantStore } from '../../src/stores/postgres.js'
import { redisGrantStore } from '../../src/stores/redis.js'
import { PUT } from '../../src/stores/redis-scripts.js'
import { makeKeys } from '../support/eci-endpoint.js'
import type { FaultProxy } from '../support/fault-proxy.js'
import { postgresPool, startPostgresServer } from '../support/postgres-server.js'
import { type RecordedProvider, startRecordedProvider } from '../support/recorded-provider.js'
import { redisClient, startRedisServer } from '../support/redis-server.js'

export type StoreKind = 'postgres' | 'redis'
export const KEY = 'customer-42'
export const REDIRECT = 'http://127.0.0.1/callback'
/** Lock ttl and the consumer's timeout (equal: the smallest lock the configuration check allows). */
export const LOCK_TTL_MS = 2000
/** Each store round trip's deadline for the instances under test. */
export const STORE_TIMEOUT_MS = 500
/** No call may take longer than this. */
export const CALL_BOUND_MS = 15_000

export interface StoreWorld {
  readonly kind: StoreKind
  readonly target: { host: string; port: number }
  readonly direct: GrantStore
  /** A store client of its own, on `port` (the server's, or a fault proxy's). */
  open(port: number, timeoutMs?: number): { store: GrantStore; close(): Promise<void> }
  /** Ms left on the key's lock, or undefined when none is held. */
  lockLeftMs(): Promise<number | undefined>
  /** A grant `put` (compare-and-set or not) as the client sends it, read as latin1. */
  isPut(command: string): boolean
  crash(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<void>((resolve) => setTimeout(resolve, ms))])

export async function startStoreWorld(kind: StoreKind): Promise<StoreWorld> {
  if (kind === 'postgres') {
    const server = await startPostgresServer()
    const pool = postgresPool(server)
    const direct = postgresGrantStore({ pool })
    await direct.migrate()
    return {
      kind,
      target: { host: server.host, port: server.port },
      direct,
      open(port, timeoutMs = STORE_TIMEOUT_MS) {
        const own = new pg.Pool({
          host: '127.0.0.1',
          port,
          user: 'postgres',
          database: 'postgres',
          max: 4,
          connectionTimeoutMillis: 1000,
        })
        own.on('error', () => {})
        return {
          store: postgresGrantStore({ pool: own, timeout: timeoutMs }),
          close: () => within(1000, own.end()),
        }
      },
      async lockLeftMs() {
        const { rows } = await pool.query(
          'SELECT extract(epoch FROM expires_at - clock_timestamp()) * 1000 AS left FROM ecis_grants_locks WHERE key = $1',
          [KEY],
        )
        const left = Number(rows[0]?.left)
        return left > 0 ? left : undefined
      },
      isPut: (c) => /SET grant_json|INSERT INTO "ecis_grants" /.test(c),
      crash: () => server.crash(),
      start: () => server.start(),
      async close() {
        await within(2000, pool.end())
        await server.close()
      },
    }
  }
  const server = await startRedisServer({ appendonly: true })
  const redis = redisClient(server)
  return {
    kind,
    target: { host: server.host, port: server.port },
    direct: redisGrantStore({ redis }),
    open(port, timeoutMs = STORE_TIMEOUT_MS) {
      const own = new Redis(port, '127.0.0.1', {
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(times * 50, 300),
      })
      own.on('error', () => {})
      return {
        store: redisGrantStore({ redis: own, timeout: timeoutMs }),
        close: async () => own.disconnect(),
      }
    },
    async lockLeftMs() {
      const left = await redis.pttl(`ecis:lock:${KEY}`)
      return left > 0 ? left : undefined
    },
    isPut: (c) => c.includes(PUT.sha) || c.includes("redis.call('HSET', KEYS[1], 'grant'"),
    crash: () => server.kill(),
    start: () => server.start(),
    async close() {
      redis.disconnect()
      await server.close()
    },
  }
}

/** One call's end, as the properties read it. */
export interface Outcome {
  readonly instance: string
  readonly ok: boolean
  readonly code?: string | undefined
  readonly error?: unknown
  readonly ms: number
}

export interface Instance {
  readonly name: string
  readonly session: EciSession
  /** `n` concurrent Basic calls. */
  calls(n: number): Promise<Outcome[]>
  close(): Promise<void>
}

/** Samples the stored grant and the lock every 10 ms. */
export interface Watch {
  /** Stored refresh tokens in the order seen, consecutive repeats collapsed. */
  readonly tokens: string[]
  readonly maxLockLeftMs: number
  stop(): Promise<void>
}

export interface Scene {
  readonly world: StoreWorld
  readonly window: number
  readonly provider: RecordedProvider
  readonly account: string
  /** The refresh token of the newest consent. */
  consentToken: string | undefined
  /** A consent saved under KEY by completeConsent (the one unconditional put). */
  consent(): Promise<Grant>
  /** The stored grant's access token made due for refresh. */
  expire(): Promise<void>
  instance(name: string, via?: FaultProxy, storeTimeoutMs?: number): Promise<Instance>
  readonly watch: Watch
  close(): Promise<void>
}

function startWatch(world: StoreWorld): Watch {
  const tokens: string[] = []
  let maxLockLeftMs = 0
  let busy = false
  const timer = setInterval(async () => {
    if (busy) return
    busy = true
    try {
      const token = (await world.direct.get(KEY))?.grant.refreshToken
      if (token && tokens.at(-1) !== token) tokens.push(token)
      maxLockLeftMs = Math.max(maxLockLeftMs, (await world.lockLeftMs()) ?? 0)
    } catch {
      // The server is down (a kill case): nothing to sample.
    } finally {
      busy = false
    }
  }, 10)
  return {
    tokens,
    get maxLockLeftMs() {
      return maxLockLeftMs
    },
    async stop() {
      clearInterval(timer)
      while (busy) await new Promise((resolve) => setTimeout(resolve, 5))
    },
  }
}

async function outcome(instance: string, call: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now()
  try {
    await call()
    return { instance, ok: true, ms: performance.now() - started }
  } catch (error) {
    return { instance, ok: false, code: (error as EciError).code, error, ms: performance.now() - started }
  }
}

export const keys = makeKeys('ES256')

/** A provider with reuse window `window`, a consent stored under KEY, due for refresh. */
export async function startScene(world: StoreWorld, window: number): Promise<Scene> {
  const { privateJwk, publicJwk } = await keys
  const provider = await startRecordedProvider({
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [publicJwk] } }],
    consent: 'auto',
    refreshReuseWindow: window,
  } as never)
  const discover = () =>
    EciConsumer.discover({
      issuer: provider.issuer,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: privateJwk },
      redirectUri: REDIRECT,
      allowInsecureRequests: true,
      refreshReuseWindow: window,
      timeout: LOCK_TTL_MS,
    })
  const admin = await discover()
  const closers: (() => Promise<unknown>)[] = []
  const scene: Scene = {
    world,
    window,
    provider,
    account: '',
    consentToken: undefined,
    async consent() {
      const { url, transaction } = await admin.beginConsent({ scopes: ['basic'] })
      const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
      const grant = await admin.completeConsent(location, transaction, { store: world.direct, key: KEY })
      scene.consentToken = grant.refreshToken
      return grant
    },
    async expire() {
      const stored = await world.direct.get(KEY)
      const now = Math.floor(Date.now() / 1000)
      const due = { ...(stored?.grant as Grant), expiresAt: now - 5, issuedAt: now - 3605 }
      await world.direct.put(KEY, due, { ifVersion: stored?.version })
    },
    async instance(name, via, storeTimeoutMs) {
      const consumer = await discover()
      const { store, close } = world.open(via?.port ?? world.target.port, storeTimeoutMs)
      closers.push(close)
      const session = await consumer.openSession(KEY, { store, lockTtlMs: LOCK_TTL_MS, lockWaitMs: 8000 })
      const account = session.accounts[0] as string
      return {
        name,
        session,
        calls: (n) => Promise.all(Array.from({ length: n }, () => outcome(name, () => session.basic(account)))),
        close,
      }
    },
    watch: undefined as unknown as Watch,
    async close() {
      await scene.watch.stop()
      for (const close of closers) await close()
      await provider.close()
    },
  }
  const grant = await scene.consent()
  ;(scene as { account: string }).account = grant.accounts[0] as string
  await scene.expire()
  provider.mock.provider.clearCalls()
  ;(scene as { watch: Watch }).watch = startWatch(world)
  return scene
}

/** What a case allows beyond "every call succeeds". */
export interface Allowed {
  /** Codes some calls may end with (typed, e.g. a consent error the fleet cannot avoid). */
  codes?: string[]
}

/**
 * The properties every case keeps: every call ends typed, bounded and without a secret; without a
 * reuse window at most one refresh token is presented twice; the stored grant never goes back to
 * an ancestor and never leaves the newest consent's lineage; no lock outlives its ttl; and the
 * grant ends usable while the utility still honours it.
 */
export async function checkProperties(scene: Scene, outcomes: Outcome[], allowed: Allowed = {}): Promise<void> {
  await scene.watch.stop()
  const { ledger } = scene.provider
  const secrets = [...ledger.presented, ...ledger.parentOf.keys()]
  for (const o of outcomes) {
    expect(o.ms, `${o.instance}: bounded`).toBeLessThan(CALL_BOUND_MS)
    if (o.ok) continue
    expect(o.error, `${o.instance}: typed`).toBeInstanceOf(EciError)
    const printed = `${String(o.error)} ${JSON.stringify(o.error)}`
    for (const s of secrets) expect(printed.includes(s), `${o.instance}: no token in the error`).toBe(false)
  }
  const unexpected = outcomes.filter((o) => !o.ok && !allowed.codes?.includes(o.code as string))
  expect(unexpected.map((o) => `${o.instance}: ${o.code} ${(o.error as Error).message}`)).toEqual([])
  if (scene.window === 0) expect(ledger.reused().length, 'refresh tokens presented twice').toBeLessThanOrEqual(1)
  const seen = scene.watch.tokens
  expect(new Set(seen).size, 'the stored grant never comes back to an earlier one').toBe(seen.length)
  seen.forEach((later, j) => {
    for (const earlier of seen.slice(0, j)) {
      expect(ledger.descends(earlier, later), 'the stored grant never goes back to an ancestor').toBe(false)
    }
  })
  const stored = await scene.world.direct.get(KEY)
  expect(ledger.descends(stored?.grant.refreshToken, scene.consentToken), 'the newest consent is kept').toBe(true)
  expect(scene.watch.maxLockLeftMs, 'no lock outlives its ttl').toBeLessThanOrEqual(LOCK_TTL_MS + 50)
  const lock = await scene.world.direct.lock(KEY, { ttlMs: 100, waitMs: LOCK_TTL_MS + 1000 })
  expect(lock, 'the lock is free within its ttl').toBeDefined()
  await lock?.release()
  const family = scene.provider.mock.provider.grants().at(-1)
  if (family && !family.revoked) {
    expect(stored?.status, 'the utility honours the grant: the store does too').toBe('active')
    await expect(usableAtProvider(scene, stored?.grant as Grant)).resolves.toBe(true)
  }
}

/** The stored grant's refresh token still works at the provider (checked last: it rotates it). */
async function usableAtProvider(scene: Scene, grant: Grant): Promise<boolean> {
  const { privateJwk } = await keys
  const consumer = await EciConsumer.discover({
    issuer: scene.provider.issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  })
  const { refreshingSince: _, refreshingBy: __, ...clean } = grant
  await consumer.session({ ...clean, expiresAt: 0 }).basic(scene.account)
  return true
}
