/** The argument checks of the GrantStore conformance suite. @module */
import { EciConfigError, ErrorCode } from '../errors.js'
import { type CaseContext, grantNumber, newKey } from './cases.js'

/** Every bad argument is an EciConfigError; corrupt data is an EciError, not a crash. @internal */
export function badInputCases(ctx: CaseContext, corrupt: boolean): void {
  badArgumentCases(ctx)
  badValueCases(ctx, corrupt)
}

function badArgumentCases(ctx: CaseContext): void {
  const { describe, it, expect, rejection } = ctx
  describe('bad input: keys and lock options', () => {
    const badKeys: unknown[] = ['', 'x'.repeat(513), 'tab\there', 'nul\u0000', 42, null, undefined, {}]
    for (const key of badKeys) {
      it(`key ${JSON.stringify(key) ?? String(key)} is an EciConfigError for every call`, async () => {
        const store = await ctx.store()
        const k = key as string
        const calls = [
          store.get(k),
          store.put(k, grantNumber(1)),
          store.markNeedsConsent(k, ErrorCode.INVALID_GRANT),
          store.lock(k, { ttlMs: 1000 }),
          store.delete(k),
        ].map((call) => rejection(call)) // handled at once: a store may reject before the loop gets there
        for (const pending of calls) {
          const error = await pending
          expect(error).toBeInstanceOf(EciConfigError)
          expect(error.code).toBe(ErrorCode.INVALID_OPTION)
        }
      })
    }

    const badLocks: [string, unknown][] = [
      ['ttlMs 0', { ttlMs: 0 }],
      ['ttlMs negative', { ttlMs: -5 }],
      ['ttlMs fractional', { ttlMs: 1.5 }],
      ['ttlMs NaN', { ttlMs: Number.NaN }],
      ['ttlMs over an hour', { ttlMs: 3_600_001 }],
      ['ttlMs missing', {}],
      ['waitMs negative', { ttlMs: 1000, waitMs: -1 }],
      ['waitMs Infinity', { ttlMs: 1000, waitMs: Number.POSITIVE_INFINITY }],
      ['waitMs a string', { ttlMs: 1000, waitMs: '10' }],
      ['no options', undefined],
    ]
    for (const [label, options] of badLocks) {
      it(`lock with ${label} is an EciConfigError`, async () => {
        const store = await ctx.store()
        const error = await rejection(store.lock(newKey(), options as never))
        expect(error).toBeInstanceOf(EciConfigError)
      })
    }
  })
}

function badValueCases(ctx: CaseContext, corrupt: boolean): void {
  const { describe, it, expect, rejection } = ctx
  describe('bad input: ttls, versions, values', () => {
    it('extend with a bad ttl is an EciConfigError and leaves the lock held', async () => {
      const store = await ctx.store()
      const key = newKey()
      const lock = await store.lock(key, { ttlMs: 60_000 })
      for (const ms of [0, -1, 2.5, Number.NaN, 3_600_001]) {
        expect(await rejection(lock!.extend(ms))).toBeInstanceOf(EciConfigError)
      }
      expect(await store.lock(key, { ttlMs: 1000 })).toBeUndefined()
      await lock?.release()
    })

    const badVersions: [string, unknown][] = [
      ['ifVersion -1', { ifVersion: -1 }],
      ['ifVersion 1.5', { ifVersion: 1.5 }],
      ['ifVersion "1"', { ifVersion: '1' }],
      ['options null', null],
    ]
    for (const [label, options] of badVersions) {
      it(`put and markNeedsConsent with ${label} are EciConfigErrors`, async () => {
        const store = await ctx.store()
        const key = newKey()
        await store.put(key, grantNumber(1))
        expect(await rejection(store.put(key, grantNumber(2), options as never))).toBeInstanceOf(EciConfigError)
        expect(await rejection(store.markNeedsConsent(key, ErrorCode.INVALID_GRANT, options as never))).toBeInstanceOf(
          EciConfigError,
        )
        expect((await store.get(key))?.version).toBe(1)
      })
    }

    it('a value that is not a Grant, or a reason that is not an ERR_ECI_ code, is an EciConfigError', async () => {
      const store = await ctx.store()
      const key = newKey()
      for (const bad of [null, {}, { ...grantNumber(1), accessToken: '' }, { ...grantNumber(1), scopes: 'x' }]) {
        expect(await rejection(store.put(key, bad as never))).toBeInstanceOf(EciConfigError)
      }
      const huge = grantNumber(1, { accounts: Array.from({ length: 100_000 }, (_, i) => `account-${i}`) })
      expect(await rejection(store.put(key, huge))).toBeInstanceOf(EciConfigError)
      expect(await store.get(key)).toBeUndefined()
      await store.put(key, grantNumber(2))
      for (const reason of ['invalid_grant', 'ERR_ECI_NOPE', 7]) {
        expect(await rejection(store.markNeedsConsent(key, reason as never))).toBeInstanceOf(EciConfigError)
      }
      expect((await store.get(key))?.status).toBe('active')
    })

    if (corrupt) {
      it('data under a key that is not a stored grant is an EciError on get, not a crash', async () => {
        const { store, corrupt: write } = await ctx.subject()
        if (!write) throw new Error('features.corrupt needs `corrupt` on what makeStore returns')
        const key = newKey()
        await write(key)
        const error = await rejection(store.get(key))
        expect(error.code).toBe(ErrorCode.INTERNAL)
      })
    }
  })
}
