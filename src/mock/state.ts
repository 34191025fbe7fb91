/**
 * The provider's memory: codes, pushed requests, grants and their tokens, spent JWT ids.
 * Times are the provider's epoch seconds (clock offset applied).
 * @module
 */
import { encode as base64url } from 'jose/base64url'

/** The ECIS request types, also the RAR `actions`. */
export const ACTIONS = ['basic', 'invoice', 'invoice_detail'] as const
/** One ECIS request type. */
export type Action = (typeof ACTIONS)[number]

/** A validated authorization request (from the query or from PAR). */
export interface AuthorizationRequest {
  clientId: string
  redirectUri: string
  state: string | undefined
  codeChallenge: string
  actions: Action[]
  requestedAccounts: string[] | undefined
  dpopJkt: string | undefined
}

/** An issued authorization code. */
export interface CodeRecord {
  request: AuthorizationRequest
  ownerId: string
  accounts: string[]
  expiresAt: number
  used: boolean
  /** The grant made from this code, to revoke it when the code is replayed. */
  familyId: string | undefined
}

/** A grant: one consent, its rotating refresh tokens and the access tokens issued from them. */
export interface Family {
  id: string
  clientId: string
  ownerId: string
  accounts: string[]
  actions: Action[]
  revoked: boolean
  jkt: string | undefined
}

/** An access token's record. */
export interface AccessRecord {
  familyId: string
  clientId: string
  actions: Action[]
  expiresAt: number
  jkt: string | undefined
}

/** A refresh token's record. */
export interface RefreshRecord {
  familyId: string
  expiresAt: number
  /** Rotated out: presenting it again revokes the whole family (after the reuse window). */
  used: boolean
  /** When it was first redeemed, provider seconds. */
  usedAt?: number | undefined
}

/** A fresh random secret (256 bits, base64url). */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** A set of spent JWT ids, forgotten once they could no longer be valid. */
export class JtiCache {
  readonly #seen = new Map<string, number>()

  /** Records `jti` until `until`; returns false when it was seen already. */
  use(jti: string, until: number, now: number): boolean {
    // Forget from the oldest on (insertion order, about expiry order) until one is still valid:
    // amortised O(1), so a fleet's thousands of requests a minute do not sweep the whole set each.
    if (this.#seen.size > 1000) {
      for (const [k, exp] of this.#seen) {
        if (exp >= now) break
        this.#seen.delete(k)
      }
    }
    if (this.#seen.has(jti)) return false
    this.#seen.set(jti, until)
    return true
  }
}

/** Everything the provider remembers. */
export class ProviderState {
  readonly codes = new Map<string, CodeRecord>()
  readonly pushed = new Map<string, { request: AuthorizationRequest; expiresAt: number }>()
  readonly pendingConsent = new Map<string, { request: AuthorizationRequest; expiresAt: number }>()
  readonly families = new Map<string, Family>()
  readonly accessTokens = new Map<string, AccessRecord>()
  readonly refreshTokens = new Map<string, RefreshRecord>()
  readonly assertionJtis = new JtiCache()
  readonly requestJtis = new JtiCache()
  readonly dpopJtis = new JtiCache()

  /** Revokes a family: its access and refresh tokens stop working. */
  revokeFamily(id: string): void {
    const family = this.families.get(id)
    if (family) family.revoked = true
  }
}
