/**
 * The consent transaction: everything the client must remember between sending the customer
 * to the provider and handling the callback (PKCE verifier, `state`, the expected issuer).
 *
 * @module
 */

import { EciConsentError, ErrorCode } from '../errors.js'
import { parseUrl, requireHttpsUrl, requireIssuer, requireRedirectUri } from '../protocol/metadata.js'
import { badOption, resolveNonEmptyString, resolveSeconds } from '../resolve.js'
import { type ConsentScope, isConsentScope, isScopeToken, toProviderScopes } from './scopes.js'
import { isNonEmptyString, requireStringList } from './validate.js'

/** How long a consent transaction stays valid by default, in seconds. */
export const DEFAULT_CONSENT_TTL = 600

/**
 * A pending consent, as plain JSON: it survives `JSON.stringify` / `JSON.parse` and a round
 * trip through any storage. It holds the PKCE code verifier, so keep it server-side or in
 * `sessionStorage`, never in a URL, a cookie readable by scripts, or `localStorage`.
 */
export interface ConsentTransaction {
  /** Format version. */
  v: 1
  /** The authorization server's issuer identifier; the callback's `iss` must equal it. */
  issuer: string
  /** The client's `client_id` at the provider. */
  clientId: string
  /** The `redirect_uri` the authorization request carried; the callback must arrive there. */
  redirectUri: string
  /** The `state` value (base64url, 256 bits). */
  state: string
  /** The PKCE code verifier (RFC 7636; 43 base64url characters). Secret. */
  codeVerifier: string
  /** The provider's scope strings that were asked for (`eci:basic`, …). */
  scopes: string[]
  /** The RFC 8707 resource indicator, when the request carried one. */
  resource?: string
  /** The `system_account_id`s consent was asked for, when the request named them. */
  accounts?: string[]
  /** The consent scopes behind {@link scopes}, kept with `accounts` for `authorization_details` actions. */
  actions?: ConsentScope[]
  /** Whether the callback must carry `iss` (the provider advertises RFC 9207 support). */
  issRequired: boolean
  /** When the transaction expires, in epoch seconds. */
  expiresAt: number
}

/** Input of {@link createConsentTransaction}. */
export interface CreateConsentTransactionInput {
  /** The authorization server's issuer identifier. */
  issuer: string
  /** The client's `client_id`. */
  clientId: string
  /** Where the provider sends the customer back: an absolute URL without fragment. */
  redirectUri: string
  /** What to ask for; at least one. */
  scopes: ConsentScope[]
  /** Provider-specific scope strings; see {@link toProviderScopes}. */
  scopeNames?: Partial<Record<ConsentScope, string>>
  /** RFC 8707 resource indicator (the provider's `eci_resource`). */
  resource?: string
  /** The `system_account_id`s to ask consent for; omit to let the customer choose. */
  accounts?: string[]
  /**
   * Whether the callback must carry `iss`: true when the provider's metadata has
   * `authorization_response_iss_parameter_supported: true`.
   */
  issRequired: boolean
  /**
   * Lifetime in seconds.
   * @default 600
   */
  ttl?: number
  /** The current time in epoch seconds (tests). @default now */
  now?: number
  /**
   * A `state` of the caller's own (e.g. one that also keys its session store). It must be
   * unguessable: at least 22 base64url characters (128 bits).
   * @default 256 random bits
   */
  state?: string
  /**
   * Allow an `http:` issuer (local test providers only).
   * @default false
   */
  allowInsecureRequests?: boolean
}

/** What {@link createConsentTransaction} returns. */
export interface CreatedConsentTransaction {
  /** The transaction to store until the callback arrives. */
  transaction: ConsentTransaction
  /** The PKCE S256 `code_challenge` for the authorization request. Not stored: derive it again if needed. */
  codeChallenge: string
}

/** Options of {@link assertConsentTransaction}. */
export interface AssertConsentTransactionOptions {
  /** The current time in epoch seconds (tests). @default now */
  now?: number
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/
const STATE = /^[A-Za-z0-9_-]{22,512}$/

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

/**
 * The PKCE S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function codeChallengeS256(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))
  return base64url(new Uint8Array(digest))
}

/** Whether `value` has the shape of a `state` this module makes (or accepts): 22–512 base64url characters. */
export function isStateShaped(value: unknown): value is string {
  return typeof value === 'string' && STATE.test(value)
}

/** The `now` option: epoch seconds, or the clock's when it is not given. */
export function epochSeconds(now: number | undefined): number {
  if (now === undefined) return Math.floor(Date.now() / 1000)
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw badOption('now must be a finite number of epoch seconds')
  }
  return now
}

/**
 * Starts a consent: makes a fresh PKCE code verifier (32 random bytes) and its S256
 * challenge, a 256-bit `state`, and the transaction that remembers them with the issuer and
 * redirect URI the callback is checked against. Pure apart from randomness: it stores nothing.
 *
 * @throws {@link EciConfigError} `INVALID_OPTION` for bad input.
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1 (state and PKCE, OAuth security BCP)
 * @example
 * ```ts
 * const { transaction, codeChallenge } = await createConsentTransaction({
 *   issuer: 'https://auth.utility.example',
 *   clientId: 'acme-solar',
 *   redirectUri: 'https://acme.example/eci/callback',
 *   scopes: ['basic', 'invoice'],
 *   issRequired: true,
 * })
 * ```
 */
