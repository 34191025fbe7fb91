/**
 * The producer's public keys: the JWKS a utility is given at registration or reads from the
 * producer's `jwks_uri`, derived from the very keys the SDK signs with.
 * @see docs/keys.md · docs/registration.md
 * @module
 */
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { EciConfigError, ErrorCode } from '../errors.js'
import { badOption } from '../resolve.js'
import { bytesToBase64url } from './base64url.js'
import { resolveSigningKey, type SigningKeyInput } from './keys.js'
import { publicMembers } from './remote-signer.js'

/** A key {@link publicJwks} can publish: any signing key, or a `CryptoKeyPair`. */
export type PublishableKey = SigningKeyInput | CryptoKeyPair

/** A public JWK Set (RFC 7517 §5): each key with `kid`, `alg` and `use: "sig"`. */
export interface PublicJwks {
  keys: JWK[]
}

function invalidKey(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_KEY, message)
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  const pair = value as CryptoKeyPair | null
  return typeof pair?.privateKey === 'object' && typeof pair?.publicKey === 'object' && pair.publicKey !== null
}

async function entry(input: PublishableKey): Promise<JWK> {
  if (isKeyPair(input)) {
    const pub = publicMembers(await exportJWK(input.publicKey))
    const { alg, kid } = await resolveSigningKey(input.privateKey, undefined, await calculateJwkThumbprint(pub))
    return { ...pub, kid, alg, use: 'sig' }
  }
  const key = await resolveSigningKey(input)
  if (!key.publicJwk) {
    throw invalidKey(`The key "${key.kid}" is a non-extractable CryptoKey: give its CryptoKeyPair to publish it`)
  }
  return { ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' }
}

/**
 * The public JWKS of signing keys — private JWKs, PKCS8 PEMs, `CryptoKeyPair`s or
 * `RemoteSigner`s — in the order given, with the `kid` and `alg` the SDK signs with: what a
 * utility registers, or what the producer serves at its `jwks_uri`. No private member is copied.
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_KEY` for a key that cannot sign, a non-extractable
 *   `CryptoKey` given without its pair, or two keys with one `kid`.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @example
 * ```ts
 * import { publicJwks } from 'ecis-consumer'
 * const jwks = await publicJwks([privateJwk])   // { keys: [{ kty, crv, x, y, kid, alg, use: 'sig' }] }
 * ```
 */
export async function publicJwks(keys: readonly PublishableKey[]): Promise<PublicJwks> {
  if (!Array.isArray(keys) || keys.length === 0) throw invalidKey('publicJwks needs a non-empty array of keys')
  const entries = await Promise.all(keys.map(entry))
  const kids = new Set<string>()
  for (const { kid } of entries) {
    if (kids.has(kid as string)) throw invalidKey(`Two keys share the kid "${kid}"; every key needs its own`)
    kids.add(kid as string)
  }
  return { keys: entries }
}

/** Options of {@link jwksHandler}. */
export interface JwksHandlerOptions {
  /**
   * How long a provider may cache the JWKS, seconds (`Cache-Control: max-age`). Keep it well
   * under the time between publishing a new key and signing with it (docs/keys.md).
   * @default 300
   */
  maxAge?: number | undefined
}

/**
 * A `fetch`-style handler serving the JWKS of `keys` at the producer's `jwks_uri`: `GET` and
 * `HEAD` answer `application/jwk-set+json` with `Cache-Control`, an `ETag`, and 304 for a
 * matching `If-None-Match`; other methods 405. The keys are read once, here, so a bad key fails
 * at startup and each request is answered synchronously. Mount it on any router that takes
 * `(request: Request) => Response` (Hono, Next.js route handlers, Deno.serve, Bun.serve, workers).
 *
 * @throws {EciConfigError} as {@link publicJwks}, or for a bad `maxAge`
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks_uri)
 * @example
 * ```ts
 * import { jwksHandler } from 'ecis-consumer'
 * const serveJwks = await jwksHandler([privateJwk])
 * const response = serveJwks(request)   // 200 application/jwk-set+json
 * ```
 */
export async function jwksHandler(
  keys: readonly PublishableKey[],
  options: JwksHandlerOptions = {},
): Promise<(request: Request) => Response> {
  const maxAge = options?.maxAge ?? 300
  if (!Number.isInteger(maxAge) || maxAge < 0) throw badOption('`maxAge` must be a whole number of seconds ≥ 0')
  const body = JSON.stringify(await publicJwks(keys))
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))
  const etag = `"${bytesToBase64url(new Uint8Array(digest)).slice(0, 27)}"`
  const headers = {
    'content-type': 'application/jwk-set+json',
    'cache-control': `public, max-age=${maxAge}`,
    etag,
  }
  return (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } })
    }
    const match = request.headers.get('if-none-match')
    if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      return new Response(null, { status: 304, headers: { 'cache-control': headers['cache-control'], etag } })
    }
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers })
  }
}
