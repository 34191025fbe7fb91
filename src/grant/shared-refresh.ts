/**
 * One refresh for a whole fleet: instances that share a {@link GrantStore} refresh a grant under
 * its lock. The state machine (docs/scaling.md, "The refresh protocol"):
 *
 * lock → read → mark (compare-and-set) → prove the lock → send → save (compare-and-set) → release.
 *
 * Every write whose outcome is unknown is settled by reading (`store-writes.ts`), never by an
 * unconditional write. A rotated grant is only ever written over its parent — the grant whose
 * refresh token was redeemed — so the stored grant never goes back to an ancestor and a grant from
 * an older consent never overwrites a newer consent (a new consent has another refresh token). A
 * mark stands for "a refresh token may have been sent": a holder that ends up not sending puts
 * back what it read, and a holder that cannot prove its lock sends nothing.
 * @module
 */
import { EciConsentError, EciError, ErrorCode } from '../errors.js'
import { outcomeUnknown } from '../oauth/token-endpoint.js'
import type { Grant } from './grant.js'
import { type HeldLock, holdLock } from './refresh-lock.js'
import type { GrantStore, StoredGrant } from './store.js'
import { readBack, UnsettledWriteError, type WriteContext, writeOver } from './store-writes.js'

/** How a fleet refresh behaves. */
export interface SharedRefreshOptions {
  store: GrantStore
  key: string
  /**
   * Redeems a refresh token at the provider; `mayResend` is asked before a token request whose
   * outcome was unknown is sent again (inside the reuse window).
   */
  refresh: (grant: Grant, mayResend: () => Promise<boolean>) => Promise<Grant>
  /** The provider's reuse window, seconds (0: a refresh is never repeated). */
  refreshReuseWindow: number
  /** Lock lifetime, ms: at least the token request's deadline (checked by `openSession`). */
  lockTtlMs: number
  /** How long to wait for another instance's refresh, ms. */
  lockWaitMs: number
  /** Told how long the lock took (telemetry). */
  onLockWait?: ((ms: number) => void) | undefined
}

/** A grant as the store holds it, with the version to compare-and-set against. */
export interface VersionedGrant {
  grant: Grant
  version: number
}

/** The grant without the in-flight mark. */
export function withoutMark(grant: Grant): Grant {
  const { refreshingSince: _, refreshingBy: __, ...rest } = grant
  return rest
}

const now = () => Math.floor(Date.now() / 1000)

/** The stored grant as a session may use it, or the consent error it stands for. */
export function usable(stored: StoredGrant | undefined): VersionedGrant {
  if (!stored) {
    throw new EciConsentError(ErrorCode.INVALID_GRANT, 'No grant is stored under this key: the customer must consent')
  }
  if (stored.status === 'needs_consent') {
    const reason = stored.reason === ErrorCode.REFRESH_OUTCOME_UNKNOWN ? stored.reason : ErrorCode.INVALID_GRANT
    throw new EciConsentError(reason, `The stored grant needs consent again (${stored.reason ?? 'no reason recorded'})`)
  }
  return { grant: withoutMark(stored.grant), version: stored.version }
}

/** The holder sent nothing and no longer holds the lock: start again from the lock. */
const LOST = Symbol('lost')

/** One refresh under one lock: what it read, its mark, the store's deadline. */
interface Attempt {
  readonly o: SharedRefreshOptions
  readonly c: WriteContext
  /** The stored grant as read under the lock (with any earlier holder's mark). */
  readonly read: StoredGrant
  /** The grant whose refresh token is redeemed. */
  readonly parent: Grant
  /** This attempt's mark id. */
  readonly id: string
}

const context = (o: SharedRefreshOptions): WriteContext => ({
  store: o.store,
  key: o.key,
  deadline: performance.now() + o.lockTtlMs,
})

/**
 * Marks the grant `needs_consent` over `version`. When another writer got there first, what it
 * stored decides: an active grant other than `from` (another instance's rotation, a new consent)
 * is used instead.
 */
