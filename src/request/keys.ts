/**
 * Signing keys: a private JWK, a PKCS8 PEM string, a WebCrypto `CryptoKey` or a
 * {@link RemoteSigner}, settled once into something that signs bytes. The JWS algorithm follows
 * from the key (EC P-256 → ES256, Ed25519 → EdDSA); RSA keys take `alg` (default PS256).
 *
 * @module
 */
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { importJWK } from 'jose/key/import'
import { EciConfigError, ErrorCode } from '../errors.js'
import { checkRemoteSigner, isRemoteSigner, publicMembers, type RemoteSigner, remoteSign } from './remote-signer.js'

/**
 * A signing key: a private JWK object, a PKCS8 PEM string, a private `CryptoKey`, or a
 * {@link RemoteSigner} for a key that stays in a KMS or HSM.
 */
export type SigningKeyInput = JWK | string | CryptoKey | RemoteSigner

/** JWS algorithms the SDK signs with. */
export const SIGNING_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const
/** A JWS algorithm the SDK signs with. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

/** A key ready to sign: imported once (or a remote signer checked once), algorithm and key id settled. */
export interface ResolvedSigningKey {
  readonly alg: SigningAlgorithm
  readonly kid: string
  /** The JWS signature of `data` (r‖s for ECDSA). */
  readonly sign: (data: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>
  /** The public key's members, when known without exporting (JWKs, remote signers, extractable keys). */
  readonly publicJwk: JWK | undefined
}

const EC_ALG: Record<string, SigningAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }

function invalidKey(message: string, cause?: unknown): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_KEY, message, cause === undefined ? undefined : { cause })
}

function checkAlg(alg: string | undefined): SigningAlgorithm | undefined {
  if (alg === undefined) return undefined
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw invalidKey(`Unsupported signing algorithm "${alg}"; use one of ${SIGNING_ALGORITHMS.join(', ')}`)
  }
  return alg as SigningAlgorithm
}

function algForJwk(jwk: JWK, requested: SigningAlgorithm | undefined): SigningAlgorithm {
  const fromKey = checkAlg(jwk.alg)
  const natural =
    jwk.kty === 'EC'
      ? EC_ALG[jwk.crv ?? '']
      : jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
        ? 'EdDSA'
        : jwk.kty === 'RSA'
          ? (requested ?? fromKey ?? 'PS256')
          : undefined
  if (!natural)
    throw invalidKey(`Cannot sign with a JWK of kty "${jwk.kty ?? '?'}"${jwk.crv ? ` and crv "${jwk.crv}"` : ''}`)
  const alg = requested ?? fromKey ?? natural
  const family = (a: string) => (a === 'Ed25519' ? 'EdDSA' : a.slice(0, 2))
  if (family(alg) !== family(natural) || (jwk.kty === 'EC' && alg !== natural)) {
    throw invalidKey(`Algorithm ${alg} does not fit this ${jwk.kty} key (use ${natural})`)
  }
  return alg
}

function algForCryptoKey(key: CryptoKey, requested: SigningAlgorithm | undefined): SigningAlgorithm {
  const algo = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } }
  const hashBits = algo.hash?.name.replace('SHA-', '') ?? '256'
  switch (algo.name) {
    case 'ECDSA': {
      const alg = EC_ALG[algo.namedCurve ?? '']
      if (alg && (!requested || requested === alg)) return alg
      break
    }
    case 'Ed25519':
      if (!requested || requested === 'EdDSA' || requested === 'Ed25519') return requested ?? 'EdDSA'
      break
    case 'RSA-PSS':
      if (!requested || requested === `PS${hashBits}`) return `PS${hashBits}` as SigningAlgorithm
      break
    case 'RSASSA-PKCS1-v1_5':
      if (!requested || requested === `RS${hashBits}`) return `RS${hashBits}` as SigningAlgorithm
      break
  }
  throw invalidKey(`Cannot sign ${requested ?? 'a request JWT'} with a ${algo.name} CryptoKey`)
}

