/**
 * Optional signed ECI responses (`Content-Type: application/jwt`), verified against the
 * provider's JWKS before their payload is parsed.
 * @module
 */
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose'
import { createLocalJWKSet } from 'jose/jwks/local'
import { jwtVerify } from 'jose/jwt/verify'
import { EciHttpError, ErrorCode } from '../errors.js'
import { readBodyText } from './read-body.js'

/** Where the provider's response-signing keys come from: a JWKS, or its `jwks_uri`. */
export type ProviderJwks = JSONWebKeySet | string | URL

/** A JWKS of a few keys is a few kB; refuse anything absurd. */
const MAX_JWKS_BYTES = 256 * 1024

const REGISTERED_CLAIMS = ['iss', 'aud', 'iat', 'exp', 'nbf', 'jti', 'sub']

/** Verifies signed responses; fetches the JWKS lazily and once more when a `kid` is unknown. */
export class ResponseVerifier {
  readonly #source: ProviderJwks
  readonly #fetch: typeof fetch
  readonly #issuer: string | undefined
  readonly #clientId: string
  #keys: Promise<JWTVerifyGetKey> | undefined

  readonly #timeoutMs: number

  constructor(
    source: ProviderJwks,
    options: { fetch: typeof fetch; issuer?: string | undefined; clientId: string; timeoutMs: number },
  ) {
    this.#source = source
    this.#fetch = options.fetch
    this.#issuer = options.issuer
    this.#clientId = options.clientId
    this.#timeoutMs = options.timeoutMs
  }

  async #load(): Promise<JWTVerifyGetKey> {
    if (typeof this.#source !== 'string' && !(this.#source instanceof URL)) return createLocalJWKSet(this.#source)
    const res = await this.#fetch(String(this.#source), {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.#timeoutMs),
    })
    if (!res.ok) {
      throw new EciHttpError(ErrorCode.INVALID_RESPONSE, `Fetching the provider JWKS failed: HTTP ${res.status}`, {
        status: res.status,
      })
    }
    const text = await readBodyText(res, {
      timeoutMs: this.#timeoutMs,
      maxBytes: MAX_JWKS_BYTES,
      what: 'The JWKS fetch',
    })
    let jwks: JSONWebKeySet
    try {
      jwks = JSON.parse(text) as JSONWebKeySet
    } catch (cause) {
      throw new EciHttpError(ErrorCode.INVALID_RESPONSE, 'The provider JWKS is not valid JSON', {
        status: res.status,
        cause,
      })
    }
    return createLocalJWKSet(jwks)
  }

  #keySet(reload = false): Promise<JWTVerifyGetKey> {
    if (!this.#keys || reload) {
      this.#keys = this.#load()
      this.#keys.catch(() => {
        this.#keys = undefined
      })
    }
    return this.#keys
  }

  /** Verifies `jwt` and returns its payload without the registered JWT claims. */
  async verify(jwt: string): Promise<Record<string, unknown>> {
    let payload: Record<string, unknown>
    try {
      payload = (await this.#attempt(jwt, false)) as Record<string, unknown>
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error
      payload = (await this.#attempt(jwt, true)) as Record<string, unknown>
    }
    const data: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(payload)) if (!REGISTERED_CLAIMS.includes(k)) data[k] = v
    return data
  }

  async #attempt(jwt: string, reload: boolean) {
    const keys = await this.#keySet(reload)
    // The response must be addressed to this client (docs/protocol.md §6.3) and dated.
    const { payload } = await jwtVerify(jwt, keys, {
      audience: this.#clientId,
      requiredClaims: ['aud', 'iat'],
      ...(this.#issuer ? { issuer: this.#issuer } : {}),
    })
    return payload
  }
}