export async function createConsentTransaction(
  input: CreateConsentTransactionInput,
): Promise<CreatedConsentTransaction> {
  if (input === null || typeof input !== 'object') {
    throw badOption('createConsentTransaction needs an options object')
  }
  const { issuer, redirectUri, resource } = input
  const insecure = input.allowInsecureRequests === true
  resolveNonEmptyString(issuer, 'issuer')
  resolveNonEmptyString(input.clientId, 'clientId')
  resolveNonEmptyString(redirectUri, 'redirectUri')
  requireIssuer(issuer, insecure)
  requireRedirectUri(redirectUri, insecure)
  const scopes = toProviderScopes(input.scopes, input.scopeNames)
  if (resource !== undefined) {
    if (typeof resource !== 'string') throw badOption('`resource` must be a URL string')
    requireHttpsUrl(resource, 'resource', insecure)
  }
  const accounts = input.accounts === undefined ? undefined : requireStringList(input.accounts, 'accounts')
  if (typeof input.issRequired !== 'boolean') {
    throw badOption('issRequired must be a boolean')
  }
  const ttl = resolveSeconds(input.ttl, 'ttl', DEFAULT_CONSENT_TTL)
  const now = epochSeconds(input.now)
  if (input.state !== undefined && !isStateShaped(input.state)) {
    throw badOption('state must be at least 22 base64url characters (128 bits)')
  }

  const codeVerifier = randomToken()
  const transaction: ConsentTransaction = {
    v: 1,
    issuer,
    clientId: input.clientId,
    redirectUri,
    state: input.state ?? randomToken(),
    codeVerifier,
    scopes,
    issRequired: input.issRequired,
    expiresAt: Math.floor(now + ttl),
  }
  if (resource !== undefined) transaction.resource = resource
  if (accounts) {
    transaction.accounts = accounts
    transaction.actions = [...new Set(input.scopes)]
  }
  return { transaction, codeChallenge: await codeChallengeS256(codeVerifier) }
}

function invalid(reason: string): EciConsentError {
  return new EciConsentError(ErrorCode.TRANSACTION_INVALID, `the consent transaction is invalid: ${reason}`)
}

function isStringArray(value: unknown, item: (s: string) => boolean): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'string' && item(s))
}

/**
 * Checks that `value` is a well-formed, unexpired {@link ConsentTransaction} (for instance
 * one read back from storage) and returns a clean copy without unknown members.
 *
 * @throws {@link EciConsentError} `TRANSACTION_INVALID` when it is malformed or expired; the
 *   customer must start consent again.
 * @example
 * ```ts
 * const transaction = assertConsentTransaction(JSON.parse(await db.get(id)))
 * ```
 */
export function assertConsentTransaction(
  value: unknown,
  options: AssertConsentTransactionOptions = {},
): ConsentTransaction {
  const now = epochSeconds(options?.now)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('not an object')
  const t = value as Record<string, unknown>
  if (t.v !== 1) throw invalid('unknown format version')
  if (!isNonEmptyString(t.issuer) || !parseUrl(t.issuer)) throw invalid('issuer')
  if (!isNonEmptyString(t.clientId)) throw invalid('clientId')
  if (!isNonEmptyString(t.redirectUri) || !parseUrl(t.redirectUri)) throw invalid('redirectUri')
  if (!isStateShaped(t.state)) throw invalid('state')
  if (typeof t.codeVerifier !== 'string' || !VERIFIER.test(t.codeVerifier)) throw invalid('codeVerifier')
  if (!isStringArray(t.scopes, isScopeToken)) throw invalid('scopes')
  if (t.resource !== undefined && (!isNonEmptyString(t.resource) || !parseUrl(t.resource))) throw invalid('resource')
  if (t.accounts !== undefined && !isStringArray(t.accounts, (s) => s.length > 0)) throw invalid('accounts')
  if (t.actions !== undefined && !isStringArray(t.actions, isConsentScope)) throw invalid('actions')
  if (typeof t.issRequired !== 'boolean') throw invalid('issRequired')
  if (typeof t.expiresAt !== 'number' || !Number.isFinite(t.expiresAt)) throw invalid('expiresAt')
  if (now >= t.expiresAt) throw invalid('it expired; start consent again')

  const out: ConsentTransaction = {
    v: 1,
    issuer: t.issuer,
    clientId: t.clientId,
    redirectUri: t.redirectUri,
    state: t.state,
    codeVerifier: t.codeVerifier,
    scopes: [...t.scopes],
    issRequired: t.issRequired,
    expiresAt: t.expiresAt,
  }
  if (t.resource !== undefined) out.resource = t.resource
  if (t.accounts !== undefined) out.accounts = [...t.accounts]
  if (t.actions !== undefined) out.actions = [...(t.actions as ConsentScope[])]
  return out
}
