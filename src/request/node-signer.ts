/**
 * Synchronous JWS signing with `node:crypto`, for Node only. WebCrypto signs on the thread pool,
 * which costs a round trip per signature; when few requests are in flight, signing EC and
 * Ed25519 keys on the calling thread is cheaper. (With many in flight it is not: the main thread
 * then does the ECDSA work the pool would do in parallel, so the caller decides per signature.)
 *
 * It reaches `node:crypto` through `nodeBuiltin` (only on Node), so the core stays
 * Web-APIs-only — elsewhere it finds no Node and WebCrypto signs. RSA keys always sign through
 * WebCrypto (too slow for the calling thread).
 * @module
 */

import { nodeBuiltin } from '../node-builtin.js'
import { bytesToBase64url } from './base64url.js'
import type { SigningAlgorithm } from './keys.js'
import { signingThread } from './signing-thread.js'

/** Signs a JWS signing input on the calling thread; returns the base64url signature. */
export type InlineSign = (signingInput: string) => string
/** Signs a JWS signing input on another thread; resolves to the base64url signature. */
export type PooledSign = (signingInput: string) => Promise<string>

/** The slice of Node's `KeyObject` used here. */
interface NodeKeyObject {
  readonly asymmetricKeyType?: string
  readonly asymmetricKeyDetails?: { namedCurve?: string }
}
/** The slice of `node:crypto` used here (typed locally: the core compiles without Node types). */
interface NodeCrypto {
  createPrivateKey(key: string | { key: object; format: 'jwk' }): NodeKeyObject
  KeyObject: { from(key: CryptoKey): NodeKeyObject }
  /** Node's `Buffer` is a `Uint8Array`; ECDSA signatures come DER-encoded. */
  sign(algorithm: string | null, data: Uint8Array, key: NodeKeyObject): Uint8Array
}

let cached: NodeCrypto | null | undefined
function nodeCrypto(): NodeCrypto | undefined {
  if (cached === undefined) cached = nodeBuiltin<NodeCrypto>('crypto') ?? null
  return cached ?? undefined
}

/** Node's name for each curve of the EC algorithms, and the digest each signs with. */
const EC: Partial<Record<SigningAlgorithm, { curve: string; hash: string; size: number }>> = {
  ES256: { curve: 'prime256v1', hash: 'sha256', size: 32 },
  ES384: { curve: 'secp384r1', hash: 'sha384', size: 48 },
  ES512: { curve: 'secp521r1', hash: 'sha512', size: 66 },
}

/** Reads one DER length at `at`; returns [length, next offset]. */
function derLength(der: Uint8Array, at: number): [number, number] {
  const first = der[at] as number
  if (first < 0x80) return [first, at + 1]
  const bytes = first & 0x7f
  let length = 0
  for (let i = 1; i <= bytes; i++) length = (length << 8) | (der[at + i] as number)
  return [length, at + 1 + bytes]
}

/**
 * A DER `ECDSA-Sig-Value` (`SEQUENCE { r INTEGER, s INTEGER }`) as JWS wants it (RFC 7518
 * §3.4): r and s as fixed-size big-endian integers, concatenated. Node signs DER fastest (its
 * `dsaEncoding: 'ieee-p1363'` option costs a key preparation per call).
 */
export function derToJose(der: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size * 2)
  let [, at] = derLength(der, 1) // skip SEQUENCE tag and length
  for (let part = 0; part < 2; part++) {
    if (der[at] !== 0x02) throw new TypeError('Malformed ECDSA signature')
    const [length, start] = derLength(der, at + 1)
    let from = start
    let n = length
    while (n > size && der[from] === 0) {
      from++
      n--
    }
    if (n > size) throw new TypeError('Malformed ECDSA signature')
    out.set(der.subarray(from, from + n), part * size + size - n)
    at = start + length
  }
  return out
}

function keyObject(c: NodeCrypto, input: object | string | CryptoKey): NodeKeyObject | undefined {
  if (typeof input === 'string') return c.createPrivateKey(input)
  if (typeof CryptoKey !== 'undefined' && input instanceof CryptoKey) {
    // A non-extractable CryptoKey stays inside WebCrypto (Node deprecates exporting it).
    return input.extractable ? c.KeyObject.from(input) : undefined
  }
  return c.createPrivateKey({ key: input, format: 'jwk' })
}

/** Scratch space for the signing input; request JWT inputs are well under 4 KiB. */
let scratch = new Uint8Array(4096)
const encoder = new TextEncoder()

/** The two ways `node:crypto` signs one key: on the calling thread, or on the signing thread. */
export interface NodeSigners {
  readonly inline: InlineSign
  /** Signs on the process's signing thread, batched; rejects when that thread is unavailable. */
  readonly pooled: PooledSign
}

/**
 * Node signers for `input` (the private JWK, PEM or CryptoKey the SDK resolved for `alg`), or
 * `undefined` when this is not Node, the key is RSA, or Node cannot take the key.
 * @internal
 */
export function nodeSigners(input: object | string | CryptoKey, alg: SigningAlgorithm): NodeSigners | undefined {
  const c = nodeCrypto()
  if (!c) return undefined
  const ec = EC[alg]
  const eddsa = alg === 'EdDSA' || alg === 'Ed25519'
  if (!ec && !eddsa) return undefined
  let key: NodeKeyObject | undefined
  try {
    key = keyObject(c, input)
  } catch {
    return undefined
  }
  if (!key) return undefined
  // The key must be the one WebCrypto would sign with: same type, same curve.
  if (ec && (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== ec.curve)) return undefined
  if (eddsa && key.asymmetricKeyType !== 'ed25519') return undefined
  const signer = key
  const hash = ec ? ec.hash : null
  /** JWS form of what `node:crypto` returns: ECDSA's DER as r‖s, Ed25519's bytes as they are. */
  const jose = (signature: Uint8Array) => bytesToBase64url(ec ? derToJose(signature, ec.size) : signature)
  return {
    inline(signingInput) {
      if (signingInput.length * 3 > scratch.length) scratch = new Uint8Array(signingInput.length * 3)
      const { written } = encoder.encodeInto(signingInput, scratch)
      return jose(c.sign(hash, scratch.subarray(0, written), signer))
    },
    pooled(signingInput) {
      const thread = signingThread()
      if (!thread) return Promise.reject(new Error('no signing thread'))
      return thread.sign(signer, hash, signingInput).then(jose)
    },
  }
}
