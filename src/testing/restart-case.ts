/** The server cases of the GrantStore conformance suite: no server, and a crash mid-run. @module */
import { type EciError, EciNetworkError, ErrorCode } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import type { GrantStore } from '../grant/store.js'
import { type CaseContext, grantNumber, newKey, sleep } from './cases.js'
import type { GrantStoreUnderTest } from './types.js'

/** No server on the port: every call fails typed and fast. @internal */
export function unreachableCase(ctx: CaseContext): void {
  const { it, expect, rejection } = ctx
  it('no server on the port: every call fails with ERR_ECI_STORE_UNAVAILABLE, none hangs', async () => {
    const { unreachable } = await ctx.subject()
    if (!unreachable) throw new Error('features.unreachable needs `unreachable` on what makeStore returns')
    const { store: dead, close } = await unreachable()
    try {
      const key = newKey()
      for (const pending of [
        dead.get(key),
        dead.put(key, grantNumber(1)),
        dead.markNeedsConsent(key, ErrorCode.INVALID_GRANT),
        dead.lock(key, { ttlMs: 10, waitMs: 50 }),
        dead.delete(key),
      ].map((call) => rejection(call))) {
        const error = await pending
        expect(error).toBeInstanceOf(EciNetworkError)
        expect(error.code).toBe(ErrorCode.STORE_UNAVAILABLE)
      }
    } finally {
      await close()
    }
  })
}

async function eventually<T>(attempt: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(100)
    }
  }
}

/**
 * One writer keeps doing read → compare-and-set; the server crashes under it and comes back.
 * Every acknowledged version must survive with the very grant written at it.
 */
export async function crashRestartScenario(
  ctx: CaseContext,
  store: GrantStore,
  server: NonNullable<GrantStoreUnderTest['server']>,
): Promise<void> {
  const { expect, rejection } = ctx
  const key = newKey()
  const written = new Map<number, Grant>() // acknowledged puts
  const attempted = new Map<number, Grant[]>() // puts whose outcome the writer never learned
  const errors: EciError[] = []
  let acks = 0
  let stop = false
  written.set(await store.put(key, grantNumber(0), { ifVersion: 0 }), grantNumber(0))
  const writer = (async () => {
    for (let n = 1; !stop; n++) {
      const grant = grantNumber(n)
      let base: number | undefined
      try {
        base = (await store.get(key))?.version
        written.set(await store.put(key, grant, { ifVersion: base }), grant)
        acks++
      } catch (error) {
        errors.push(error as EciError)
        const unknown = base !== undefined && (error as EciError).code === ErrorCode.STORE_UNAVAILABLE
        if (unknown) attempted.set(base! + 1, [...(attempted.get(base! + 1) ?? []), grant])
        await sleep(20)
      }
    }
  })()
  const until = async (condition: () => boolean) => {
    while (!condition()) await sleep(10)
  }
  await until(() => acks >= 20)
  await server.crash()
  const lastBeforeCrash = Math.max(...written.keys())
  const errorsAtCrash = errors.length
  await until(() => errors.length >= errorsAtCrash + 3)

  // Every call while the server is down fails fast and typed.
  for (const pending of [
    store.get(key),
    store.put(key, grantNumber(-1)),
    store.markNeedsConsent(key, ErrorCode.INVALID_GRANT),
    store.lock(key, { ttlMs: 1000, waitMs: 0 }),
  ].map((call) => rejection(call))) {
    const error = await pending
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.STORE_UNAVAILABLE)
  }

  await server.start()
  const first = await eventually(() => store.get(key))
  expect(first?.version).toBeGreaterThanOrEqual(lastBeforeCrash)
  const candidates = [written.get(first!.version), ...(attempted.get(first!.version) ?? [])]
  expect(candidates).toContainEqual(first?.grant)
  const acksAtRestart = acks
  await until(() => acks >= acksAtRestart + 10)
  stop = true
  await writer

  const final = await store.get(key)
  const lastAck = Math.max(...written.keys())
  expect(final).toEqual({ grant: written.get(lastAck), version: lastAck, status: 'active' })
  // While down: only "unavailable" (and a conflict when a write whose answer was lost did land).
  const codes = new Set(errors.map((e) => e.code))
  expect([...codes].every((c) => c === ErrorCode.STORE_UNAVAILABLE || c === ErrorCode.GRANT_CONFLICT)).toBe(true)
  expect(codes.has(ErrorCode.STORE_UNAVAILABLE)).toBe(true)
  const printed = errors.map((e) => `${String(e)} ${e.stack} ${JSON.stringify(e)} ${String(e.cause)}`).join('\n')
  for (const grant of [...written.values(), ...[...attempted.values()].flat()]) {
    expect(printed).not.toContain(grant.accessToken)
    expect(printed).not.toContain(grant.refreshToken)
  }
}
