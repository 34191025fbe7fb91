/**
 * The `GrantStore` contract: grants shared by a fleet of instances, each with a version for
 * compare-and-set, a status that records "needs consent", and an expiring, owner-checked lock
 * per key for refreshes. `memoryGrantStore()` implements it for one process and tests; the Node
 * entries `ecis-consumer/postgres` and `ecis-consumer/redis` implement it on shared servers.
 *
 * @module
 */
import type { ErrorCode } from '../errors.js'
import type { Grant } from './grant.js'

/** Whether a stored grant can be used (`active`) or the customer must consent again. */
export type GrantStatus = 'active' | 'needs_consent'

/** What {@link GrantStore.get} returns: the grant, its version and its status. */
export interface StoredGrant {
  /** The grant as last saved. */
  grant: Grant
  /**
   * The version {@link GrantStore.put} returned for this grant (or {@link GrantStore.markNeedsConsent}
   * for this status). Pass it as `ifVersion` to change the grant only if nobody else did.
   */
  version: number
  /** `needs_consent` once an instance found the consent lost; `put` makes a grant `active` again. */
  status: GrantStatus
  /** Why the grant needs consent: an `ERR_ECI_…` code (set when `status` is `needs_consent`). */
  reason?: ErrorCode | undefined
}

/** Options of {@link GrantStore.put}. */
export interface PutGrantOptions {
  /**
   * Compare-and-set: write only when the stored version is this one, else reject with
   * `ERR_ECI_GRANT_CONFLICT`. `0` means "only when no grant is stored under the key" (create).
   * Without it the write is unconditional (last writer wins) — use that only for a new consent.
   */
  ifVersion?: number | undefined
}

/** Options of {@link GrantStore.markNeedsConsent}. */
export interface MarkNeedsConsentOptions {
  /** Compare-and-set: mark only when the stored version is this one, else `ERR_ECI_GRANT_CONFLICT`. */
  ifVersion?: number | undefined
}

/** Options of {@link GrantStore.lock}. */
export interface GrantLockOptions {
  /**
   * How long the lock lives unless released or extended, in integer ms (1 – 3 600 000). A holder
   * that dies frees the lock when this runs out.
   */
  ttlMs: number
  /**
   * How long to wait for a lock another owner holds, in integer ms (0 – 3 600 000); after it,
   * `lock` resolves to `undefined`. `0` tries once.
   * @default 0
   */
  waitMs?: number | undefined
}

/** A held lock. Only its owner can release or extend it, and only while it has not expired. */
export interface GrantLock {
  /**
   * Gives the lock up. Resolves `true` when this owner still held it; `false` when it had
   * expired already — then it is left alone, whoever holds it now.
   * @throws {EciNetworkError} `ERR_ECI_STORE_UNAVAILABLE` when the store does not answer
   */
  release(): Promise<boolean>
  /**
   * Makes the lock live `ms` more milliseconds from now (integer, 1 – 3 600 000). Resolves
   * `false`, changing nothing, when this owner no longer holds it.
   * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for a bad `ms`
   * @throws {EciNetworkError} `ERR_ECI_STORE_UNAVAILABLE` when the store does not answer
   */
  extend(ms: number): Promise<boolean>
}

/**
 * Where a fleet keeps its grants. Keys are the app's own ids for a customer at a utility
 * (1 – 512 characters, no control characters). Versions are positive integers: the first `put`
 * of a key returns 1 and every change (`put`, `markNeedsConsent`) adds one. Every call rejects
 * with `EciConfigError` (`ERR_ECI_INVALID_OPTION`) for bad arguments; server-backed stores reject
 * with `EciNetworkError` (`ERR_ECI_STORE_UNAVAILABLE`) when the server does not answer.
 *
 * @example
 * ```ts
 * import { memoryGrantStore } from 'ecis-consumer'
 * const store = memoryGrantStore()
 * const version = await store.put('customer-42', grant, { ifVersion: 0 })   // create
 * const lock = await store.lock('customer-42', { ttlMs: 30_000, waitMs: 5_000 })
 * if (lock) {
 *   try {
 *     const current = await store.get('customer-42')          // re-read under the lock
 *     await store.put('customer-42', rotated, { ifVersion: current?.version })
 *   } finally {
 *     await lock.release()
 *   }
 * }
 * ```
 */
export interface GrantStore {
  /**
   * The grant stored under `key`, or `undefined` when there is none.
   * @throws {EciError} `ERR_ECI_INTERNAL` when the stored data is not a Grant
   */
  get(key: string): Promise<StoredGrant | undefined>
  /**
   * Saves `grant` under `key` with status `active` and resolves to its new version.
   * @throws {EciError} `ERR_ECI_GRANT_CONFLICT` when `ifVersion` is given and is not the stored version
   * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for a bad key, a value that is not a Grant, a bad `ifVersion`
   */
  put(key: string, grant: Grant, options?: PutGrantOptions): Promise<number>
  /**
   * Records that the customer must consent again, with the `ERR_ECI_…` code that says why
   * (e.g. `ERR_ECI_INVALID_GRANT`, `ERR_ECI_REFRESH_OUTCOME_UNKNOWN`). The grant stays stored;
   * resolves to the new version.
   * @throws {EciError} `ERR_ECI_GRANT_CONFLICT` when no grant is stored under `key`, or `ifVersion` is stale
   */
  markNeedsConsent(key: string, reason: ErrorCode, options?: MarkNeedsConsentOptions): Promise<number>
  /**
   * Takes the key's lock for `ttlMs`, waiting up to `waitMs` while another owner holds it;
   * `undefined` when the wait runs out. The lock is independent of the grant: `put` does not
   * check it, so a holder re-reads and saves with `ifVersion`.
   */
  lock(key: string, options: GrantLockOptions): Promise<GrantLock | undefined>
  /** Removes the grant stored under `key`; `true` when there was one. Locks are left alone. */
  delete(key: string): Promise<boolean>
}