/** The public JWK of an extractable private key, `undefined` for a non-extractable one. */
async function publicOf(key: CryptoKey): Promise<JWK | undefined> {
  return key.extractable ? publicMembers(await exportJWK(key)) : undefined
}

async function thumbprintKid(publicJwk: JWK | undefined): Promise<string> {
  if (!publicJwk) {
    throw invalidKey('A non-extractable CryptoKey needs an explicit `kid` (its thumbprint cannot be computed)')
  }
  return calculateJwkThumbprint(publicJwk)
}

/** WebCrypto's parameters for each JWS algorithm. */
export type SignParams = AlgorithmIdentifier | RsaPssParams | EcdsaParams

/** WebCrypto's sign/verify parameters for a JWS algorithm. */
export function webCryptoParams(alg: SigningAlgorithm): SignParams {
  if (alg.startsWith('ES')) return { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` }
  if (alg === 'EdDSA' || alg === 'Ed25519') return { name: 'Ed25519' }
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 }
  return { name: 'RSASSA-PKCS1-v1_5' }
}

/** Shortest RSA modulus accepted, in bits (RFC 7518 §3.3, §3.5). */
const MIN_RSA_BITS = 2048

/** The resolved key, refused when it is an RSA key too short to sign with. */
function settled(key: CryptoKey, alg: SigningAlgorithm, kid: string, publicJwk: JWK | undefined): ResolvedSigningKey {
  const bits = (key.algorithm as { modulusLength?: number }).modulusLength
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    throw invalidKey(`An RSA signing key needs at least ${MIN_RSA_BITS} bits (this one has ${bits})`)
  }
  const params = webCryptoParams(alg)
  const sign = async (data: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.sign(params, key, data))
  return { alg, kid, sign, publicJwk }
}

/** A remote signer checked once: its algorithm fits its public key, its first signature verifies. */
async function remote(signer: RemoteSigner, requested: SigningAlgorithm | undefined): Promise<ResolvedSigningKey> {
  const { kid, publicJwk, timeoutMs } = checkRemoteSigner(signer)
  const own = checkAlg(signer.alg)
  if (!own) throw invalidKey(`The remote signer "${kid}" needs its \`alg\``)
  if (requested && requested !== own) throw invalidKey(`The remote signer "${kid}" signs ${own}, not ${requested}`)
  const alg = algForJwk(publicJwk, own)
  let verifier: CryptoKey
  try {
    verifier = (await importJWK({ ...publicJwk, alg }, alg)) as CryptoKey
  } catch (cause) {
    throw invalidKey(`The remote signer "${kid}" has a publicJwk that cannot be imported for ${alg}`, cause)
  }
  const params = webCryptoParams(alg)
  const verify = (signature: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>) =>
    crypto.subtle.verify(params, verifier, signature, data)
  return { alg, kid, publicJwk, sign: remoteSign(signer, { kid, alg, timeoutMs, verify }) }
}

