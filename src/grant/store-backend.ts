/**
 * A GrantStore is built from a backend that knows only its storage primitives (read a row,
 * compare-and-set it, take a lease, …). `grantStoreFrom` adds everything the stores share:
 * argument checks, serialising and checking grants, the conflict error, the bounded lock wait
 * and the owner-checked lock object. The memory store and the PostgreSQL and Redis adapters
 * are backends.
 * @internal
 * @module
 */
import type { ErrorCode } from '../errors.js'
import type { GrantLock, GrantStore } from './store.js'
import {
  acquireWithin,
  checkLockOptions,
  checkMs,
  checkPutOptions,
  checkReason,
  checkStoreKey,
  grantConflict,
  parseStoredGrant,
  serializeGrant,
} from './store-rules.js'

/** A stored row as the backend found it; `grantStoreFrom` checks every field. */
export interface BackendRow {
  /** The grant as JSON text, or already parsed (PostgreSQL's jsonb). */
  grant: unknown
  version: unknown
  status: unknown
  reason: unknown
}

/** The storage primitives of one GrantStore. Keys and values arrive checked. */
export interface GrantStoreBackend {
  read(key: string): Promise<BackendRow | undefined>
  /**
   * Saves `json` with status `active`, no reason, version + 1 (1 for a new key) when
   * `ifVersion` is undefined or the stored version (0: none stored). Resolves to the new
   * version, or `undefined` when the stored version is another.
   */
  write(key: string, json: string, ifVersion: number | undefined): Promise<number | undefined>
  /** Sets status `needs_consent` and `reason`, version + 1; `undefined` when missing or stale. */
  markNeedsConsent(key: string, reason: string, ifVersion: number | undefined): Promise<number | undefined>
  /** Takes the lease for `owner` when it is free or expired. */
  tryLock(key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Deletes the lease when `owner` holds it; `true` when it had not expired yet. */
  release(key: string, owner: string): Promise<boolean>
  /** Sets the lease's expiry `ms` from now when `owner` holds it and it has not expired. */
  extend(key: string, owner: string, ms: number): Promise<boolean>
  remove(key: string): Promise<boolean>
}

/** A fresh lock owner token (122 random bits). */
const newOwner = () => crypto.randomUUID()

/** The GrantStore on `backend`. */
export function grantStoreFrom(backend: GrantStoreBackend): GrantStore {
  const lockOf = (key: string, owner: string): GrantLock => ({
    release: () => backend.release(key, owner),
    async extend(ms) {
      return backend.extend(key, owner, checkMs(ms, 'extend(ms)', 1))
    },
  })
  return {
    async get(key) {
      const row = await backend.read(checkStoreKey(key))
      return row && parseStoredGrant(row.grant, row.version, row.status, row.reason)
    },
    async put(key, grant, options) {
      checkStoreKey(key)
      const json = serializeGrant(grant)
      const { ifVersion } = checkPutOptions(options)
      const version = await backend.write(key, json, ifVersion)
      if (version === undefined) throw grantConflict(ifVersion)
      return version
    },
    async markNeedsConsent(key, reason: ErrorCode, options) {
      checkStoreKey(key)
      checkReason(reason)
      const { ifVersion } = checkPutOptions(options)
      const version = await backend.markNeedsConsent(key, reason, ifVersion)
      if (version === undefined) throw grantConflict(ifVersion)
      return version
    },
    async lock(key, options) {
      checkStoreKey(key)
      const { ttlMs, waitMs } = checkLockOptions(options)
      const owner = newOwner()
      const taken = await acquireWithin(waitMs, () => backend.tryLock(key, owner, ttlMs))
      return taken ? lockOf(key, owner) : undefined
    },
    async delete(key) {
      return backend.remove(checkStoreKey(key))
    },
  }
}
