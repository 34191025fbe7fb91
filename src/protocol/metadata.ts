/**
 * The URL and metadata rules of the ECIS profile, written once. `EciConsumer.discover`, the
 * browser consent entry and `ecis check` all call these, so a provider or an option gets the
 * same verdict everywhere. Dependency-free (the browser entry bundles it).
 *
 * @module
 */

import { EciConfigError, ErrorCode } from '../errors.js'
import { badOption } from '../resolve.js'

/**
 * The authorization server metadata members the SDK reads (RFC 8414 §2), plus the ECIS
 * members. Other members are kept as they came.
 */
export interface AuthorizationServerMetadata {
  /** The issuer identifier; equals the one asked for. */
  issuer: string
  /** Where the customer is sent to consent. */
  authorization_endpoint: string
  token_endpoint?: string
  jwks_uri?: string
  revocation_endpoint?: string
  pushed_authorization_request_endpoint?: string
  /** RFC 9126: the provider accepts only pushed authorization requests. */
  require_pushed_authorization_requests?: boolean
  /** RFC 9207: the provider puts `iss` in every authorization response. */
  authorization_response_iss_parameter_supported?: boolean
  /** RFC 9396: the provider understands these `authorization_details` types. */
  authorization_details_types_supported?: string[]
  code_challenge_methods_supported?: string[]
  response_types_supported?: string[]
  scopes_supported?: string[]
  /** ECIS: the ECI endpoint and RFC 8707 resource indicator. */
  eci_resource?: string
  /** ECIS: the request types the provider serves. */
  eci_request_types_supported?: string[]
  /** ECIS: the JWS algorithms the provider accepts for request JWTs. */
  eci_request_signing_alg_values_supported?: string[]
  [member: string]: unknown
}

function badMetadata(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_METADATA, message)
}

/** Hosts that are this machine (RFC 8252 §7.3 loopback redirects; local test providers). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
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

/** An absolute URL option (string or URL) without a fragment (RFC 6749 §3.1.2, RFC 8707 §2). */
export function requireAbsoluteUrl(value: unknown, name: string): URL {
  const url = parseUrl(value)
  if (!url) throw badOption(`\`${name}\` must be an absolute URL`)
  if (url.hash !== '' || String(value).includes('#')) throw badOption(`\`${name}\` must not contain a fragment`)
  return url
}

function requireHttps(url: URL, name: string, allowInsecure: boolean): URL {
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:') {
    if (allowInsecure) return url
    throw badOption(
      `\`${name}\` uses http://; https:// is required (allowInsecureRequests is for local test providers)`,
    )
  }
  throw badOption(`\`${name}\` must be an https:// URL`)
}

/**
 * An issuer identifier: an `https:` URL without query or fragment (RFC 8414 §2); `http:` only
 * with `allowInsecureRequests`, for local test providers.
 */
export function requireIssuer(value: unknown, allowInsecure: boolean): URL {
  const url = requireAbsoluteUrl(value, 'issuer')
  if (url.search !== '' || String(value).includes('?')) throw badOption('`issuer` must not contain a query')
  return requireHttps(url, 'issuer', allowInsecure)
}

/** An https URL option such as `resource`; `http:` only with `allowInsecureRequests`. */
export function requireHttpsUrl(value: unknown, name: string, allowInsecure: boolean): URL {
  return requireHttps(requireAbsoluteUrl(value, name), name, allowInsecure)
}

/** RFC 8252 §7.1: a private-use scheme in reverse domain name form (`com.example.app:`). */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/

/**
 * A redirect URI: `https:`, `http:` on a loopback host (RFC 8252 §7.3) or with
 * `allowInsecureRequests`, or a reverse-DNS private-use scheme of a native app (RFC 8252 §7.1).
 * Anything else (`ftp:`, `javascript:`, `data:`, …) is refused.
 */
export function requireRedirectUri(value: unknown, allowInsecure: boolean, name = 'redirectUri'): URL {
  const url = requireAbsoluteUrl(value, name)
  if (url.protocol === 'https:' || PRIVATE_USE_SCHEME.test(url.protocol)) return url
  if (url.protocol === 'http:' && (allowInsecure || isLoopbackHost(url.hostname))) return url
  throw badOption(`\`${name}\` must be an https:// URL, a loopback http:// URL or a reverse-DNS app scheme (RFC 8252)`)
}

/**
 * Whether two absolute URLs name the same resource: equal after WHATWG URL normalisation
 * (scheme and host case, default ports, percent-encoding, an empty path as `/`). A trailing
 * slash on a longer path is significant (RFC 3986 §6.2.3 equates only the empty path with `/`).
 */
export function sameUrl(a: string | URL, b: string | URL): boolean {
  const x = parseUrl(a)
  const y = parseUrl(b)
  return x !== undefined && y !== undefined && x.href === y.href
}

