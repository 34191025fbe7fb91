/**
 * DPoP proofs (RFC 9449) for ECI calls: one key pair per consumer, a fresh proof per attempt,
 * bound to the access token through `ath`, and the provider's latest nonce when it asks for one.
 * @module
 */
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { importJWK } from 'jose/key/import'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { SigningAlgorithm } from './keys.js'
import { accessTokenHash, newJti, signCompactJws } from './sign.js'

/** Signs DPoP proofs with one key pair. @internal */
export interface DpopProver {
  readonly keyPair: CryptoKeyPair
  /** RFC 7638 thumbprint of the public key (`cnf.jkt`). */
  readonly jkt: string
  /** A proof for one HTTP request. */
  proof(input: { htm: string; htu: string; accessToken?: string; now: number }): Promise<string>
  /** Remembers a `DPoP-Nonce` the server at `url` sent. */
  observe(url: string, response: Response): void
}

const ALG_OF: Record<string, SigningAlgorithm> = { ECDSA: 'ES256', Ed25519: 'EdDSA' }

async function toKeyPair(key: true | CryptoKeyPair | JsonWebKey): Promise<CryptoKeyPair> {
  if (key === true) return generateKeyPair('ES256') as Promise<CryptoKeyPair>
  if (typeof (key as CryptoKeyPair).privateKey === 'object' && (key as CryptoKeyPair).publicKey)
    return key as CryptoKeyPair
  const jwk = key as JWK
  if (typeof jwk.d !== 'string')
    throw new EciConfigError(ErrorCode.INVALID_KEY, '`dpop.key` must be a private JWK or a CryptoKeyPair')
  const alg = jwk.kty === 'OKP' ? 'EdDSA' : 'ES256'
  const { d: _d, ...pub } = jwk
  try {
    return {
      privateKey: (await importJWK({ ...jwk, alg }, alg, { extractable: false })) as CryptoKey,
      publicKey: (await importJWK({ ...pub, alg }, alg, { extractable: true })) as CryptoKey,
    }
  } catch (cause) {
    throw new EciConfigError(ErrorCode.INVALID_KEY, '`dpop.key` cannot be imported as an ES256 or EdDSA key', { cause })
  }
}

/** Creates the prover for `dpop: true` or `dpop: { key }`. @internal */
export async function createDpopProver(key: true | CryptoKeyPair | JsonWebKey): Promise<DpopProver> {
  const keyPair = await toKeyPair(key)
  const alg = ALG_OF[keyPair.privateKey.algorithm.name]
  if (!alg) throw new EciConfigError(ErrorCode.INVALID_KEY, 'DPoP keys must be EC P-256 or Ed25519')
  const { kty, crv, x, y } = await exportJWK(keyPair.publicKey)
  const publicJwk = y === undefined ? { kty, crv, x } : { kty, crv, x, y }
  const jkt = await calculateJwkThumbprint(publicJwk as JWK)
  const nonces = new Map<string, string>()
  return {
    keyPair,
    jkt,
    async proof({ htm, htu, accessToken, now }) {
      const target = new URL(htu)
      const payload: Record<string, string> = { htm, htu: `${target.origin}${target.pathname}`, jti: newJti() }
      if (accessToken) payload.ath = await accessTokenHash(accessToken)
      const nonce = nonces.get(target.origin)
      if (nonce) payload.nonce = nonce
      const header = { alg, typ: 'dpop+jwt', jwk: publicJwk }
      return signCompactJws(header, { ...payload, iat: Math.floor(now) }, keyPair.privateKey, alg)
    },
    observe(url, response) {
      const nonce = response.headers.get('dpop-nonce')
      if (nonce) nonces.set(new URL(url).origin, nonce)
    },
  }
}
