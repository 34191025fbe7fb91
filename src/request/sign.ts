/**
 * Request JWTs exactly to the ECIS wire profile v1 (docs/protocol.md §Request), signed with
 * WebCrypto on every runtime: the header segment is made once per key, the claims take one
 * `JSON.stringify`, and `jti`s come from a pooled random buffer.
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'
import { checkRequestClaims, type EciRequestClaims } from '../protocol/claims.js'
import { bytesToBase64url, textToBase64url } from './base64url.js'
import { type ResolvedSigningKey, resolveSigningKey, type SigningKeyInput } from './keys.js'

/** The JWS `typ` of an ECIS request JWT. */
export const REQUEST_JWT_TYPE = 'eci-request+jwt'
/** Default lifetime of a request JWT, in seconds. */
export const DEFAULT_REQUEST_JWT_TTL = 60
/** Longest lifetime the profile allows, in seconds. */
export const MAX_REQUEST_JWT_TTL = 300

/** Input of {@link signRequestJwt}. */
export interface SignRequestJwtOptions {
  /** Private JWK, PKCS8 PEM, private `CryptoKey` or a `RemoteSigner` (KMS, HSM). Imported once per key object and reused. */
  key: SigningKeyInput
  /** Key id for the JWS header. @default the JWK's `kid`, else its RFC 7638 thumbprint */
  kid?: string | undefined
  /** JWS algorithm. @default from the key: ES256 for P-256, EdDSA for Ed25519, PS256 for RSA */
  alg?: string | undefined
  /** The ECI Consumer's OAuth `client_id`; becomes `iss`. */
  clientId: string
  /** The provider's `eci_resource`; becomes `aud`. */
  audience: string
  /** The access token the request is sent with; bound through `ath`. Never stored. */
  accessToken: string
  /** The ECIS claims: `eci_request_type`, `system_account_id`, `system_invoice_id`. */
  claims: EciRequestClaims
  /**
   * Lifetime in seconds (1–300).
   * @default 60
   */
  expiresIn?: number | undefined
  /**
   * Current time in epoch seconds, for callers that correct clock skew.
   * @default the local clock
   */
  now?: number | undefined
}

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, message)
}

const encoder = new TextEncoder()

/** `ath`: base64url of the SHA-256 of the access token (RFC 9449 §4.2 style binding). */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(accessToken))
  return bytesToBase64url(new Uint8Array(digest))
}

/** Random bytes drawn 4 KiB at a time; every byte is handed out once. */
const pool = new Uint8Array(4096)
let poolOffset = pool.length

/** A fresh `jti`: 128 random bits, base64url. */
export function newJti(): string {
  if (poolOffset + 16 > pool.length) {
    crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytesToBase64url(bytes)
}

/** The request-JWT header segment of each key, made once per key. */
const headers = new WeakMap<ResolvedSigningKey, string>()

function headerOf(key: ResolvedSigningKey): string {
  let header = headers.get(key)
  if (!header) {
    header = textToBase64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: REQUEST_JWT_TYPE }))
    headers.set(key, header)
  }
  return header
}

/** What {@link signWithResolvedKey} signs. @internal */
export interface SignInput {
  clientId: string
  audience: string
  ath: string
  claims: EciRequestClaims
  expiresIn: number
  now: number
}

/** The JWS signing input: header segment, `.`, claims segment. */
function signingInput(key: ResolvedSigningKey, input: SignInput): string {
  const { clientId, audience, ath, claims, expiresIn, now } = input
  const payload = JSON.stringify({
    iss: clientId,
    aud: audience,
    iat: now,
    exp: now + expiresIn,
    jti: newJti(),
    ath,
    eci_request_type: claims.eci_request_type,
    system_account_id: claims.system_account_id,
    system_invoice_id: claims.system_invoice_id,
  })
  return `${headerOf(key)}.${textToBase64url(payload)}`
}

/** `data` (a JWS signing input) with its signature appended. */
async function withSignature(data: string, key: ResolvedSigningKey): Promise<string> {
  const signature = await key.sign(encoder.encode(data))
  return `${data}.${bytesToBase64url(signature)}`
}

/** Signs with an already resolved key (WebCrypto or a remote signer); the ECI client's hot path. @internal */
export function signWithResolvedKey(key: ResolvedSigningKey, input: SignInput): Promise<string> {
  return withSignature(signingInput(key, input), key)
}

/** A compact JWS of `header` and `payload` (JSON objects): client assertions, DPoP proofs. @internal */
export function signCompactJws(header: object, payload: object, key: ResolvedSigningKey): Promise<string> {
  const data = `${textToBase64url(JSON.stringify(header))}.${textToBase64url(JSON.stringify(payload))}`
  return withSignature(data, key)
}

/** Checks `expiresIn`; returns the lifetime to use. @internal */
export function checkExpiresIn(expiresIn: unknown, name = 'expiresIn'): number {
  if (expiresIn === undefined) return DEFAULT_REQUEST_JWT_TTL
  if (
    typeof expiresIn !== 'number' ||
    !Number.isInteger(expiresIn) ||
    expiresIn < 1 ||
    expiresIn > MAX_REQUEST_JWT_TTL
  ) {
    throw bad(`\`${name}\` must be a whole number of seconds from 1 to ${MAX_REQUEST_JWT_TTL}`)
  }
  return expiresIn
}

/**
 * Signs an ECIS request JWT: header `{ alg, kid, typ: "eci-request+jwt" }`, claims `iss`,
 * `aud`, `iat`, `exp`, `jti` (128 random bits, new each call), `ath` and the ECIS claims.
 *
 * @throws {EciConfigError} for a bad key, claim or lifetime.
 * @see docs/protocol.md
 * @example
 * ```ts
 * const jwt = await signRequestJwt({
 *   key: privateJwk,
 *   clientId: 'acme-solar',
 *   audience: 'https://api.utility.example/eci/v1',
 *   accessToken,
 *   claims: { eci_request_type: 'invoice', system_account_id: '0018-102', system_invoice_id: '09183eef267' },
 * })
 * ```
 */
export async function signRequestJwt(options: SignRequestJwtOptions): Promise<string> {
  if (options === null || typeof options !== 'object') throw bad('signRequestJwt needs an options object')
  const { clientId, audience, accessToken } = options
  if (typeof clientId !== 'string' || clientId.length === 0) throw bad('`clientId` must be a non-empty string')
  if (typeof audience !== 'string' || audience.length === 0) throw bad('`audience` must be a non-empty string')
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw bad('`accessToken` must be a non-empty string')
  const claims = checkRequestClaims(options.claims)
  const expiresIn = checkExpiresIn(options.expiresIn)
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (!Number.isFinite(now)) throw bad('`now` must be epoch seconds')
  const key = await resolveSigningKey(options.key, options.alg, options.kid)
  return signWithResolvedKey(key, {
    clientId,
    audience,
    ath: await accessTokenHash(accessToken),
    claims,
    expiresIn,
    now: Math.floor(now),
  })
}
