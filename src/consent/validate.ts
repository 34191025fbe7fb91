/**
 * Small input checks shared by the consent modules. Internal: not exported from the entry.
 *
 * @module
 */

import { EciConfigError, ErrorCode } from '../errors.js'

/** Whether `value` is a string with at least one character. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

/** Parses `value` as an absolute URL, or returns `undefined`. Never throws. */
export function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' && !(value instanceof URL)) return undefined
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/**
 * Scheme, authority and path of a URL: what a redirect URI and the callback URL must share.
 * Works for custom schemes too, whose `origin` is the string `'null'`.
 */
export function urlBase(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/** An absolute URL option without a fragment (RFC 6749 §3.1.2, RFC 8707 §2). */
export function requireAbsoluteUrl(value: unknown, name: string): URL {
  const url = parseUrl(value)
  if (!url || typeof value !== 'string') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `${name} must be an absolute URL string`)
  }
  if (url.hash !== '' || value.includes('#')) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `${name} must not contain a fragment`)
  }
  return url
}

/**
 * An issuer identifier: an `https:` URL without query or fragment (RFC 8414 §2). `http:` only
 * with `allowInsecureRequests`, for local test providers.
 */
export function requireIssuer(value: unknown, allowInsecureRequests: boolean): URL {
  const url = requireAbsoluteUrl(value, 'issuer')
  if (url.search !== '' || (value as string).includes('?')) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'issuer must not contain a query')
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:') {
    if (allowInsecureRequests) return url
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      'issuer must use https: (set allowInsecureRequests only for a local test provider)',
    )
  }
  throw new EciConfigError(ErrorCode.INVALID_OPTION, 'issuer must be an https: URL')
}

/** A list of non-empty strings with at least one entry, copied. */
export function requireStringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isNonEmptyString)) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `${name} must be a non-empty array of non-empty strings`)
  }
  return [...new Set(value)]
}