function checkEndpoint(value: unknown, member: string, allowInsecure: boolean, required: boolean): void {
  if (value === undefined && !required) return
  const url = typeof value === 'string' ? parseUrl(value) : undefined
  if (url?.hash !== '') throw badMetadata(`the provider metadata has an invalid ${member}`)
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw badMetadata(`the provider metadata ${member} must use https:`)
  }
}

function checkMember(value: unknown, member: string, ok: (v: unknown) => boolean): void {
  if (value !== undefined && !ok(value)) throw badMetadata(`the provider metadata has an invalid ${member}`)
}

const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string')
const isBoolean = (v: unknown) => typeof v === 'boolean'

/** Endpoint members: https (http with `allowInsecureRequests`), no fragment. */
const ENDPOINTS = [
  'token_endpoint',
  'jwks_uri',
  'revocation_endpoint',
  'pushed_authorization_request_endpoint',
  'eci_resource',
] as const
const LISTS = [
  'authorization_details_types_supported',
  'code_challenge_methods_supported',
  'response_types_supported',
  'scopes_supported',
  'eci_request_types_supported',
  'eci_request_signing_alg_values_supported',
] as const
const BOOLEANS = ['require_pushed_authorization_requests', 'authorization_response_iss_parameter_supported'] as const

/**
 * The document's `issuer` must equal the configured one exactly (RFC 8414 §3.3), which stops a
 * metadata document from speaking for another server.
 * @throws {EciConfigError} `INVALID_METADATA`
 */
export function checkIssuer(metadata: Record<string, unknown>, issuer: string, where: string): void {
  if (metadata.issuer !== issuer) {
    throw badMetadata(`the metadata at ${where} is for another issuer than ${issuer} (RFC 8414 section 3.3)`)
  }
}

/**
 * Checks the metadata members the SDK uses: every endpoint `https:` (`jwks_uri` included; `http:`
 * only with `allowInsecureRequests`), lists of strings, booleans.
 * @throws {EciConfigError} `INVALID_METADATA`
 */
export function checkMetadataMembers(
  metadata: Record<string, unknown>,
  allowInsecure: boolean,
): AuthorizationServerMetadata {
  checkEndpoint(metadata.authorization_endpoint, 'authorization_endpoint', allowInsecure, true)
  for (const member of ENDPOINTS) checkEndpoint(metadata[member], member, allowInsecure, false)
  for (const member of LISTS) checkMember(metadata[member], member, isStringList)
  for (const member of BOOLEANS) checkMember(metadata[member], member, isBoolean)
  return metadata as AuthorizationServerMetadata
}

/** Where the authorization request is made: the backend may use PAR; a browser cannot. */
export type ConsentSide = 'backend' | 'browser'

/**
 * Checks that the provider can run an ECIS consent from `side`: PKCE S256, the code flow, and
 * PAR only where it can be made (a browser cannot authenticate the client).
 * @throws {EciConfigError} `INVALID_METADATA`
 */
export function checkConsentMetadata(metadata: AuthorizationServerMetadata, side: ConsentSide): void {
  const pkce = metadata.code_challenge_methods_supported
  if (pkce !== undefined && !pkce.includes('S256')) {
    throw badMetadata('the provider does not support PKCE S256, which ECIS requires')
  }
  const responseTypes = metadata.response_types_supported
  if (responseTypes !== undefined && !responseTypes.includes('code')) {
    throw badMetadata('the provider does not support the authorization code flow')
  }
  if (metadata.require_pushed_authorization_requests !== true) return
  if (side === 'browser') {
    throw badMetadata(
      'the provider requires pushed authorization requests (PAR), which need client authentication a browser ' +
        'cannot hold; let the backend make the URL with consumer.beginConsent',
    )
  }
  if (!metadata.pushed_authorization_request_endpoint) {
    throw badMetadata('the provider requires PAR but advertises no PAR endpoint')
  }
}

/**
 * The ECI endpoint to use: the provider's `eci_resource`, as it spells it (it is the JWT `aud`
 * the provider compares), or the `resource` option for providers that publish none. When both
 * exist they must name the same URL ({@link sameUrl}; docs/protocol.md §2.3).
 * @throws {EciConfigError} `INVALID_METADATA` on a mismatch, or when `required` and neither exists.
 */
export function resolveEciResource(
  metadata: AuthorizationServerMetadata,
  resource: string | undefined,
  required: boolean,
): string | undefined {
  const advertised = metadata.eci_resource
  if (resource !== undefined && advertised !== undefined && !sameUrl(resource, advertised)) {
    throw badMetadata(`the resource option (${resource}) differs from the provider's eci_resource (${advertised})`)
  }
  const chosen = advertised ?? resource
  if (chosen === undefined && required) {
    throw badMetadata('no ECI resource: the provider metadata has no eci_resource and the `resource` option is not set')
  }
  return chosen
}
