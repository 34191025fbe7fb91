/**
 * The GrantStore conformance suite, shipped (`ecis-consumer/testing`): the checks the built-in
 * stores pass — versions and compare-and-set, racing writers, needs-consent, the refresh lock
 * (expiry, owner-only release and extend), argument checks — for an app's own store (DynamoDB,
 * MongoDB, …). Runner-agnostic: it takes `describe`, `it` and `expect` from vitest or jest.
 * Web APIs only, so it also runs in a browser test runner.
 * @see docs/scaling.md (a custom store passing it)
 * @module
 */
import { EciConfigError, EciError, ErrorCode } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import type { GrantStore } from '../grant/store.js'
import { badInputCases } from './bad-input-cases.js'
import { type CaseContext, grantNumber, newKey } from './cases.js'
import { lockCases } from './lock-cases.js'
import { crashRestartScenario, unreachableCase } from './restart-case.js'
import type { GrantStoreConformanceOptions, GrantStoreUnderTest } from './types.js'

function underTest(made: GrantStore | GrantStoreUnderTest): GrantStoreUnderTest {
  const candidate = made as GrantStoreUnderTest
  return candidate && typeof candidate.store === 'object' && candidate.store !== null
    ? candidate
    : { store: made as GrantStore }
}

/**
 * Registers the GrantStore conformance cases with the test runner whose globals are given.
 * `makeStore` is called once; the cases share its store, each on keys of its own.
 *
 * @see docs/scaling.md
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest'
 * import { memoryGrantStore } from 'ecis-consumer'
 * import { grantStoreConformance } from 'ecis-consumer/testing'
 *
 * grantStoreConformance(() => memoryGrantStore(), { describe, it, expect })
 * ```
 */
