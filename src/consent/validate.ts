/**
 * Small input checks shared by the consent modules. Internal: not exported from the entry.
 * URL rules live in `metadata.ts`.
 *
 * @module
 */

import { badOption } from '../resolve.js'

/** Whether `value` is a string with at least one character. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

/**
 * Scheme, authority and path of a URL: what a redirect URI and the callback URL must share.
 * Works for custom schemes too, whose `origin` is the string `'null'`.
 */
export function urlBase(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}

/** A list of non-empty strings with at least one entry, copied. */
export function requireStringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isNonEmptyString)) {
    throw badOption(`\`${name}\` must be a non-empty array of non-empty strings`)
  }
  return [...new Set(value)]
}
