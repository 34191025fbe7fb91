/**
 * One refresh for a whole fleet: instances that share a {@link GrantStore} refresh a grant under
 * its lock — take the lock (bounded wait) → re-read (another instance may have refreshed) → mark
 * the refresh as in flight → refresh → save with compare-and-set before the token is used or the
 * lock released → release. A crash at any point loses nothing: the in-flight mark tells the next
 * instance that the outcome is unknown, and it either refreshes again inside the provider's reuse
 * window or marks the grant `needs_consent` with `ERR_ECI_REFRESH_OUTCOME_UNKNOWN`.
 * @module
 */
import { EciConsentError, EciError, ErrorCode } from '../errors.js'
import { outcomeUnknown } from '../oauth/token-endpoint.js'
import { badOption, hasMethods, resolveNonEmptyString } from '../resolve.js'
import { type ResolvedTelemetry, traced } from '../telemetry.js'
import type { Grant } from './grant.js'
import type { SessionBackend } from './session.js'
import type { GrantStore, StoredGrant } from './store.js'

/** How a fleet refresh behaves. */
export interface SharedRefreshOptions {
  store: GrantStore
  key: string
  /** Redeems a refresh token at the provider. */
  refresh: (grant: Grant) => Promise<Grant>
  /** The provider's reuse window, seconds (0: a refresh is never repeated). */
  refreshReuseWindow: number
  /** Lock lifetime, ms: longer than a refresh and its save take. */
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
  const { refreshingSince: _, ...rest } = grant
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

async function needsConsent(
  o: SharedRefreshOptions,
  code: typeof ErrorCode.INVALID_GRANT | typeof ErrorCode.REFRESH_OUTCOME_UNKNOWN,
  version: number,
  message: string,
  cause?: unknown,
): Promise<never> {
  await o.store.markNeedsConsent(o.key, code, { ifVersion: version }).catch(() => {})
  throw new EciConsentError(code, message, { cause })
}

/** Saves the rotated grant, retrying a failing store: the old refresh token is dead, so it must land. */
async function save(o: SharedRefreshOptions, grant: Grant, ifVersion: number, extend: () => Promise<unknown>) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await o.store.put(o.key, grant, { ifVersion })
    } catch (error) {
      if ((error as EciError).code === ErrorCode.GRANT_CONFLICT || attempt >= 6) {
        throw new UnsavedGrantError(grant, error)
      }
      await extend().catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt))
    }
  }
}

/** The provider rotated the grant but the store would not take it; the session keeps it and saves it later. */
export class UnsavedGrantError extends EciError {
  /** The rotated grant (secret): never printed. */
  declare readonly grant: Grant
  constructor(grant: Grant, cause: unknown) {
    super(
      ErrorCode.STORE_UNAVAILABLE,
      'The grant store did not take the rotated grant; it is kept in memory and saved before the next call',
      { cause },
    )
    Object.defineProperty(this, 'grant', { value: grant, enumerable: false })
  }
}

async function redeem(o: SharedRefreshOptions, current: VersionedGrant, marked: number): Promise<VersionedGrant> {
  let next: Grant
  try {
    next = await o.refresh(current.grant)
  } catch (error) {
    if (error instanceof EciConsentError && error.code === ErrorCode.INVALID_GRANT) {
      // Another instance may have rotated it meanwhile (a lock that outlived its ttl): look first.
      const again = await o.store.get(o.key)
      if (again && again.status === 'active' && again.grant.accessToken !== current.grant.accessToken)
        return usable(again)
      return await needsConsent(o, ErrorCode.INVALID_GRANT, marked, error.message, error)
    }
    if (outcomeUnknown(error)) {
      // The mark stays: inside a reuse window the next instance refreshes again.
      if (o.refreshReuseWindow > 0) throw error
      return await needsConsent(
        o,
        ErrorCode.REFRESH_OUTCOME_UNKNOWN,
        marked,
        'The refresh may have rotated the grant but its answer was lost, and the provider allows no reuse: the customer must consent again',
        error,
      )
    }
    // Known not processed (refused, unavailable): the grant is as it was.
    await o.store.put(o.key, current.grant, { ifVersion: marked }).catch(() => {})
    throw error
  }
  return { grant: next, version: 0 }
}