export function grantStoreConformance(
  makeStore: () => GrantStore | GrantStoreUnderTest | Promise<GrantStore | GrantStoreUnderTest>,
  options: GrantStoreConformanceOptions,
): void {
  const { describe, it, expect, beforeAll, afterAll } = options
  const features = options.features ?? {}
  let made: Promise<GrantStoreUnderTest> | undefined
  const subject = () => {
    made ??= Promise.resolve(makeStore()).then(underTest)
    return made
  }
  const ctx: CaseContext = {
    it,
    describe,
    expect,
    subject,
    store: async () => (await subject()).store,
    async rejection(promise) {
      const outcome = await promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      )
      if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`)
      expect(outcome.error).toBeInstanceOf(EciError)
      return outcome.error as EciError
    },
  }
  describe(options.name ?? 'GrantStore conformance', () => {
    beforeAll?.(async () => void (await subject()), 60_000)
    afterAll?.(async () => {
      if (made) await (await made).close?.()
    })
    grantCases(ctx)
    lockCases(ctx)
    badInputCases(ctx, features.corrupt === true)
    if (features.unreachable) unreachableCase(ctx)
    if (features.restart) {
      it('server restart: typed errors while down, no acknowledged write lost or corrupted after', async () => {
        const { store, server } = await subject()
        if (!server) throw new Error('features.restart needs `server` on what makeStore returns')
        await crashRestartScenario(ctx, store, server)
      }, 120_000)
    }
  })
}

/** Versions, compare-and-set with racing writers, needs-consent. */
function grantCases(ctx: CaseContext): void {
  versionCases(ctx)
  compareAndSetCases(ctx)
  racingWriterCases(ctx)
  needsConsentCases(ctx)
}

function versionCases(ctx: CaseContext): void {
  const { describe, it, expect } = ctx
  describe('grants and versions', () => {
    it('stores a grant as it was given and reports the version put returned', async () => {
      const store = await ctx.store()
      const key = newKey()
      const grant = grantNumber(1, { dpopJkt: 'jkt-thumbprint' })
      const version = await store.put(key, grant, { ifVersion: 0 })
      expect(version).toBe(1)
      expect(await store.get(key)).toEqual({ grant, version: 1, status: 'active' })
    })

    it('returns undefined for a key without a grant, and delete says whether there was one', async () => {
      const store = await ctx.store()
      const key = newKey()
      expect(await store.get(key)).toBeUndefined()
      expect(await store.delete(key)).toBe(false)
      await store.put(key, grantNumber(1))
      expect(await store.delete(key)).toBe(true)
      expect(await store.get(key)).toBeUndefined()
      expect(await store.put(key, grantNumber(2), { ifVersion: 0 })).toBe(1)
    })

    it('adds one to the version on every put, conditional or not', async () => {
      const store = await ctx.store()
      const key = newKey()
      expect(await store.put(key, grantNumber(1))).toBe(1)
      expect(await store.put(key, grantNumber(2))).toBe(2)
      expect(await store.put(key, grantNumber(3), { ifVersion: 2 })).toBe(3)
      expect((await store.get(key))?.version).toBe(3)
    })

    it('hands out copies: changing a returned or saved grant object changes nothing stored', async () => {
      const store = await ctx.store()
      const key = newKey()
      const grant = grantNumber(1)
      await store.put(key, grant)
      grant.accounts.push('mutated')
      const read = await store.get(key)
      read?.grant.scopes.push('mutated')
      const again = await store.get(key)
      expect(again?.grant.accounts).not.toContain('mutated')
      expect(again?.grant.scopes).not.toContain('mutated')
    })
  })
}

function compareAndSetCases(ctx: CaseContext): void {
  const { describe, it, expect, rejection } = ctx
  describe('compare-and-set', () => {
    it('rejects a stale ifVersion with ERR_ECI_GRANT_CONFLICT and keeps the stored grant', async () => {
      const store = await ctx.store()
      const key = newKey()
      const first = grantNumber(1)
      await store.put(key, first, { ifVersion: 0 })
      const second = grantNumber(2)
      expect(await store.put(key, second, { ifVersion: 1 })).toBe(2)
      const error = await rejection(store.put(key, grantNumber(3), { ifVersion: 1 }))
      expect(error.code).toBe(ErrorCode.GRANT_CONFLICT)
      expect(error).not.toBeInstanceOf(EciConfigError)
      expect(await store.get(key)).toEqual({ grant: second, version: 2, status: 'active' })
    })

    it('ifVersion 0 creates only: it conflicts when a grant exists', async () => {
      const store = await ctx.store()
      const key = newKey()
      await store.put(key, grantNumber(1), { ifVersion: 0 })
      expect((await rejection(store.put(key, grantNumber(2), { ifVersion: 0 }))).code).toBe(ErrorCode.GRANT_CONFLICT)
    })

    it('an ifVersion for a key without a grant conflicts', async () => {
      const store = await ctx.store()
      const key = newKey()
      expect((await rejection(store.put(key, grantNumber(1), { ifVersion: 4 }))).code).toBe(ErrorCode.GRANT_CONFLICT)
      expect(await store.get(key)).toBeUndefined()
    })

    it('50 concurrent writers on one version: exactly one wins each round', async () => {
      const store = await ctx.store()
      const key = newKey()
      let version = await store.put(key, grantNumber(0), { ifVersion: 0 })
      for (let round = 1; round <= 4; round++) {
        const grants = Array.from({ length: 50 }, (_, i) => grantNumber(round * 100 + i))
        const results = await Promise.allSettled(grants.map((g) => store.put(key, g, { ifVersion: version })))
        const won = results.flatMap((r, i) =>
          r.status === 'fulfilled' ? [{ version: r.value, grant: grants[i] }] : [],
        )
        const lost = results.filter((r) => r.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(won[0]?.version).toBe(version + 1)
        for (const r of lost) expect((r as PromiseRejectedResult).reason.code).toBe(ErrorCode.GRANT_CONFLICT)
        version = won[0]!.version
        expect(await store.get(key)).toEqual({ grant: won[0]?.grant, version, status: 'active' })
      }
      expect(version).toBe(5)
    }, 60_000)
  })
}

function racingWriterCases(ctx: CaseContext): void {
  const { describe, it, expect } = ctx
  describe('compare-and-set: racing writers', () => {
    it('50 concurrent read-modify-write writers: every put lands once, versions are 2…51', async () => {
      const store = await ctx.store()
      const key = newKey()
      await store.put(key, grantNumber(0), { ifVersion: 0 })
      const byVersion = new Map<number, Grant>()
      let conflicts = 0
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const grant = grantNumber(i + 1)
          for (;;) {
            const current = await store.get(key)
            try {
              byVersion.set(await store.put(key, grant, { ifVersion: current?.version ?? 0 }), grant)
              return
            } catch (error) {
              if ((error as EciError).code !== ErrorCode.GRANT_CONFLICT) throw error
              conflicts++
            }
          }
        }),
      )
      expect([...byVersion.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2))
      const final = await store.get(key)
      expect(final?.version).toBe(51)
      expect(final?.grant).toEqual(byVersion.get(51))
      expect(conflicts).toBeGreaterThan(0) // the writers really collided
    }, 120_000)
  })
}

function needsConsentCases(ctx: CaseContext): void {
  const { describe, it, expect, rejection } = ctx
  describe('needs consent', () => {
    it('marks a grant needs_consent with the reason, keeps the grant and bumps the version', async () => {
      const store = await ctx.store()
      const key = newKey()
      const grant = grantNumber(1)
      await store.put(key, grant, { ifVersion: 0 })
      expect(await store.markNeedsConsent(key, ErrorCode.INVALID_GRANT, { ifVersion: 1 })).toBe(2)
      expect(await store.get(key)).toEqual({
        grant,
        version: 2,
        status: 'needs_consent',
        reason: 'ERR_ECI_INVALID_GRANT',
      })
    })

    it('a writer that read before the mark cannot overwrite it; a new consent (put) makes it active again', async () => {
      const store = await ctx.store()
      const key = newKey()
      await store.put(key, grantNumber(1), { ifVersion: 0 })
      await store.markNeedsConsent(key, ErrorCode.REFRESH_OUTCOME_UNKNOWN)
      expect((await rejection(store.put(key, grantNumber(2), { ifVersion: 1 }))).code).toBe(ErrorCode.GRANT_CONFLICT)
      expect((await store.get(key))?.reason).toBe('ERR_ECI_REFRESH_OUTCOME_UNKNOWN')
      const fresh = grantNumber(3)
      expect(await store.put(key, fresh, { ifVersion: 2 })).toBe(3)
      expect(await store.get(key)).toEqual({ grant: fresh, version: 3, status: 'active' })
    })

    it('a stale or missing grant is a conflict, not a silent no-op', async () => {
      const store = await ctx.store()
      const key = newKey()
      expect((await rejection(store.markNeedsConsent(key, ErrorCode.INVALID_GRANT))).code).toBe(
        ErrorCode.GRANT_CONFLICT,
      )
      await store.put(key, grantNumber(1))
      await store.put(key, grantNumber(2))
      const stale = await rejection(store.markNeedsConsent(key, ErrorCode.INVALID_GRANT, { ifVersion: 1 }))
      expect(stale.code).toBe(ErrorCode.GRANT_CONFLICT)
      expect((await store.get(key))?.status).toBe('active')
    })
  })
}
