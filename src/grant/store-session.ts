/**
 * What `completeConsent(…, { store, key })` and `openSession` add to a session: saving the first
 * grant, the fleet refresh as the session's backend, and the `lockTtlMs` rule.
 * @module
 */
import { ErrorCode } from '../errors.js'
import { badOption, hasMethods, resolveNonEmptyString, resolveTimeout } from '../resolve.js'
import { type ResolvedTelemetry, traced } from '../telemetry.js'
import type { Grant } from './grant.js'
import type { SessionBackend } from './session.js'
import { refreshShared, type SharedRefreshOptions } from './shared-refresh.js'
import type { GrantStore } from './store.js'

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

/**
 * The refresh lock's ttl for a consumer whose token requests end within `oauthTimeoutMs`: a
 * refresh holds its lock for as long as a token request may last, so that even a holder that can
 * no longer extend its lock (cut off from the store) has its request ended before the lock ends.
 * @throws {EciConfigError} when `lockTtlMs` is shorter than `oauthTimeoutMs`
 */
export function resolveLockTtl(lockTtlMs: unknown, oauthTimeoutMs: number): number {
  const ttl = resolveTimeout(lockTtlMs, 'lockTtlMs', Math.max(30_000, oauthTimeoutMs))
  if (ttl < oauthTimeoutMs) {
    throw badOption(
      `\`lockTtlMs\` (${ttl} ms) must be at least the consumer's \`timeout\` for token requests (${oauthTimeoutMs} ms, whole seconds): a refresh must never outlive its lock. Raise lockTtlMs or lower timeout`,
    )
  }
  return ttl
}

/** Saves a first grant, retrying a failing store: the code is spent, so the grant must land. */
export async function saveFirstGrant({ store, key }: SaveGrantOptions, grant: Grant): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      // A new consent replaces whatever is stored: the one unconditional write.
      await store.put(key, grant)
      return
    } catch (error) {
      if (attempt >= 4) throw error
      // A write whose answer was lost may have landed: read before writing again.
      const stored = await store.get(key).catch(() => undefined)
      if (stored && stored.grant.refreshToken === grant.refreshToken && stored.grant.accessToken === grant.accessToken)
        return
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
    }
  }
}

/**
 * The session backend of `openSession`: refresh through the store (one span with the lock wait),
 * and mark the grant revoked in the store after `revoke()`. @internal
 */
export function storeBackend(
  shared: SharedRefreshOptions,
  telemetry: ResolvedTelemetry,
  revoke: (grant: Grant) => Promise<void>,
): Pick<SessionBackend, 'now' | 'refresh' | 'savesGrants' | 'revoke'> {
  const { store, key } = shared
  return {
    now: () => Date.now() / 1000,
    refresh: (from) =>
      traced(telemetry, 'ecis.grant.refresh', { 'ecis.shared': true }, async (record) => {
        const onLockWait = (ms: number) => record('ecis.lock_wait_ms', Math.round(ms))
        return (await refreshShared({ ...shared, onLockWait }, from)).grant
      }),
    savesGrants: true,
    revoke: async (from) => {
      await revoke(from)
      await store.markNeedsConsent(key, ErrorCode.GRANT_REVOKED).catch(() => {})
    },
  }
}
