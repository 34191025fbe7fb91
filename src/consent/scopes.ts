/**
 * ECIS consent scopes and their provider-specific scope strings.
 *
 * @module
 */

import { badOption } from '../resolve.js'

/**
 * What a customer can consent to, in ECIS terms: account data (`basic`), invoices (`invoice`)
 * and invoice line items (`invoice_detail`).
 */
export type ConsentScope = 'basic' | 'invoice' | 'invoice_detail'

/** Every {@link ConsentScope}, in canonical order. */
export const CONSENT_SCOPES: readonly ConsentScope[] = Object.freeze(['basic', 'invoice', 'invoice_detail'])

/**
 * The OAuth scope strings of the ECIS wire profile. A provider that names its scopes
 * differently is served by passing `scopeNames` (see {@link toProviderScopes}).
 */
export const DEFAULT_SCOPE_NAMES: Readonly<Record<ConsentScope, string>> = Object.freeze({
  basic: 'eci:basic',
  invoice: 'eci:invoice',
  invoice_detail: 'eci:invoice_detail',
})

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** Whether `value` is an RFC 6749 scope token (what the `scope` parameter lists, space-separated). */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/** Whether `value` is one of the {@link ConsentScope} names. */
export function isConsentScope(value: unknown): value is ConsentScope {
  return value === 'basic' || value === 'invoice' || value === 'invoice_detail'
}

/**
 * Turns consent scopes into the provider's scope strings, in the order given, without
 * duplicates.
 *
 * @param scopes - What to ask the customer for; at least one.
 * @param names - Per-scope overrides of {@link DEFAULT_SCOPE_NAMES}, for providers that use
 *   other scope strings.
 * @returns The scope strings for the `scope` parameter.
 * @throws {@link EciConfigError} `INVALID_OPTION` for an empty list, an unknown scope, or an
 *   override that is not a valid RFC 6749 scope token.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 * @example
 * ```ts
 * toProviderScopes(['basic', 'invoice'])                      // ['eci:basic', 'eci:invoice']
 * toProviderScopes(['basic'], { basic: 'utility.accounts' })  // ['utility.accounts']
 * ```
 */
export function toProviderScopes(scopes: ConsentScope[], names?: Partial<Record<ConsentScope, string>>): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw badOption('`scopes` must list at least one of basic, invoice, invoice_detail')
  }
  const resolved = resolveScopeNames(names)
  const out: string[] = []
  for (const scope of scopes) {
    if (!isConsentScope(scope)) {
      throw badOption('`scopes` may contain only basic, invoice and invoice_detail')
    }
    if (!out.includes(resolved[scope])) out.push(resolved[scope])
  }
  return out
}

/**
 * Checks `scopeNames` overrides and merges them over {@link DEFAULT_SCOPE_NAMES}.
 * @throws {@link EciConfigError} `INVALID_OPTION` for an unknown key or a value that is not an
 *   RFC 6749 scope token.
 */
export function resolveScopeNames(names: unknown): Readonly<Record<ConsentScope, string>> {
  if (names === undefined) return DEFAULT_SCOPE_NAMES
  if (names === null || typeof names !== 'object' || Array.isArray(names)) {
    throw badOption('`scopeNames` must be an object mapping consent scopes to strings')
  }
  const out: Record<ConsentScope, string> = { ...DEFAULT_SCOPE_NAMES }
  for (const [key, value] of Object.entries(names)) {
    if (!isConsentScope(key)) {
      throw badOption('`scopeNames` has an unknown key; expected basic, invoice or invoice_detail')
    }
    if (value === undefined) continue
    if (!isScopeToken(value)) {
      throw badOption(`\`scopeNames.${key}\` must be a non-empty scope token without spaces (RFC 6749 section 3.3)`)
    }
    out[key] = value
  }
  return Object.freeze(out)
}
