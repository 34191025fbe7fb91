/**
 * The Grant: what a backend stores after consent. Plain JSON, no class, no secrets hidden in
 * closures, so it survives `JSON.stringify` / `JSON.parse` and any database.
 * @module
 */
import { EciConsentError, EciHttpError, ErrorCode } from '../errors.js'
import { badOption, isTokenSyntax } from '../resolve.js'

/** A consented, stored authorization to read one customer's accounts from one provider. */
export interface Grant {
  /** The provider's issuer identifier. */
  issuer: string
  /** The consumer's `client_id`. */
  clientId: string
  /** The ECI endpoint (`eci_resource`) the tokens are for. */
  resource: string
  /** The current access token. Secret. */
  accessToken: string
  /** `Bearer` or `DPoP`. */
  tokenType: string
  /** When the access token expires, epoch **seconds**. */
  expiresAt: number
  /** When the access token was issued, epoch seconds (sizes the refresh margin). */
  issuedAt?: number | undefined
  /** The refresh token, when the provider issued one. Secret. */
  refreshToken?: string | undefined
  /** The scope strings the provider granted (`eci:basic`, …). */
  scopes: string[]
  /** The granted `system_account_id`s. */
  accounts: string[]
  /** RFC 7638 thumbprint of the DPoP key the tokens are bound to. */
  dpopJkt?: string | undefined
  /**
   * Set in a {@link GrantStore} right before an instance sends this grant's refresh token (epoch
   * seconds; an earlier mark's time when a refresh is repeated inside the reuse window). Found
   * under a free lock, it means a refresh's outcome is unknown (its instance died or stalled).
   */
  refreshingSince?: number | undefined
  /** Which refresh set {@link Grant.refreshingSince} (a random id), so its holder can undo its own mark. */
  refreshingBy?: string | undefined
}

/** The token endpoint response members the SDK reads. @internal */
export interface TokenResponseLike {
  access_token: string
  token_type?: string
  expires_in?: number
  refresh_token?: string
  scope?: string
  authorization_details?: unknown
  system_account_ids?: unknown
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0)
    ? (value as string[])
    : undefined
}

/**
 * Granted accounts: the union of every `eci` authorization details object (RFC 9396), else the
 * top-level `system_account_ids` of simple providers.
 */
export function grantedAccounts(response: TokenResponseLike): string[] | undefined {
  if (Array.isArray(response.authorization_details)) {
    const ids = new Set<string>()
    let seen = false
    for (const detail of response.authorization_details as Record<string, unknown>[]) {
      if (detail?.type !== 'eci') continue
      seen = true
      for (const id of stringList(detail.system_account_ids) ?? []) ids.add(id)
    }
    if (seen) return [...ids]
  }
  return stringList(response.system_account_ids)
}

/** Lifetime assumed when a token response has no `expires_in` (RFC 6749 §5.1 makes it optional). */
export const DEFAULT_TOKEN_LIFETIME = 3600

/**
 * Checks what becomes a Grant: tokens with RFC 6750 `b64token` characters only (a CR/LF would
 * break every later `Authorization` header), string types, and `expires_in` a non-negative finite
 * number (`0` means expired now, not one hour). Returns the lifetime in seconds.
 */
function checkTokenResponse(response: TokenResponseLike): number {
  if (!isTokenSyntax(response.access_token)) unusableThrow('access_token is not a valid RFC 6750 token')
  if (response.refresh_token !== undefined && !isTokenSyntax(response.refresh_token)) {
    unusableThrow('refresh_token is not a valid RFC 6750 token')
  }
  if (response.token_type !== undefined && typeof response.token_type !== 'string')
    unusableThrow('token_type is not a string')
  if (response.scope !== undefined && typeof response.scope !== 'string') unusableThrow('scope is not a string')
  const expiresIn = response.expires_in
  if (expiresIn === undefined) return DEFAULT_TOKEN_LIFETIME
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) {
    unusableThrow('expires_in is not a non-negative number of seconds')
  }
  return expiresIn
}

function unusableThrow(reason: string): never {
  throw new EciHttpError(ErrorCode.INVALID_RESPONSE, `The token response is unusable: ${reason}`, { status: 200 })
}

/** Builds a Grant from a token response; `previous` fills what a refresh response omits. @internal */
export function grantFromTokenResponse(
  response: TokenResponseLike,
  base: {
    issuer: string
    clientId: string
    resource: string
    requestedScopes: string[]
    now: number
    dpopJkt?: string | undefined
    /** What the grant covers when the response names no account (Green Button: the subscription). */
    accounts?: string[] | undefined
  },
  previous?: Grant,
): Grant {
  const expiresIn = checkTokenResponse(response)
  const accounts = grantedAccounts(response) ?? previous?.accounts ?? base.accounts
  if (accounts === undefined || accounts.length === 0) {
    throw new EciConsentError(
      ErrorCode.NO_ACCOUNTS,
      'The token response grants no account (no `eci` authorization_details and no system_account_ids): nothing can be read, the customer must consent again',
    )
  }
  const grant: Grant = {
    issuer: base.issuer,
    clientId: base.clientId,
    resource: base.resource,
    accessToken: response.access_token,
    tokenType: response.token_type?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer',
    expiresAt: Math.floor(base.now + expiresIn),
    issuedAt: Math.floor(base.now),
    scopes:
      typeof response.scope === 'string'
        ? response.scope.split(' ').filter(Boolean)
        : (previous?.scopes ?? base.requestedScopes),
    accounts,
  }
  const refreshToken = response.refresh_token ?? previous?.refreshToken
  if (refreshToken) grant.refreshToken = refreshToken
  // Only a DPoP-bound token records the key: a provider may ignore DPoP and issue a Bearer token.
  if (base.dpopJkt && grant.tokenType === 'DPoP') grant.dpopJkt = base.dpopJkt
  return grant
}

/** Checks a stored grant's shape before use. @throws {EciConfigError} */
export function assertGrant(value: unknown): Grant {
  const g = value as Grant
  const ok =
    g !== null &&
    typeof g === 'object' &&
    typeof g.issuer === 'string' &&
    typeof g.clientId === 'string' &&
    typeof g.resource === 'string' &&
    isTokenSyntax(g.accessToken) &&
    typeof g.tokenType === 'string' &&
    Number.isFinite(g.expiresAt) &&
    Array.isArray(g.scopes) &&
    g.scopes.every((x) => typeof x === 'string') &&
    Array.isArray(g.accounts) &&
    g.accounts.every((x) => typeof x === 'string') &&
    (g.refreshToken === undefined || isTokenSyntax(g.refreshToken)) &&
    (g.issuedAt === undefined || Number.isFinite(g.issuedAt)) &&
    (g.dpopJkt === undefined || typeof g.dpopJkt === 'string')
  if (!ok) throw badOption('Not a Grant: expected the object completeConsent returned')
  return g
}