/** WebCrypto's import parameters for a JWS algorithm. */
function importParams(alg: SigningAlgorithm): AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams {
  if (alg.startsWith('ES')) return { name: 'ECDSA', namedCurve: `P-${alg === 'ES512' ? 521 : alg.slice(2)}` }
  if (alg === 'EdDSA' || alg === 'Ed25519') return { name: 'Ed25519' }
  return { name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${alg.slice(2)}` }
}

/** The DER bytes of a PKCS8 PEM. @throws when the base64 is malformed */
function pemBytes(pem: string): Uint8Array<ArrayBuffer> {
  const binary = atob(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

async function resolve(input: SigningKeyInput, alg?: string, kid?: string): Promise<ResolvedSigningKey> {
  const requested = checkAlg(alg)
  if (isRemoteSigner(input)) return remote(input, requested)
  if (typeof input === 'string') {
    if (!input.includes('-----BEGIN PRIVATE KEY-----')) {
      throw invalidKey('A string signing key must be a PKCS8 PEM ("-----BEGIN PRIVATE KEY-----")')
    }
    const candidates: SigningAlgorithm[] = requested ? [requested] : ['ES256', 'EdDSA', 'PS256', 'ES384', 'ES512']
    let lastError: unknown
    for (const candidate of candidates) {
      try {
        const der = pemBytes(input)
        const key = await crypto.subtle.importKey('pkcs8', der, importParams(candidate), kid === undefined, ['sign'])
        const publicJwk = await publicOf(key)
        return settled(key, candidate, kid ?? (await thumbprintKid(publicJwk)), publicJwk)
      } catch (error) {
        lastError = error
      }
    }
    throw invalidKey(`The PKCS8 PEM key cannot sign with ${candidates.join(' or ')}`, lastError)
  }
  if (typeof CryptoKey !== 'undefined' && input instanceof CryptoKey) {
    if (input.type !== 'private' || !input.usages.includes('sign')) {
      throw invalidKey('The CryptoKey must be a private key with the "sign" usage')
    }
    const chosen = algForCryptoKey(input, requested)
    const publicJwk = await publicOf(input)
    return settled(input, chosen, kid ?? (await thumbprintKid(publicJwk)), publicJwk)
  }
  if (input === null || typeof input !== 'object' || typeof (input as JWK).kty !== 'string') {
    throw invalidKey('The signing key must be a private JWK, a PKCS8 PEM string, a CryptoKey or a RemoteSigner')
  }
  const jwk = input as JWK
  if (typeof jwk.d !== 'string') throw invalidKey('The JWK is a public key; a private key (with "d") is needed to sign')
  const chosen = algForJwk(jwk, requested)
  try {
    const key = (await importJWK({ ...jwk, alg: chosen }, chosen, { extractable: false })) as CryptoKey
    const publicJwk = publicMembers(jwk)
    return settled(key, chosen, kid ?? jwk.kid ?? (await calculateJwkThumbprint(publicJwk)), publicJwk)
  } catch (error) {
    if (error instanceof EciConfigError) throw error
    throw invalidKey(`The JWK cannot be imported for ${chosen}`, error)
  }
}

const byObject = new WeakMap<object, Map<string, Promise<ResolvedSigningKey>>>()
const byPem = new Map<string, Map<string, Promise<ResolvedSigningKey>>>()
const PEM_CACHE_LIMIT = 32

/**
 * Imports a signing key once: later calls with the same key object (or PEM string), `alg` and
 * `kid` return the same promise, so per-request signing never re-imports.
 * @throws {EciConfigError} `ERR_ECI_INVALID_KEY` when the key cannot sign.
 */
export function resolveSigningKey(input: SigningKeyInput, alg?: string, kid?: string): Promise<ResolvedSigningKey> {
  let perKey: Map<string, Promise<ResolvedSigningKey>> | undefined
  if (typeof input === 'string') {
    perKey = byPem.get(input)
    if (!perKey) {
      if (byPem.size >= PEM_CACHE_LIMIT) byPem.delete(byPem.keys().next().value as string)
      perKey = new Map()
      byPem.set(input, perKey)
    }
  } else if (input !== null && typeof input === 'object') {
    perKey = byObject.get(input)
    if (!perKey) {
      perKey = new Map()
      byObject.set(input, perKey)
    }
  } else {
    return Promise.reject(
      invalidKey('The signing key must be a private JWK, a PKCS8 PEM string, a CryptoKey or a RemoteSigner'),
    )
  }
  const slot = `${alg ?? ''}\u0000${kid ?? ''}`
  let pending = perKey.get(slot)
  if (!pending) {
    pending = resolve(input, alg, kid)
    // A failed import is not cached: the caller may fix the environment and retry.
    pending.catch(() => perKey.delete(slot))
    perKey.set(slot, pending)
  }
  return pending
}
