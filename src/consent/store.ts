/**
 * Where the browser flow keeps consent transactions between the redirect out and the callback.
 *
 * @module
 */

import { EciConfigError, ErrorCode } from '../errors.js'
import { badOption, hasMethods } from '../resolve.js'

/**
 * Key-value storage for pending consent transactions (JSON strings, keyed by `state`). Methods
 * may be synchronous or return promises, so `sessionStorage`, IndexedDB wrappers or a server
 * session all fit.
 *
 * @example
 * ```ts
 * const store: ConsentStore = {
 *   get: (key) => session.get(key) ?? null,
 *   set: (key, value) => session.set(key, value),
 *   delete: (key) => session.delete(key),
 * }
 * ```
 */
export interface ConsentStore {
  /** The value stored under `key`, or `null`. */
  get(key: string): string | null | Promise<string | null>
  /** Stores `value` under `key`, replacing any previous value. */
  set(key: string, value: string): void | Promise<void>
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): void | Promise<void>
}

/** The subset of the Web Storage API that {@link sessionStorageStore} uses. */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** Options of {@link sessionStorageStore}. */
export interface SessionStorageStoreOptions {
  /**
   * Prefix of every key, so the SDK's entries never collide with the app's.
   * @default 'ecis-consumer:consent:'
   */
  prefix?: string
  /**
   * The storage to use instead of `globalThis.sessionStorage` (tests, or a wrapper). Never pass
   * `localStorage`: it outlives the tab and is shared by every tab of the origin, so the code
   * verifier would linger there.
   * @default globalThis.sessionStorage
   */
  storage?: StorageLike
}

/** The default key prefix of {@link sessionStorageStore}. */
export const DEFAULT_STORE_PREFIX = 'ecis-consumer:consent:'

/**
 * A {@link ConsentStore} on `sessionStorage`: per tab, same origin only, gone when the tab
 * closes, and it survives the full-page redirect to the provider and back. The right place
 * for a browser app's PKCE verifier.
 *
 * @throws {@link EciConfigError} `INVALID_OPTION` when `sessionStorage` is unavailable (no
 *   browser, a sandboxed iframe, storage disabled).
 * @example
 * ```ts
 * import { beginConsent, sessionStorageStore } from 'ecis-consumer/consent'
 * const { url } = await beginConsent({ ...options, store: sessionStorageStore() })
 * ```
 */
export function sessionStorageStore(options: SessionStorageStoreOptions = {}): ConsentStore {
  const prefix = options.prefix ?? DEFAULT_STORE_PREFIX
  if (typeof prefix !== 'string') {
    throw badOption('prefix must be a string')
  }
  let storage: StorageLike | undefined
  try {
    // Reading globalThis.sessionStorage throws a SecurityError where storage is blocked.
    storage = options.storage ?? (globalThis as { sessionStorage?: StorageLike }).sessionStorage
  } catch (cause) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'sessionStorage is blocked in this context', { cause })
  }
  if (!hasMethods(storage, ['getItem', 'setItem', 'removeItem'])) {
    throw badOption('sessionStorage is not available here; pass another store (memoryStore() or your own ConsentStore)')
  }
  const s = storage as StorageLike
  return {
    get: (key) => s.getItem(prefix + key),
    set: (key, value) => s.setItem(prefix + key, value),
    delete: (key) => s.removeItem(prefix + key),
  }
}

/**
 * A {@link ConsentStore} in memory: for tests, and for flows that start and finish in the same
 * JavaScript realm (a popup opener, a desktop app). Lost on reload.
 */
export function memoryStore(): ConsentStore {
  const map = new Map<string, string>()
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => {
      map.set(key, value)
    },
    delete: (key) => {
      map.delete(key)
    },
  }
}
