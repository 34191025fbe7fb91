/**
 * The rules every GrantStore shares, written once: argument checks, how a grant is serialised and
 * read back, the conflict error, and the bounded wait for a lock. Used by the memory store here
 * and by the Node-only adapters in `src/stores/`.
 * @internal
 * @module
 */
import { EciError, ErrorCode } from '../errors.js'
import { backoffDelay, sleep } from '../http/retry.js'
import { badOption } from '../resolve.js'
import { assertGrant, type Grant } from './grant.js'
import type { GrantStatus, StoredGrant } from './store.js'

/** Longest grant key, in characters (fits a PostgreSQL btree index entry in any encoding). */
export const MAX_STORE_KEY_LENGTH = 512
/** Longest lock ttl and lock wait, ms (one hour). */
export const MAX_LOCK_MS = 3_600_000
/** Largest serialised grant, in characters: a grant is a few kB; anything near this is not one. */
export const MAX_GRANT_JSON_LENGTH = 1_048_576

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode))

/** A grant key: 1 – 512 characters, no control characters. @throws {EciConfigError} */
export function checkStoreKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_STORE_KEY_LENGTH) {
    throw badOption(`A grant store key must be a string of 1 to ${MAX_STORE_KEY_LENGTH} characters`)
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) throw badOption('A grant store key must not contain control characters')
  }
  return key
}

/** An integer number of milliseconds in [min, MAX_LOCK_MS]. @throws {EciConfigError} */
export function checkMs(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_LOCK_MS) {
    throw badOption(`${name} must be an integer number of milliseconds from ${min} to ${MAX_LOCK_MS}`)
  }
  return value
}

/** `{ ttlMs, waitMs }` of `lock()`. @throws {EciConfigError} */
export function checkLockOptions(options: unknown): { ttlMs: number; waitMs: number } {
  if (options === null || typeof options !== 'object') throw badOption('lock() needs options { ttlMs, waitMs }')
  const { ttlMs, waitMs } = options as { ttlMs?: unknown; waitMs?: unknown }
  return { ttlMs: checkMs(ttlMs, 'ttlMs', 1), waitMs: waitMs === undefined ? 0 : checkMs(waitMs, 'waitMs', 0) }
}

/** `{ ifVersion? }` of `put()` and `markNeedsConsent()`. @throws {EciConfigError} */
export function checkPutOptions(options: unknown): { ifVersion?: number | undefined } {
  if (options === undefined) return {}
  if (options === null || typeof options !== 'object') throw badOption('Grant store options must be an object')
  const { ifVersion } = options as { ifVersion?: unknown }
  if (ifVersion === undefined) return {}
  if (typeof ifVersion !== 'number' || !Number.isSafeInteger(ifVersion) || ifVersion < 0) {
    throw badOption('ifVersion must be a version a grant store returned (an integer ≥ 0; 0 = not stored yet)')
  }
  return { ifVersion }
}

/** A needs-consent reason: one of the SDK's `ERR_ECI_…` codes. @throws {EciConfigError} */
export function checkReason(reason: unknown): string {
  if (typeof reason !== 'string' || !ERROR_CODES.has(reason)) {
    throw badOption('A needs-consent reason must be one of the ErrorCode values (ERR_ECI_…)')
  }
  return reason
}

/** The grant as the JSON text a store keeps. @throws {EciConfigError} */
export function serializeGrant(grant: Grant): string {
  assertGrant(grant)
  const json = JSON.stringify(grant)
  if (json.length > MAX_GRANT_JSON_LENGTH)
    throw badOption(`A grant must serialise to at most ${MAX_GRANT_JSON_LENGTH} characters`)
  return json
}

function corrupt(cause?: unknown): EciError {
  return new EciError(ErrorCode.INTERNAL, 'The grant store holds data under this key that is not a stored Grant', {
    cause,
  })
}

/**
 * A stored row back into a {@link StoredGrant}; `grant` is JSON text or the parsed value
 * (PostgreSQL's jsonb). @throws {EciError} `ERR_ECI_INTERNAL` for data that is not one.
 */
export function parseStoredGrant(grant: unknown, version: unknown, status: unknown, reason: unknown): StoredGrant {
  const v = typeof version === 'string' && /^\d{1,15}$/.test(version) ? Number(version) : version
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw corrupt()
  if (status !== 'active' && status !== 'needs_consent') throw corrupt()
  let value: unknown
  try {
    value = assertGrant(typeof grant === 'string' ? JSON.parse(grant) : grant)
  } catch (cause) {
    throw corrupt(cause)
  }
  const stored: StoredGrant = { grant: value as Grant, version: v, status: status as GrantStatus }
  if (status === 'needs_consent' && typeof reason === 'string' && reason) stored.reason = reason as ErrorCode
  return stored
}

/** The compare-and-set failure. */
export function grantConflict(expected: number | undefined): EciError {
  const message =
    expected === undefined
      ? 'No grant is stored under this key'
      : expected === 0
        ? 'A grant is already stored under this key (ifVersion: 0 expects none)'
        : `The stored grant is no longer at version ${expected}: another writer changed it; read it again`
  return new EciError(ErrorCode.GRANT_CONFLICT, message)
}

/**
 * Tries `attempt` until it succeeds or `waitMs` has passed, sleeping 5 ms, 10 ms, … up to
 * 50 ms (with jitter, so waiters do not move in lockstep) and never past the deadline; the last
 * try happens at the deadline. `waitMs` 0 tries once.
 */
export async function acquireWithin(waitMs: number, attempt: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + waitMs
  for (let tries = 0; ; tries++) {
    if (await attempt()) return true
    const left = deadline - performance.now()
    if (left <= 0) return false
    await sleep(Math.min(left, backoffDelay(tries, 50, 5)))
  }
}
