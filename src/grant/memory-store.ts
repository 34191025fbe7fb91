/**
 * The in-memory {@link GrantStore}: one process, tests and single-instance apps.
 * @module
 */
import type { GrantStatus, GrantStore } from './store.js'
import { grantStoreFrom } from './store-backend.js'

interface MemoryEntry {
  json: string
  version: number
  status: GrantStatus
  reason?: string | undefined
}

/**
 * A {@link GrantStore} in this process's memory: for one instance, tests and examples. Grants
 * are kept as JSON, so what `get` returns never aliases what was saved. Nothing is shared with
 * other processes and nothing survives a restart — a fleet needs `ecis-consumer/postgres` or
 * `ecis-consumer/redis`.
 *
 * @example
 * ```ts
 * import { memoryGrantStore } from 'ecis-consumer'
 * const store = memoryGrantStore()
 * ```
 */
export function memoryGrantStore(): GrantStore {
  const grants = new Map<string, MemoryEntry>()
  const locks = new Map<string, { owner: string; expiresAt: number }>()
  const now = () => performance.now()
  const holds = (key: string, owner: string) => {
    const lock = locks.get(key)
    return lock !== undefined && lock.owner === owner && lock.expiresAt > now()
  }
  return grantStoreFrom({
    async read(key) {
      const entry = grants.get(key)
      return entry && { grant: entry.json, version: entry.version, status: entry.status, reason: entry.reason }
    },
    async write(key, json, ifVersion) {
      const current = grants.get(key)?.version ?? 0
      if (ifVersion !== undefined && ifVersion !== current) return undefined
      grants.set(key, { json, version: current + 1, status: 'active' })
      return current + 1
    },
    async markNeedsConsent(key, reason, ifVersion) {
      const entry = grants.get(key)
      if (!entry || (ifVersion !== undefined && ifVersion !== entry.version)) return undefined
      grants.set(key, { json: entry.json, version: entry.version + 1, status: 'needs_consent', reason })
      return entry.version + 1
    },
    async tryLock(key, owner, ttlMs) {
      if ((locks.get(key)?.expiresAt ?? 0) > now()) return false
      locks.set(key, { owner, expiresAt: now() + ttlMs })
      return true
    },
    async release(key, owner) {
      const held = holds(key, owner)
      if (locks.get(key)?.owner === owner) locks.delete(key)
      return held
    },
    async extend(key, owner, ms) {
      if (!holds(key, owner)) return false
      locks.set(key, { owner, expiresAt: now() + ms })
      return true
    },
    async remove(key) {
      return grants.delete(key)
    },
  })
}
