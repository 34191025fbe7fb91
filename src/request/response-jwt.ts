/**
 * Optional signed ECI responses (`Content-Type: application/jwt`), verified against the
 * provider's JWKS before their payload is parsed. A `jwks_uri` is read through jose's
 * `createRemoteJWKSet` — one fetch in flight at a time, a cooldown before an unknown `kid` may
 * fetch again, a cache — over the SDK's bounded `fetch` (one deadline, 256 KiB at most).
 * @module
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose'
import { createLocalJWKSet } from 'jose/jwks/local'
import { createRemoteJWKSet, customFetch } from 'jose/jwks/remote'
import { jwtVerify } from 'jose/jwt/verify'
import { boundedFetch } from '../http/bounded-fetch.js'

/** Where the provider's response-signing keys come from: a JWKS, or its `jwks_uri`. */
export type ProviderJwks = JSONWebKeySet | string | URL

/** A JWKS of a few keys is a few kB; refuse anything absurd. */
const MAX_JWKS_BYTES = 256 * 1024

const REGISTERED_CLAIMS = ['iss', 'aud', 'iat', 'exp', 'nbf', 'jti', 'sub']

/** Verifies signed responses against the provider's keys. */
export class ResponseVerifier {
  readonly #keys: JWTVerifyGetKey
  readonly #issuer: string | undefined
  readonly #clientId: string

  constructor(
    source: ProviderJwks,
    options: { fetch: typeof fetch; issuer?: string | undefined; clientId: string; timeoutMs: number },
  ) {
    this.#issuer = options.issuer
    this.#clientId = options.clientId
    this.#keys =
      typeof source === 'string' || source instanceof URL
        ? createRemoteJWKSet(new URL(source), {
            timeoutDuration: options.timeoutMs,
            [customFetch]: boundedFetch(options.fetch, { timeout: options.timeoutMs, maxBytes: MAX_JWKS_BYTES }),
          })
        : createLocalJWKSet(source)
  }

  /** Verifies `jwt` and returns its payload without the registered JWT claims. */
  async verify(jwt: string): Promise<Record<string, unknown>> {
    // The response must be addressed to this client (docs/protocol.md §6.3) and dated.
    const { payload } = await jwtVerify(jwt, this.#keys, {
      audience: this.#clientId,
      requiredClaims: ['aud', 'iat'],
      ...(this.#issuer ? { issuer: this.#issuer } : {}),
    })
    const data: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(payload)) if (!REGISTERED_CLAIMS.includes(k)) data[k] = v
    return data
  }
}