async function needsConsent(
  a: Pick<Attempt, 'o' | 'c' | 'parent'>,
  code: typeof ErrorCode.INVALID_GRANT | typeof ErrorCode.REFRESH_OUTCOME_UNKNOWN,
  version: number,
  message: string,
  cause?: unknown,
): Promise<VersionedGrant> {
  try {
    await a.o.store.markNeedsConsent(a.o.key, code, { ifVersion: version })
  } catch {
    const again = await readBack(a.c).catch(() => undefined)
    if (again?.status === 'active' && again.grant.accessToken !== a.parent.accessToken) return usable(again)
  }
  throw new EciConsentError(code, message, { cause })
}

/**
 * Puts back the grant as it was read when this attempt's mark is stored but nothing was sent
 * under it — also over a `needs_consent` that another instance recorded because of that mark.
 */
async function restore(a: Attempt): Promise<undefined> {
  for (;;) {
    const stored = await readBack(a.c)
    if (!stored || stored.grant.refreshingBy !== a.id) return undefined
    if (stored.status === 'needs_consent' && stored.reason !== ErrorCode.REFRESH_OUTCOME_UNKNOWN) return undefined
    const back = await writeOver(
      a.c,
      a.read.grant,
      stored.version,
      (s) =>
        s.status === 'active' &&
        s.grant.accessToken === a.read.grant.accessToken &&
        s.grant.refreshingBy === a.read.grant.refreshingBy,
    )
    if (back.landed) return undefined
  }
}

/** Restores, or leaves the restore to the session's next call when the store does not answer. */
async function restoreOrDefer(a: Attempt, cause: unknown): Promise<void> {
  try {
    await restore(a)
  } catch (error) {
    if (!(error instanceof EciError && error.code === ErrorCode.STORE_UNAVAILABLE)) throw error
    throw new UnsettledWriteError(
      'The grant store did not answer while a refresh that was never sent was being unmarked; the session unmarks it before its next call',
      () => restore({ ...a, c: context(a.o) }),
      cause ?? error,
    )
  }
}

/**
 * Saves the rotated grant over its parent. A conflict is settled by reading: our parent still
 * stored (re-marked inside the reuse window, or marked `needs_consent` because the outcome looked
 * unknown) is replaced by its successor; anything else is newer and is used instead.
 */
async function save(a: Attempt, next: Grant, over: number): Promise<VersionedGrant> {
  const ours = (s: StoredGrant) =>
    s.status === 'active' && s.grant.accessToken === next.accessToken && s.grant.refreshToken === next.refreshToken
  for (;;) {
    const saved = await writeOver(a.c, next, over, ours)
    if (saved.landed) return { grant: next, version: saved.version }
    const s = saved.stored
    const parent =
      s !== undefined &&
      s.grant.refreshToken === a.parent.refreshToken &&
      (s.status === 'active' || s.reason === ErrorCode.REFRESH_OUTCOME_UNKNOWN)
    if (!parent) return usable(s)
    over = s.version
  }
}

async function saveOrDefer(a: Attempt, next: Grant, over: number): Promise<VersionedGrant> {
  try {
    return await save(a, next, over)
  } catch (error) {
    if (!(error instanceof EciError && error.code === ErrorCode.STORE_UNAVAILABLE)) throw error
    throw new UnsettledWriteError(
      'The grant store did not answer while the rotated grant was saved; the session keeps it and saves it (compare-and-set, after reading) before its next call',
      async () => (await save({ ...a, c: context(a.o) }, next, over)).grant,
      error,
    )
  }
}

async function redeem(a: Attempt, marked: number, held: HeldLock): Promise<VersionedGrant> {
  const { o, parent } = a
  let next: Grant
  try {
    next = await o.refresh(parent, () => held.prove())
  } catch (error) {
    if (error instanceof EciConsentError && error.code === ErrorCode.INVALID_GRANT) {
      const again = await readBack(a.c)
      if (again?.status === 'active' && again.grant.refreshToken !== parent.refreshToken) return usable(again)
      return needsConsent(a, ErrorCode.INVALID_GRANT, marked, error.message, error)
    }
    if (outcomeUnknown(error)) {
      // The mark stays: inside a reuse window the next refresh sends the same token again.
      if (o.refreshReuseWindow > 0) throw error
      return needsConsent(
        a,
        ErrorCode.REFRESH_OUTCOME_UNKNOWN,
        marked,
        'The refresh may have rotated the grant but its answer was lost, and the provider allows no reuse: the customer must consent again',
        error,
      )
    }
    // Known not processed (refused, unavailable): the grant is as it was.
    await restoreOrDefer(a, error)
    throw error
  }
  return saveOrDefer(a, next, marked)
}

