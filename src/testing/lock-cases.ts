/** The refresh lock's cases of the GrantStore conformance suite. @module */
import { type CaseContext, newKey, sleep } from './cases.js'

/** Exclusive, expiring, owner-checked locks; waiting holders take turns. @internal */
export function lockCases(ctx: CaseContext): void {
  exclusiveLockCases(ctx)
  lockOwnershipCases(ctx)
}

function exclusiveLockCases(ctx: CaseContext): void {
  const { describe, it, expect } = ctx
  describe('the refresh lock', () => {
    it('20 concurrent lock attempts without waiting: exactly one gets it', async () => {
      const store = await ctx.store()
      const key = newKey()
      const locks = await Promise.all(Array.from({ length: 20 }, () => store.lock(key, { ttlMs: 30_000, waitMs: 0 })))
      expect(locks.filter(Boolean)).toHaveLength(1)
      expect(await locks.find(Boolean)?.release()).toBe(true)
    })

    it('waiting holders take turns: never two inside at once, every one gets its turn', async () => {
      const store = await ctx.store()
      const key = newKey()
      let inside = 0
      let most = 0
      let turns = 0
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const lock = await store.lock(key, { ttlMs: 30_000, waitMs: 60_000 })
          expect(lock).toBeDefined()
          inside++
          most = Math.max(most, inside)
          await sleep(5)
          inside--
          turns++
          expect(await lock?.release()).toBe(true)
        }),
      )
      expect(most).toBe(1)
      expect(turns).toBe(8)
    }, 90_000)

    it('a held lock is not given out: a short wait runs out and resolves to undefined', async () => {
      const store = await ctx.store()
      const key = newKey()
      const held = await store.lock(key, { ttlMs: 60_000, waitMs: 0 })
      expect(held).toBeDefined()
      expect(await store.lock(key, { ttlMs: 1000, waitMs: 0 })).toBeUndefined()
      expect(await store.lock(key, { ttlMs: 1000, waitMs: 25 })).toBeUndefined()
      await held?.release()
    })

    it('released, a lock is free at once; locks of different keys are independent', async () => {
      const store = await ctx.store()
      const key = newKey()
      const a = await store.lock(key, { ttlMs: 60_000 })
      const other = await store.lock(newKey(), { ttlMs: 60_000 })
      expect(other).toBeDefined()
      expect(await a?.release()).toBe(true)
      expect(await a?.release()).toBe(false)
      const b = await store.lock(key, { ttlMs: 60_000, waitMs: 0 })
      expect(b).toBeDefined()
      await b?.release()
      await other?.release()
    })

    it("a dead owner's lock frees when its ttl ends", async () => {
      const store = await ctx.store()
      const key = newKey()
      expect(await store.lock(key, { ttlMs: 1000 })).toBeDefined() // never released: its owner "died"
      expect(await store.lock(key, { ttlMs: 1000, waitMs: 0 })).toBeUndefined()
      const next = await store.lock(key, { ttlMs: 30_000, waitMs: 10_000 })
      expect(next).toBeDefined()
      await next?.release()
    })
  })
}

function lockOwnershipCases(ctx: CaseContext): void {
  const { describe, it, expect } = ctx
  describe('the refresh lock: expiry and ownership', () => {
    it('only the owner releases or extends: an expired lock taken by another stays theirs', async () => {
      const store = await ctx.store()
      const key = newKey()
      const old = await store.lock(key, { ttlMs: 100 })
      const current = await store.lock(key, { ttlMs: 60_000, waitMs: 10_000 })
      expect(old && current).toBeDefined()
      expect(await old?.release()).toBe(false)
      expect(await old?.extend(60_000)).toBe(false)
      expect(await store.lock(key, { ttlMs: 1000, waitMs: 0 })).toBeUndefined()
      expect(await current?.release()).toBe(true)
      const after = await store.lock(key, { ttlMs: 1000, waitMs: 0 })
      expect(after).toBeDefined()
      await after?.release()
    })

    it('extend keeps the lock past its first ttl', async () => {
      const store = await ctx.store()
      const key = newKey()
      const lock = await store.lock(key, { ttlMs: 2000 })
      expect(await lock?.extend(60_000)).toBe(true)
      // Waits well past the first ttl: a lock that had not been extended would be taken here.
      expect(await store.lock(key, { ttlMs: 1000, waitMs: 2500 })).toBeUndefined()
      expect(await lock?.release()).toBe(true)
    })

    it('an expired lock cannot be extended back to life by its old owner', async () => {
      const store = await ctx.store()
      const key = newKey()
      const lock = await store.lock(key, { ttlMs: 50 })
      await sleep(200)
      expect(await lock?.extend(60_000)).toBe(false)
      const other = await store.lock(key, { ttlMs: 1000, waitMs: 0 })
      expect(other).toBeDefined()
      await other?.release()
    })
  })
}
