/**
 * The refresh lock as its holder keeps it: extended every third of its ttl for as long as the
 * refresh runs (a token request, its `Retry-After` waits, the save), and proved — extended and
 * answered `true` by the store — right before a refresh token is sent. A holder that cannot prove
 * it still owns the lock sends nothing.
 * @internal
 * @module
 */
import type { GrantLock } from './store.js'

/** A lock held for a refresh. */
export interface HeldLock {
  /**
   * Extends the lock to a full ttl and resolves `true` when the store says, within half the ttl,
   * that this owner still holds it; `false` when it expired (another instance may hold it now),
   * the store did not answer, or the answer came too late to say anything about now.
   */
  prove(): Promise<boolean>
  /** Stops the heartbeat (before release). */
  stop(): void
}

/** Keeps `lock` alive every `ttlMs / 3` until `stop()`. */
export function holdLock(lock: GrantLock, ttlMs: number): HeldLock {
  let lost = false
  const extend = async (): Promise<boolean> => {
    if (lost) return false
    try {
      if (await lock.extend(ttlMs)) return true
      lost = true
    } catch {
      // The store did not answer: the lock may still be ours, but it is not proved.
    }
    return false
  }
  const beat = setInterval(() => void extend(), Math.max(1, Math.floor(ttlMs / 3)))
  // An answer that took half the ttl (a stalled store, or this process paused after the store
  // answered) proves nothing about now: the lock may have ended meanwhile. Ask once more.
  const fresh = async () => {
    const asked = performance.now()
    return (await extend()) && performance.now() - asked < ttlMs / 2
  }
  return {
    prove: async () => (await fresh()) || (!lost && (await fresh())),
    stop: () => clearInterval(beat),
  }
}
