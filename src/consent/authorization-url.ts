/**
 * The authorization request: query parameters and the URL the customer is sent to.
 *
 * @module
 */

import { requireAbsoluteUrl } from '../protocol/metadata.js'
import { badOption } from '../resolve.js'
import { CONSENT_SCOPES, DEFAULT_SCOPE_NAMES } from './scopes.js'
import type { ConsentTransaction } from './transaction.js'

/** Options of {@link authorizationParams}. */
export interface AuthorizationParamsOptions {
  /**
   * Send RFC 9396 `authorization_details` (when the transaction names accounts). True when
   * the provider lists `eci` in `authorization_details_types_supported`.
   */
  authorizationDetails: boolean
}

/** One RFC 9396 authorization details object of type `eci`. */
export interface EciAuthorizationDetail {
  type: 'eci'
  /** The accounts consent is asked for. */
  system_account_ids: string[]
  /** The consent scopes asked for: `basic`, `invoice`, `invoice_detail`. */
  actions: string[]
}

/**
 * The authorization request parameters (RFC 6749 §4.1.1) for a transaction: `response_type=code`,
 * `client_id`, `redirect_uri`, `scope`, `state`, PKCE `code_challenge` with method `S256`,
 * `resource` (RFC 8707) when the transaction has one, and `authorization_details` (RFC 9396)
 * when asked for and the transaction names accounts. The server-side flow sends the same
 * parameters by PAR (RFC 9126).
 *
 * @param transaction - From `createConsentTransaction`.
 * @param codeChallenge - The S256 challenge `createConsentTransaction` returned with it.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc9396
 * @example
 * ```ts
 * const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: true })
 * const url = buildAuthorizationUrl(metadata.authorization_endpoint, params)
 * ```
 */
export function authorizationParams(
  transaction: ConsentTransaction,
  codeChallenge: string,
  options: AuthorizationParamsOptions,
): URLSearchParams {
  if (typeof codeChallenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
    throw badOption('codeChallenge must be a base64url S256 code challenge')
  }
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: transaction.clientId,
    redirect_uri: transaction.redirectUri,
    scope: transaction.scopes.join(' '),
    state: transaction.state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  })
  if (transaction.resource !== undefined) params.set('resource', transaction.resource)
  if (options?.authorizationDetails === true && transaction.accounts && transaction.accounts.length > 0) {
    const detail: EciAuthorizationDetail = {
      type: 'eci',
      system_account_ids: transaction.accounts,
      actions: transaction.actions ?? defaultActions(transaction.scopes),
    }
    params.set('authorization_details', JSON.stringify([detail]))
  }
  return params
}

// Without recorded actions (a transaction made elsewhere), fall back to every consent scope
// whose default name was asked for.
function defaultActions(scopes: string[]): string[] {
  return CONSENT_SCOPES.filter((s) => scopes.includes(DEFAULT_SCOPE_NAMES[s]))
}

/**
 * Appends the parameters to the authorization endpoint, keeping any query the endpoint
 * already has (RFC 6749 §3.1); the parameters win over same-named ones in it.
 *
 * @throws {@link EciConfigError} `INVALID_OPTION` when the endpoint is not an absolute
 *   `http(s):` URL or has a fragment.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function buildAuthorizationUrl(authorizationEndpoint: string | URL, params: URLSearchParams): string {
  const url = requireAbsoluteUrl(authorizationEndpoint, 'authorizationEndpoint')
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badOption('`authorizationEndpoint` must be an http(s) URL')
  }
  for (const key of new Set(params.keys())) url.searchParams.delete(key)
  for (const [key, value] of params) url.searchParams.append(key, value)
  return url.href
}

/** Parameters the SDK sets itself; `extraParams` cannot override them. */
export const PROTECTED_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'authorization_details',
  'request_uri',
  'request',
])