async function underLock(o: SharedRefreshOptions, from: Grant, held: HeldLock): Promise<VersionedGrant | typeof LOST> {
  const c = context(o)
  const read = await o.store.get(o.key)
  const current = usable(read)
  if (current.grant.accessToken !== from.accessToken) return current
  const stored = read as StoredGrant
  const since = stored.grant.refreshingSince
  if (since !== undefined && !(o.refreshReuseWindow > 0 && now() - since < o.refreshReuseWindow)) {
    return needsConsent(
      { o, c, parent: current.grant },
      ErrorCode.REFRESH_OUTCOME_UNKNOWN,
      current.version,
      'An earlier refresh of this grant was cut off and the provider allows no reuse: the customer must consent again',
    )
  }
  const a: Attempt = { o, c, read: stored, parent: current.grant, id: crypto.randomUUID() }
  let mark: Awaited<ReturnType<typeof writeOver>>
  try {
    const marked = { ...current.grant, refreshingSince: since ?? now(), refreshingBy: a.id }
    mark = await writeOver(c, marked, stored.version, (s) => s.status === 'active' && s.grant.refreshingBy === a.id)
  } catch (error) {
    // The mark's outcome stayed unknown until the deadline; nothing was sent. Unmark (with a
    // fresh deadline) and start again, or leave the unmarking to the session's next call.
    if (!(error instanceof EciError && error.code === ErrorCode.STORE_UNAVAILABLE)) throw error
    await restoreOrDefer({ ...a, c: context(o) }, error)
    return LOST
  }
  // Right before sending: a holder that lost its lock (paused, cut off) sends nothing.
  if (!mark.landed || !(await held.prove())) {
    await restoreOrDefer(a, undefined)
    return LOST
  }
  return redeem(a, mark.version, held)
}

async function fromOthers(o: SharedRefreshOptions, from: Grant): Promise<VersionedGrant> {
  // Someone is refreshing, or died doing it: what they saved is as good as our own refresh.
  const stored = usable(await o.store.get(o.key))
  if (stored.grant.accessToken !== from.accessToken) return stored
  throw new EciError(
    ErrorCode.GRANT_LOCK_TIMEOUT,
    `Another instance held the refresh lock for more than ${o.lockWaitMs} ms`,
  )
}

/**
 * Refreshes the grant stored under `o.key` for the whole fleet, starting from what the caller
 * holds (`from`). Returns the newest grant, refreshed here or by another instance.
 * @throws {EciConsentError} when the customer must consent again; {@link EciError}
 *   `ERR_ECI_GRANT_LOCK_TIMEOUT`; {@link EciNetworkError} `ERR_ECI_STORE_UNAVAILABLE` (an
 *   {@link UnsettledWriteError} when a write is left for the session's next call); the refresh's own errors.
 */
export async function refreshShared(o: SharedRefreshOptions, from: Grant): Promise<VersionedGrant> {
  for (let attempt = 1; ; attempt++) {
    const asked = performance.now()
    const lock = await o.store.lock(o.key, { ttlMs: o.lockTtlMs, waitMs: o.lockWaitMs })
    o.onLockWait?.(performance.now() - asked)
    if (!lock) return fromOthers(o, from)
    const held = holdLock(lock, o.lockTtlMs)
    try {
      const result = await underLock(o, from, held)
      if (result !== LOST) return result
    } finally {
      held.stop()
      await lock.release().catch(() => {})
    }
    if (attempt >= 3) {
      throw new EciError(
        ErrorCode.GRANT_LOCK_TIMEOUT,
        'The refresh lock ran out three times before the token request could be sent (the process stalled or the grant store answered late); nothing was sent',
      )
    }
  }
}
