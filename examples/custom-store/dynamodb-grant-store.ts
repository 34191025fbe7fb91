// A GrantStore on a DynamoDB-shaped table: one item per grant key, every change a conditional
// write (ConditionExpression), the lock a second item with an owner and an expiry. `table` is the
// narrow slice of a DynamoDB document client the store needs; the in-memory stand-in below has
// the same conditional-write semantics, so `grantStoreConformance` runs without AWS.
import {
  EciConfigError,
  EciError,
  ErrorCode,
  type Grant,
  type GrantLock,
  type GrantStore,
  type StoredGrant,
} from 'ecis-consumer'

/** An item: the grant as JSON, its version and status (a real table adds a TTL attribute). */
export interface Item {
  pk: string
  grant?: string
  version?: number
  status?: 'active' | 'needs_consent'
  reason?: string
  owner?: string
  expiresAt?: number
}

/** The calls the store makes; map them onto GetItem / PutItem / UpdateItem / DeleteItem. */
export interface ConditionalTable {
  get(pk: string): Promise<Item | undefined>
  /** Writes `item` only when `condition(current)` holds; `false` when the condition failed. */
  put(item: Item, condition: (current: Item | undefined) => boolean): Promise<boolean>
  /** Deletes only when `condition(current)` holds; `false` when it failed or nothing was there. */
  delete(pk: string, condition: (current: Item | undefined) => boolean): Promise<boolean>
}

const bad = (message: string) => new EciConfigError(ErrorCode.INVALID_OPTION, message)

function checkKey(key: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (typeof key !== 'string' || key.length === 0 || key.length > 512 || /[\u0000-\u001f\u007f]/.test(key)) {
    throw bad('A grant store key must be 1 to 512 characters without control characters')
  }
  return key
}

function checkMs(ms: unknown, name: string, min: number): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min || ms > 3_600_000) {
    throw bad(`${name} must be an integer number of milliseconds from ${min} to 3600000`)
  }
  return ms
}

function checkIfVersion(options: unknown): number | undefined {
  if (options === undefined) return undefined
  if (options === null || typeof options !== 'object') throw bad('Grant store options must be an object')
  const { ifVersion } = options as { ifVersion?: unknown }
  if (ifVersion === undefined) return undefined
  if (typeof ifVersion !== 'number' || !Number.isSafeInteger(ifVersion) || ifVersion < 0) {
    throw bad('ifVersion must be an integer ≥ 0')
  }
  return ifVersion
}

function checkGrant(grant: Grant): string {
  const g = grant as Partial<Grant> | null
  const token = /^[A-Za-z0-9\-._~+/]+=*$/
  const ok =
    !!g &&
    typeof g.issuer === 'string' &&
    typeof g.clientId === 'string' &&
    typeof g.resource === 'string' &&
    typeof g.accessToken === 'string' &&
    token.test(g.accessToken) &&
    typeof g.tokenType === 'string' &&
    Number.isFinite(g.expiresAt) &&
    Array.isArray(g.scopes) &&
    g.scopes.every((s) => typeof s === 'string') &&
    Array.isArray(g.accounts) &&
    g.accounts.every((a) => typeof a === 'string')
  if (!ok) throw bad('Not a Grant')
  const json = JSON.stringify(grant)
  if (json.length > 400_000) throw bad('A grant must serialise to at most 400 kB (a DynamoDB item limit)')
  return json
}

const conflict = () => new EciError(ErrorCode.GRANT_CONFLICT, 'The stored grant changed; read it again')
const lockKey = (key: string) => `lock#${key}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function dynamoGrantStore(table: ConditionalTable): GrantStore {
  const now = () => Date.now()
  const held = (owner: string) => (item: Item | undefined) => item?.owner === owner && (item.expiresAt ?? 0) > now()
  async function tryLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return table.put({ pk: lockKey(key), owner, expiresAt: now() + ttlMs }, (c) => !c || (c.expiresAt ?? 0) <= now())
  }
  return {
    async get(key) {
      const item = await table.get(checkKey(key))
      if (!item) return undefined
      let grant: Grant
      try {
        grant = JSON.parse(item.grant ?? '') as Grant
        checkGrant(grant)
      } catch (cause) {
        throw new EciError(ErrorCode.INTERNAL, 'The item under this key is not a stored Grant', { cause })
      }
      const stored: StoredGrant = { grant, version: item.version ?? 0, status: item.status ?? 'active' }
      if (item.status === 'needs_consent' && item.reason) stored.reason = item.reason as ErrorCode
      return stored
    },
    async put(key, grant, options) {
      const pk = checkKey(key)
      const ifVersion = checkIfVersion(options)
      const json = checkGrant(grant)
      for (;;) {
        const current = await table.get(pk)
        const version = (current?.version ?? 0) + 1
        if (ifVersion !== undefined && ifVersion !== (current?.version ?? 0)) throw conflict()
        // The condition is the version read: a writer that raced us makes this write fail.
        const wrote = await table.put(
          { pk, grant: json, version, status: 'active' },
          (c) => c?.version === current?.version,
        )
        if (wrote) return version
        if (ifVersion !== undefined) throw conflict()
      }
    },
    async markNeedsConsent(key, reason, options) {
      const pk = checkKey(key)
      const ifVersion = checkIfVersion(options)
      if (typeof reason !== 'string' || !Object.values(ErrorCode).includes(reason)) {
        throw bad('A needs-consent reason must be one of the ErrorCode values')
      }
      const current = await table.get(pk)
      if (!current || (ifVersion !== undefined && ifVersion !== current.version)) throw conflict()
      const version = (current.version ?? 0) + 1
      const next: Item = { ...current, version, status: 'needs_consent', reason }
      if (!(await table.put(next, (c) => c?.version === current.version))) throw conflict()
      return version
    },
    async lock(key, options) {
      const k = checkKey(key)
      if (options === null || typeof options !== 'object') throw bad('lock() needs options { ttlMs, waitMs }')
      const ttlMs = checkMs(options.ttlMs, 'ttlMs', 1)
      const waitMs = options.waitMs === undefined ? 0 : checkMs(options.waitMs, 'waitMs', 0)
      const owner = crypto.randomUUID()
      const deadline = now() + waitMs
      while (!(await tryLock(k, owner, ttlMs))) {
        if (now() >= deadline) return undefined
        await sleep(Math.min(25, Math.max(1, deadline - now())))
      }
      const lock: GrantLock = {
        release: () => table.delete(lockKey(k), held(owner)),
        async extend(ms) {
          const ttl = checkMs(ms, 'ms', 1)
          return table.put({ pk: lockKey(k), owner, expiresAt: now() + ttl }, held(owner))
        },
      }
      return lock
    },
    async delete(key) {
      return table.delete(checkKey(key), (c) => c !== undefined)
    },
  }
}

/** The stand-in: a Map with DynamoDB's conditional-write semantics (each write atomic). */
export function inMemoryTable(): ConditionalTable {
  const items = new Map<string, Item>()
  const copy = (item: Item | undefined) => (item ? { ...item } : undefined)
  return {
    async get(pk) {
      return copy(items.get(pk))
    },
    async put(item, condition) {
      await Promise.resolve() // a round trip: other writers run in between
      if (!condition(copy(items.get(item.pk)))) return false
      items.set(item.pk, { ...item })
      return true
    },
    async delete(pk, condition) {
      await Promise.resolve()
      if (!condition(copy(items.get(pk)))) return false
      return items.delete(pk)
    },
  }
}
