/**
 * Grants encrypted at rest: a {@link GrantStore} wrapper that seals each grant's JSON with
 * AES-256-GCM (WebCrypto) before the wrapped store sees it. Each record names the key that
 * sealed it; the first key seals, every key opens, so keys rotate without a migration (a record
 * is sealed again under the first key at its next write). Versions, status, reasons and locks
 * stay the wrapped store's own, in the clear, so compare-and-set and the refresh lock work as
 * before.
 * @see docs/security.md · docs/scaling.md
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'
import { bytesToBase64url, textToBase64url } from '../request/base64url.js'
import { badOption } from '../resolve.js'
import { assertGrant, type Grant } from './grant.js'
import type { GrantStore, StoredGrant } from './store.js'
import { serializeGrant } from './store-rules.js'

/** One grant-encryption key: a 256-bit AES key and the id records name it by. */
export interface GrantEncryptionKey {
  /** The key id written into each record it seals (not secret; e.g. `grants-2026-01`). */
  id: string
  /** 32 random bytes, or an AES-GCM `CryptoKey` of 256 bits with `encrypt` and `decrypt`. */
  key: Uint8Array | CryptoKey
}

/** Options of {@link encryptedGrantStore}. */
export interface EncryptedGrantStoreOptions {
  /** `[newest, …older]`: the first key seals every write; each key opens the records it sealed. */
  keys: readonly [GrantEncryptionKey, ...GrantEncryptionKey[]]
  /**
   * Read grants stored before encryption was turned on, as they are (each is sealed at its next
   * write). Without it such a record is an `ERR_ECI_GRANT_DECRYPTION` error.
   * @default false
   */
  allowPlaintext?: boolean | undefined
}

/** What the wrapped store keeps: a Grant-shaped record whose only payload is the sealed grant. */
const SEALED_ISSUER = 'urn:ecis-consumer:sealed-grant'
const SEALED_FORMAT = 'A256GCMv1'
/** The placeholder members of a sealed record (the wrapped store checks that it holds a Grant). */
const SEALED_SHAPE = {
  issuer: SEALED_ISSUER,
  clientId: 'sealed',
  resource: SEALED_ISSUER,
  accessToken: 'sealed',
  tokenType: 'sealed',
  expiresAt: 0,
} as const

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

function unreadable(message: string, cause?: unknown): EciConfigError {
  return new EciConfigError(ErrorCode.GRANT_DECRYPTION, message, cause === undefined ? undefined : { cause })
}

/** The keys checked and imported once (lazily: the wrapper is made synchronously). */
/** The first key's id, and each key by id (imported on first use). */
interface Keyring {
  readonly first: string
  key(id: string): Promise<CryptoKey> | undefined
}

function keyring(keys: unknown): Keyring {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw badOption('encryptedGrantStore needs `keys`: [{ id, key }, …]')
  }
  const byId = new Map<string, () => Promise<CryptoKey>>()
  for (const entry of keys as GrantEncryptionKey[]) {
    const { id, key } = entry ?? ({} as GrantEncryptionKey)
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
      throw badOption('Each key needs an `id` of 1 to 128 characters')
    }
    if (byId.has(id)) throw badOption(`Two keys share the id "${id}"`)
    const usable =
      key instanceof Uint8Array
        ? key.length === 32
        : typeof CryptoKey !== 'undefined' &&
          key instanceof CryptoKey &&
          (key.algorithm as AesKeyAlgorithm).name === 'AES-GCM' &&
          (key.algorithm as AesKeyAlgorithm).length === 256 &&
          key.usages.includes('encrypt') &&
          key.usages.includes('decrypt')
    if (!usable) throw badOption(`The key "${id}" must be 32 bytes or an AES-GCM 256-bit CryptoKey (encrypt, decrypt)`)
    const raw = key instanceof Uint8Array ? Uint8Array.from(key) : undefined
    let imported: Promise<CryptoKey> | undefined
    byId.set(id, () => {
      imported ??= raw
        ? crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
        : Promise.resolve(key as CryptoKey)
      return imported
    })
  }
  return { first: (keys[0] as GrantEncryptionKey).id, key: (id) => byId.get(id)?.() }
}