/**
 * Refreshes the grant stored under `o.key` for the whole fleet, starting from what the caller
 * holds (`from`). Returns the newest grant, refreshed here or by another instance.
 * @throws {EciConsentError} when the customer must consent again; {@link EciError}
 *   `ERR_ECI_GRANT_LOCK_TIMEOUT` / `ERR_ECI_STORE_UNAVAILABLE`; the refresh's own errors.
 */
export async function refreshShared(o: SharedRefreshOptions, from: Grant): Promise<VersionedGrant> {
  const asked = performance.now()
  const lock = await o.store.lock(o.key, { ttlMs: o.lockTtlMs, waitMs: o.lockWaitMs })
  o.onLockWait?.(performance.now() - asked)
  if (!lock) {
    // Someone is refreshing, or died doing it: what they saved is as good as our own refresh.
    const stored = usable(await o.store.get(o.key))
    if (stored.grant.accessToken !== from.accessToken) return stored
    throw new EciError(
      ErrorCode.GRANT_LOCK_TIMEOUT,
      `Another instance held the refresh lock for more than ${o.lockWaitMs} ms`,
    )
  }
  try {
    const raw = await o.store.get(o.key)
    const current = usable(raw)
    if (current.grant.accessToken !== from.accessToken) return current
    const since = raw?.grant.refreshingSince
    if (since !== undefined && !(o.refreshReuseWindow > 0 && now() - since < o.refreshReuseWindow)) {
      return await needsConsent(
        o,
        ErrorCode.REFRESH_OUTCOME_UNKNOWN,
        current.version,
        'An earlier refresh of this grant was cut off and the provider allows no reuse: the customer must consent again',
      )
    }
    const marked = await o.store.put(
      o.key,
      { ...current.grant, refreshingSince: since ?? now() },
      { ifVersion: current.version },
    )
    const next = await redeem(o, current, marked)
    if (next.version !== 0) return next
    return { grant: next.grant, version: await save(o, next.grant, marked, () => lock.extend(o.lockTtlMs)) }
  } finally {
    await lock.release().catch(() => {})
  }
}

/** Where a first grant is saved: a store and the app's key for the customer. */
export interface SaveGrantOptions {
  /** The shared store. */
  store: GrantStore
  /** The app's own id for this customer at this provider. */
  key: string
}

/** Checks `{ store, key }`. @throws {EciConfigError} */
export function checkSaveOptions(save: Partial<SaveGrantOptions>): SaveGrantOptions {
  const store = save?.store
  if (!hasMethods(store, ['get', 'put', 'lock', 'markNeedsConsent'])) {
    throw badOption('`store` must be a GrantStore (memoryGrantStore(), postgresGrantStore(), redisGrantStore())')
  }
  return { store: store as GrantStore, key: resolveNonEmptyString(save.key, 'key') }
}

/** Saves a first grant, retrying a failing store: the code is spent, so the grant must land. */
export async function saveFirstGrant({ store, key }: SaveGrantOptions, grant: Grant): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.put(key, grant)
      return
    } catch (error) {
      if (attempt >= 4) throw error
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
    }
  }
}

/**
 * The session backend of `openSession`: refresh through the store (one span with the lock wait),
 * save a refused rotation later, and mark the grant revoked in the store after `revoke()`. @internal
 */
export function storeBackend(
  shared: SharedRefreshOptions,
  telemetry: ResolvedTelemetry,
  revoke: (grant: Grant) => Promise<void>,
): Pick<SessionBackend, 'now' | 'refresh' | 'persist' | 'revoke'> {
  const { store, key } = shared
  return {
    now: () => Date.now() / 1000,
    refresh: (from) =>
      traced(telemetry, 'ecis.grant.refresh', { 'ecis.shared': true }, async (record) => {
        const onLockWait = (ms: number) => record('ecis.lock_wait_ms', Math.round(ms))
        return (await refreshShared({ ...shared, onLockWait }, from)).grant
      }),
    persist: async (grant) => void (await store.put(key, grant)),
    revoke: async (from) => {
      await revoke(from)
      await store.markNeedsConsent(key, ErrorCode.GRANT_REVOKED).catch(() => {})
    },
  }
}
