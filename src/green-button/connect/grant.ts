/**
 * The Green Button grant: an ECIS {@link Grant} (so every GrantStore, the fleet refresh and the
 * sync take it as it is) plus the token response's `resourceURI` and `authorizationURI` and the
 * Function Block scope. Built by the one token-response parser, `grantFromTokenResponse`.
 * @module
 */
import { EciHttpError, ErrorCode } from '../../errors.js'
import { assertGrant, type Grant, grantFromTokenResponse, type TokenResponseLike } from '../../grant/grant.js'
import { badOption } from '../../resolve.js'

/** A Connect My Data grant: plain JSON, stored as it is in any GrantStore. */
export interface GreenButtonGrant extends Grant {
  /** The customer's subscription (`Batch/Subscription/{id}`): what `session.feed()` reads. */
  resourceUri: string
  /** The `Authorization` resource: status, scope and expiry of the consent. */
  authorizationUri?: string | undefined
  /** The Function Block scope the customer granted (`FB=1_3_4_5_13_14_39;IntervalDuration=3600;…`). */
  scope: string
}

/** The token response members of Connect My Data (ESPI adds them to RFC 6749's). */
interface CmdTokenResponse extends TokenResponseLike {
  resourceURI?: unknown
  authorizationURI?: unknown
}

/** Whether `uri` is an http(s) URL on `origin`: tokens go only to the resource server configured. */
function onOrigin(uri: unknown, origin: string): uri is string {
  if (typeof uri !== 'string' || uri.length > 2048) return false
  try {
    return new URL(uri).origin === origin
  } catch {
    return false
  }
}

function unusable(reason: string): never {
  throw new EciHttpError(ErrorCode.INVALID_RESPONSE, `The Connect My Data token response is unusable: ${reason}`, {
    status: 200,
  })
}

/**
 * The `grantFrom` of the Green Button token endpoint: the grant of `grantFromTokenResponse`, with
 * the subscription as its one account, `resourceUri` and `authorizationUri` checked to lie on the
 * resource server's origin (a response naming another host would get the access token sent there).
 * @throws {EciHttpError} `ERR_ECI_INVALID_RESPONSE` without a usable `resourceURI`.
 * @internal
 */
export function greenButtonGrantFrom(resourceOrigin: string): typeof grantFromTokenResponse {
  return (response, base, previous) => {
    const r = response as CmdTokenResponse
    const before = previous as GreenButtonGrant | undefined
    const resourceUri = r.resourceURI ?? before?.resourceUri
    if (resourceUri === undefined) unusable('it has no resourceURI (the subscription to read)')
    if (!onOrigin(resourceUri, resourceOrigin)) unusable(`its resourceURI is not a URL under ${resourceOrigin}`)
    const authorizationUri = r.authorizationURI ?? before?.authorizationUri
    if (authorizationUri !== undefined && !onOrigin(authorizationUri, resourceOrigin)) {
      unusable(`its authorizationURI is not a URL under ${resourceOrigin}`)
    }
    const subscription = new URL(resourceUri).pathname.split('/').filter(Boolean).at(-1) ?? resourceUri
    const grant = grantFromTokenResponse(response, { ...base, accounts: [subscription] }, previous)
    const out: GreenButtonGrant = {
      ...grant,
      // A new response names its own subscription; a refresh that names none keeps the previous one.
      accounts: r.resourceURI === undefined && previous ? previous.accounts : [subscription],
      resourceUri,
      scope: grant.scopes.join(' '),
    }
    if (authorizationUri !== undefined) out.authorizationUri = authorizationUri
    return out
  }
}

/** Checks a stored Green Button grant. @throws {EciConfigError} */
export function assertGreenButtonGrant(value: unknown): GreenButtonGrant {
  const g = assertGrant(value) as GreenButtonGrant
  if (typeof g.resourceUri !== 'string' || typeof g.scope !== 'string') {
    throw badOption('Not a Green Button grant: expected the object completeConsent returned (with resourceUri)')
  }
  if (g.authorizationUri !== undefined && typeof g.authorizationUri !== 'string') {
    throw badOption('Not a Green Button grant: authorizationUri is not a string')
  }
  return g
}