/** What binds a sealed record to its place: the format, the key id and the grant store key. */
const aad = (keyId: string, storeKey: string) => encoder.encode(`${SEALED_FORMAT}\n${keyId}\n${storeKey}`)

/** The Grant-shaped record that holds `grant` sealed under the first key. */
async function seal(ring: Keyring, storeKey: string, grant: Grant): Promise<Grant> {
  const json = serializeGrant(grant)
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const key = (await ring.key(ring.first)) as CryptoKey
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(ring.first, storeKey) },
    key,
    encoder.encode(json),
  )
  const record = [
    SEALED_FORMAT,
    textToBase64url(ring.first),
    bytesToBase64url(iv),
    bytesToBase64url(new Uint8Array(sealed)),
  ]
  return { ...SEALED_SHAPE, scopes: [], accounts: [record.join('.')] }
}

/** A stored record opened: the grant it seals, or a plaintext grant when allowed. */
async function open(
  ring: Keyring,
  allowPlaintext: boolean,
  storeKey: string,
  stored: StoredGrant,
): Promise<StoredGrant> {
  const g = stored.grant
  if (g.issuer !== SEALED_ISSUER) {
    if (allowPlaintext) return stored
    throw unreadable('The grant under this key is stored unencrypted; pass `allowPlaintext: true` while migrating')
  }
  const [format, kidText, ivText, sealedText] = (g.accounts[0] ?? '').split('.')
  let keyId = ''
  try {
    keyId = decoder.decode(fromBase64url(kidText as string))
  } catch {}
  const key = format === SEALED_FORMAT && ivText && sealedText ? ring.key(keyId) : undefined
  if (!key) throw unreadable(`The grant under this key was sealed with key "${keyId}", which is not in \`keys\``)
  let json: string
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64url(ivText as string), additionalData: aad(keyId, storeKey) },
      await key,
      fromBase64url(sealedText as string),
    )
    json = decoder.decode(plain)
  } catch (cause) {
    throw unreadable(
      `The grant under this key does not decrypt with key "${keyId}": it was altered, or copied from another grant key`,
      cause,
    )
  }
  const grant = assertGrant(JSON.parse(json))
  return { ...stored, grant }
}

/**
 * Wraps `store` so that grants are encrypted at rest (AES-256-GCM, a fresh 96-bit IV per write,
 * the record bound to its key id and grant key). Tokens, account ids and every other grant field
 * are sealed; the wrapped store sees a placeholder Grant whose `accounts[0]` holds the sealed
 * JSON. Works over any store: memory, `ecis-consumer/postgres`, `ecis-consumer/redis`, your own.
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for bad keys (at once); its calls reject
 *   with `ERR_ECI_GRANT_DECRYPTION` for a record sealed under a key id not in `keys`, a record
 *   altered or moved to another grant key, or a plaintext record without `allowPlaintext`.
 * @see https://www.rfc-editor.org/rfc/rfc5116 (AEAD)
 * @example
 * ```ts
 * import { encryptedGrantStore, memoryGrantStore } from 'ecis-consumer'
 * const key = crypto.getRandomValues(new Uint8Array(32))   // in production: from your secret manager
 * const store = encryptedGrantStore(memoryGrantStore(), { keys: [{ id: 'grants-2026', key }] })
 * ```
 */
export function encryptedGrantStore(store: GrantStore, options: EncryptedGrantStoreOptions): GrantStore {
  if (options === null || typeof options !== 'object') throw badOption('encryptedGrantStore needs { keys }')
  const ring = keyring(options.keys)
  const allowPlaintext = options.allowPlaintext === true

  return {
    async get(key) {
      const stored = await store.get(key)
      return stored && open(ring, allowPlaintext, key, stored)
    },
    async put(key, grant, putOptions) {
      return store.put(key, await seal(ring, key, grant), putOptions)
    },
    markNeedsConsent: (key, reason, markOptions) => store.markNeedsConsent(key, reason, markOptions),
    lock: (key, lockOptions) => store.lock(key, lockOptions),
    delete: (key) => store.delete(key),
  }
}
