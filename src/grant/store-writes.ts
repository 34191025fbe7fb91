/**
 * Grant-store writes whose outcome may be unknown, resolved by reading — never by writing blindly.
 * A `put` that failed (reply lost, connection reset, deadline passed) may have landed, may land
 * later, or may never land; a conflict may be our own write that a client re-sent after
 * reconnecting. Reading the stored grant says which: it is ours (landed), it is still the version
 * we wrote over (not landed: write again), or another writer changed it (the caller decides what
 * that writer's grant means).
 * @internal
 * @module
 */
import { EciError, EciNetworkError, ErrorCode } from '../errors.js'
import { backoffDelay, sleep } from '../http/retry.js'
import type { Grant } from './grant.js'
import type { GrantStore, StoredGrant } from './store.js'

/** Where a resolved write goes, and until when it may keep trying (`performance.now()` ms). */
export interface WriteContext {
  readonly store: GrantStore
  readonly key: string
  readonly deadline: number
}

/** What a resolved write found. */
export type WriteOutcome =
  | { readonly landed: true; readonly version: number }
  | { readonly landed: false; readonly stored: StoredGrant | undefined }

/** A store error after which the write's outcome is found by reading. */
function unsettled(error: unknown): boolean {
  return (
    error instanceof EciError && (error.code === ErrorCode.GRANT_CONFLICT || error.code === ErrorCode.STORE_UNAVAILABLE)
  )
}

function unavailable(error: unknown): boolean {
  return error instanceof EciError && error.code === ErrorCode.STORE_UNAVAILABLE
}

/** Waits before the next try (25 ms doubling to 500 ms, jittered), never past the deadline. */
async function backoff(c: WriteContext, attempt: number, last: unknown): Promise<void> {
  const left = c.deadline - performance.now()
  if (left <= 0) {
    throw last instanceof EciNetworkError
      ? last
      : new EciNetworkError(ErrorCode.STORE_UNAVAILABLE, 'The grant store did not settle the write in time', {
          cause: last,
        })
  }
  await sleep(Math.min(left, backoffDelay(attempt, 500, 25)))
}

/** `get`, tried again while the store is unavailable, until the deadline. */
export async function readBack(c: WriteContext): Promise<StoredGrant | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await c.store.get(c.key)
    } catch (error) {
      if (!unavailable(error)) throw error
      await backoff(c, attempt, error)
    }
  }
}

/**
 * Writes `grant` with compare-and-set over `ifVersion` until its outcome is known. `ours` tells
 * our write from any other by what is stored. Never writes over a version it has not read.
 * @throws {EciNetworkError} `ERR_ECI_STORE_UNAVAILABLE` when the deadline passes with the outcome unknown
 */
export async function writeOver(
  c: WriteContext,
  grant: Grant,
  ifVersion: number,
  ours: (stored: StoredGrant) => boolean,
): Promise<WriteOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { landed: true, version: await c.store.put(c.key, grant, { ifVersion }) }
    } catch (error) {
      if (!unsettled(error)) throw error
      const stored = await readBack(c)
      if (stored && ours(stored)) return { landed: true, version: stored.version }
      if (stored?.version !== ifVersion) return { landed: false, stored }
      // Still the version we wrote over: ours did not land (it may yet, and then fail its compare).
      await backoff(c, attempt, error)
    }
  }
}

/**
 * A store write the refresh could not settle before its deadline (the store did not answer). The
 * session runs `settle()` before its next call: it finishes the write by reading and
 * compare-and-set, and resolves to the grant the session continues with (`undefined`: the one it
 * has). The rotated grant it may hold is secret: never printed.
 */
export class UnsettledWriteError extends EciNetworkError {
  /** Finishes the write; rejects like this error while the store still does not answer. */
  declare readonly settle: () => Promise<Grant | undefined>

  constructor(message: string, settle: () => Promise<Grant | undefined>, cause: unknown) {
    super(ErrorCode.STORE_UNAVAILABLE, message, { cause })
    Object.defineProperty(this, 'settle', { value: settle, enumerable: false })
  }
}
