/**
 * Checks of the authorization response (the redirect back to the client).
 *
 * @module
 */

import { EciConsentError, ErrorCode } from '../errors.js'
import { parseUrl } from '../protocol/metadata.js'
import { badOption } from '../resolve.js'
import { assertConsentTransaction, type ConsentTransaction } from './transaction.js'
import { urlBase } from './validate.js'

/** Options of {@link checkConsentCallback}. */
export interface CheckConsentCallbackOptions {
  /** The current time in epoch seconds (tests). @default now */
  now?: number
}

/** The authorization code of a checked callback. */
export interface CheckedConsentCallback {
  /** The authorization code, for the token request. Secret. */
  code: string
}

// RFC 6749 §4.1.2.1: error = 1*( %x20-21 / %x23-5B / %x5D-7E )
const ERROR_VALUE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/
const MAX_DESCRIPTION = 500

/** The single value of a response parameter; a repeated parameter is a malformed response. */
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) {
    throw new EciConsentError(
      ErrorCode.AUTHORIZATION_ERROR,
      `the authorization response is malformed: parameter ${name} appears more than once`,
    )
  }
  return values[0]
}

/** Reads the callback URL argument; bad input is the caller's mistake. */
export function parseCallbackUrl(callbackUrl: string | URL): URL {
  const url = parseUrl(callbackUrl)
  if (!url) {
    throw badOption('the callback URL must be an absolute URL')
  }
  return url
}

/**
 * Checks the redirect back from the provider against the transaction that started it, in the
 * order the OAuth security BCP asks for, and returns the authorization code:
 *
 * 1. the transaction is well-formed and unexpired (`TRANSACTION_INVALID` otherwise);
 * 2. the callback arrived at the transaction's redirect URI (scheme, host, path), else `INVALID_OPTION`;
 * 3. `state` equals the transaction's (`STATE_MISMATCH`: CSRF / login CSRF defence);
 * 4. `iss` equals the issuer, and is present when the provider advertises RFC 9207
 *    (`ISSUER_MISMATCH`: mix-up defence);
 * 5. `error=access_denied` → `ACCESS_DENIED`; any other `error` → `AUTHORIZATION_ERROR`
 *    with `error` and `errorDescription`;
 * 6. exactly one non-empty `code` (`AUTHORIZATION_ERROR` otherwise).
 *
 * It does not remember anything: one-time use of `state` is the caller's job (delete the
 * transaction before calling this).
 *
 * @param callbackUrl - The full URL the provider redirected to (query response mode).
 * @param transaction - The transaction `state` identifies.
 * @throws {@link EciConsentError} with the codes above; {@link EciConfigError}
 *   `INVALID_OPTION` when `callbackUrl` is not an absolute URL or not the redirect URI.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207 (iss)
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.4 (mix-up)
 * @example
 * ```ts
 * const { code } = checkConsentCallback(request.url, transaction)
 * ```
 */
export function checkConsentCallback(
  callbackUrl: string | URL,
  transaction: ConsentTransaction,
  options: CheckConsentCallbackOptions = {},
): CheckedConsentCallback {
  const url = parseCallbackUrl(callbackUrl)
  const tx = assertConsentTransaction(transaction, options)
  const redirect = new URL(tx.redirectUri)
  if (urlBase(url) !== urlBase(redirect)) {
    throw badOption(`the callback URL is not the transaction's redirect URI (${urlBase(redirect)})`)
  }
  const params = url.searchParams

  const state = single(params, 'state')
  if (state !== tx.state) {
    throw new EciConsentError(
      ErrorCode.STATE_MISMATCH,
      state === undefined
        ? 'the authorization response has no state: it was not started by this client'
        : 'the authorization response state does not match the consent transaction',
    )
  }

  const iss = single(params, 'iss')
  if (iss === undefined ? tx.issRequired : iss !== tx.issuer) {
    throw new EciConsentError(
      ErrorCode.ISSUER_MISMATCH,
      iss === undefined
        ? `the authorization response has no iss, but ${tx.issuer} promises one (RFC 9207)`
        : `the authorization response comes from another issuer than ${tx.issuer} (RFC 9207)`,
    )
  }

  const error = single(params, 'error')
  if (error !== undefined) {
    const description = single(params, 'error_description')
    const errorDescription = description === undefined ? undefined : description.slice(0, MAX_DESCRIPTION)
    const shown = ERROR_VALUE.test(error) ? error : 'an unrecognised error value'
    if (error === 'access_denied') {
      throw new EciConsentError(ErrorCode.ACCESS_DENIED, 'the customer did not consent (access_denied)', {
        error,
        errorDescription,
      })
    }
    throw new EciConsentError(ErrorCode.AUTHORIZATION_ERROR, `the provider refused the authorization: ${shown}`, {
      error: error.slice(0, 64),
      errorDescription,
    })
  }

  const code = single(params, 'code')
  if (code === undefined || code === '') {
    throw new EciConsentError(
      ErrorCode.AUTHORIZATION_ERROR,
      'the authorization response carries neither a code nor an error',
    )
  }
  return { code }
}
