/**
 * The fleet refresh under store faults (issue 23): instances with their own consumer and store
 * client — in this process, or a separate process where one must be paused — reach a real
 * PostgreSQL or Redis through a TCP fault proxy, against the mock provider. Each case is named
 * after the behaviour that broke, runs with and without a reuse window, and ends with the
 * properties of refresh-world.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciError, ErrorCode } from '../../src/index.js'
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js'
import {
  checkProperties,
  KEY,
  keys,
  LOCK_TTL_MS,
  type Outcome,
  type Scene,
  STORE_TIMEOUT_MS,
  type StoreKind,
  type StoreWorld,
  startScene,
  startStoreWorld,
} from './refresh-world.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not reached')
    await sleep(5)
  }
}

const CHILD = fileURLToPath(new URL('./refresh-child.ts', import.meta.url))
const BUNDLE = fileURLToPath(new URL('../../node_modules/.cache/ecis-refresh-child.mjs', import.meta.url))

/** A separate instance process on the store behind `port`, started; `go()` runs its calls. */
async function spawnInstance(scene: Scene, port: number, calls: number) {
  const { privateJwk } = await keys
  const child: ChildProcess = spawn(process.execPath, [BUNDLE], {
    env: {
      ...process.env,
      STORE: scene.world.kind,
      STORE_PORT: String(port),
      STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
      ISSUER: scene.provider.issuer,
      KEY_JWK: JSON.stringify(privateJwk),
      KEY,
      WINDOW: String(scene.window),
      LOCK_TTL_MS: String(LOCK_TTL_MS),
      CALLS: String(calls),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  expect(JSON.parse((await lines.next()).value as string)).toEqual({ ready: true })
  return {
    child,
    async run(): Promise<Outcome[]> {
      child.stdin!.write('go\n')
      const { outcomes } = JSON.parse((await lines.next()).value as string) as {
        outcomes: { ok: boolean; typed?: boolean; code?: string; message?: string; ms: number }[]
      }
      return outcomes.map((o) => ({
        instance: 'A (process)',
        ok: o.ok,
        code: o.code,
        ms: o.ms,
        error: o.ok ? undefined : o.typed ? new EciError(o.code as ErrorCode, o.message ?? '') : new Error(o.message),
      }))
    },
  }
}

type Body = (scene: Scene, proxy: FaultProxy, world: StoreWorld) => Promise<void>

export function refreshFaultSuite(kind: StoreKind): void {
  describe(`the fleet refresh under store faults on ${kind}`, () => {
    let world: StoreWorld
    beforeAll(async () => {
      world = await startStoreWorld(kind)
      await build({
        entryPoints: [CHILD],
        outfile: BUNDLE,
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        logLevel: 'error',
      })
    }, 60_000)
    afterAll(async () => world?.close())

    for (const window of [0, 30]) {
      describe(`refreshReuseWindow ${window}`, () => {
        const run = (name: string, body: Body) =>
          it(name, async () => {
            const scene = await startScene(world, window)
            const proxy = await startFaultProxy(world.target)
            try {
              await body(scene, proxy, world)
            } finally {
              await scene.close()
              await proxy.close()
            }
          }, 40_000)
        const mark = (c: string) => world.isPut(c) && c.includes('refreshingSince')
        const save = (c: string) => world.isPut(c) && !c.includes('refreshingSince')
        /** Without a reuse window, an instance that finds a mark it cannot resolve must give up. */
        const lostWithoutWindow = window === 0 ? [ErrorCode.REFRESH_OUTCOME_UNKNOWN] : []

        run(
          'a mark whose reply was lost is settled by reading it back: the refresh goes on, nothing is left behind',
          async (scene, proxy) => {
            const fault = proxy.fault({ match: mark, action: 'drop-reply' })
            const a = await scene.instance('A', proxy)
            const first = await a.calls(3)
            expect(fault.applied).toBe(true)
            const b = await scene.instance('B')
            await checkProperties(scene, [...first, ...(await b.calls(3))])
          },
        )

        run(
          'a mark reset before it reached the store, then cut mid-command, never ran: the holder marks again and refreshes',
          async (scene, proxy) => {
            const reset = proxy.fault({ match: mark, action: 'reset' })
            const cut = proxy.fault({ match: mark, action: 'cut' })
            const a = await scene.instance('A', proxy)
            const first = await a.calls(3)
            expect([reset.applied, cut.applied]).toEqual([true, true])
            const b = await scene.instance('B')
            await checkProperties(scene, [...first, ...(await b.calls(3))])
          },
        )

        run(
          'a mark stalled past the lock ttl is never taken for a sent refresh: the consent survives',
          async (scene, proxy) => {
            const fault = proxy.fault({ match: mark, action: 'blackhole', ms: LOCK_TTL_MS + 500 })
            const a = await scene.instance('A', proxy)
            const first = await a.calls(3)
            expect(fault.applied).toBe(true)
            // The stalled mark has landed by now; the next instance comes after the lock's ttl.
            await sleep(LOCK_TTL_MS + 700)
            const b = await scene.instance('B')
            await checkProperties(scene, [...first, ...(await b.calls(3))])
          },
        )

        run(
          'a rotated grant saved with its reply lost is never written back over a newer grant',
          async (scene, proxy) => {
            const fault = proxy.fault({ match: save, action: 'drop-reply' })
            const a = await scene.instance('A', proxy)
            const first = await a.calls(3)
            expect(fault.applied).toBe(true)
            // Another instance rotates again; then A calls with what it holds.
            scene.provider.mock.provider.expireAccessTokens()
            const b = await scene.instance('B')
            const second = await b.calls(3)
            const third = await a.calls(3)
            await checkProperties(scene, [...first, ...second, ...third])
          },
        )

        run("a grant from the old consent never overwrites the customer's new consent", async (scene, proxy) => {
          scene.provider.mock.provider.fault({ endpoint: 'token', delayMs: 800, times: 1 })
          const a = await scene.instance('A', proxy)
          const first = a.calls(3)
          // A sent its refresh; now it is cut off from the store until after the new consent.
          await until(() => scene.provider.ledger.presented.length > 0)
          const cut = proxy.partition()
          const b = await scene.instance('B')
          const second = await b.calls(3)
          const firstDone = await first
          await scene.consent()
          cut.heal()
          const third = await a.calls(3)
          await checkProperties(scene, [...firstDone, ...second, ...third], {
            codes: [ErrorCode.STORE_UNAVAILABLE, ErrorCode.GRANT_LOCK_TIMEOUT, ...lostWithoutWindow],
          })
        })

        run('a refresh waiting on Retry-After keeps its lock until it ends', async (scene, proxy) => {
          // A slow store (each answer 600 ms late) eats most of the lock before the token request;
          // the utility then answers 503 with Retry-After: 1, and the wait runs past the lock's ttl.
          const a = await scene.instance('A', proxy, 1500)
          const b = await scene.instance('B')
          proxy.latency(600)
          scene.provider.mock.provider.fault({ endpoint: 'token', status: 503, retryAfter: 1, times: 1 })
          const first = a.calls(3)
          await sleep(100)
          const second = await b.calls(3)
          const outcomes = [...(await first), ...second]
          // One refresh token, answered 503 and then rotated: no other token request.
          expect(scene.provider.ledger.presented).toHaveLength(2)
          await checkProperties(scene, outcomes)
        })

        run('a holder paused after marking never sends once its lock is gone', async (scene, proxy) => {
          const a = await spawnInstance(scene, proxy.port, 3)
          const b = await scene.instance('B')
          let second: Outcome[] = []
          const fault = proxy.fault({
            match: mark,
            action: 'hold-reply',
            until: async () => {
              a.child.kill('SIGSTOP')
              await sleep(LOCK_TTL_MS + 200)
              second = await b.calls(3)
              a.child.kill('SIGCONT')
            },
          })
          const first = await a.run()
          expect(fault.applied).toBe(true)
          await checkProperties(scene, [...first, ...second], { codes: lostWithoutWindow })
          expect(scene.provider.ledger.reused(), 'no refresh token presented twice').toEqual([])
        })

        run('a store server killed and restarted mid-refresh loses nothing', async (scene, _proxy, w) => {
          scene.provider.mock.provider.fault({ endpoint: 'token', delayMs: 500, times: 1 })
          const a = await scene.instance('A')
          const first = a.calls(3)
          await until(() => scene.provider.ledger.presented.length > 0)
          await w.crash()
          await sleep(200)
          await w.start()
          const firstDone = await first
          const second = await a.calls(3)
          await checkProperties(scene, [...firstDone, ...second], { codes: [ErrorCode.STORE_UNAVAILABLE] })
        })
      })
    }
  })
}
