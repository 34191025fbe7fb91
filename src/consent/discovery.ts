/**
 * A small authorization server metadata fetch for browser bundles (RFC 8414, falling back to
 * OpenID Connect Discovery). The server side uses openid-client instead.
 *
 * @module
 */

import { EciConfigError, EciHttpError, EciNetworkError, ErrorCode } from '../errors.js'
import { requireIssuer } from './validate.js'

/** The `fetch` signature the SDK calls; inject one for tests or custom transports. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/**
 * The authorization server metadata members the consent flow reads (RFC 8414 §2), plus the
 * ECIS members. Other members are kept as they came.
 */
export interface AuthorizationServerMetadata {
  /** The issuer identifier; equals the one asked for. */
  issuer: string
  /** Where the customer is sent to consent. */
  authorization_endpoint: string
  token_endpoint?: string
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
  [member: string]: unknown
}

/** Options of {@link fetchAuthorizationServerMetadata}. */
export interface FetchMetadataOptions {
  /** @default globalThis.fetch */
  fetch?: FetchLike
  /**
   * Allow `http:` issuer and endpoints (local test providers only).
   * @default false
   */
  allowInsecureRequests?: boolean
  /** Aborts the fetch. */
  signal?: AbortSignal
  /**
   * Milliseconds before the request is given up (`EciNetworkError` `TIMEOUT`).
   * @default 30000
   */
  timeout?: number
}

/** Default time limit of the metadata request, in milliseconds. */
export const DEFAULT_METADATA_TIMEOUT = 30_000

/**
 * Where metadata may live: the RFC 8414 well-known URI (inserted between host and path, with a
 * trailing `/` removed), then the OpenID Connect one (appended to the issuer).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 */
export function metadataUrls(issuer: URL): [string, string] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '')
  return [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`,
  ]
}

function networkError(cause: unknown, url: string): EciNetworkError {
  const name = (cause as { name?: unknown } | null)?.name
  if (name === 'AbortError') {
    return new EciNetworkError(ErrorCode.ABORTED, `the metadata request to ${url} was aborted`, { cause })
  }
  if (name === 'TimeoutError') {
    return new EciNetworkError(ErrorCode.TIMEOUT, `the metadata request to ${url} timed out`, { cause })
  }
  return new EciNetworkError(
    ErrorCode.NETWORK,
    `the metadata request to ${url} failed before a response arrived (network or CORS)`,
    { cause },
  )
}

/** Settles with `promise`, or rejects with the signal's reason once it aborts (even if `promise` ignores it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // Observe `promise` in every case, so its late rejection is never unhandled.
  promise.catch(() => {})
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function badMetadata(member: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_METADATA, `the provider metadata has an invalid ${member}`)
}

function checkEndpoint(value: unknown, member: string, allowInsecure: boolean, required: boolean): void {
  if (value === undefined && !required) return
  let url: URL
  try {
    url = new URL(value as string)
  } catch {
    throw badMetadata(member)
  }
  if (typeof value !== 'string' || url.hash !== '') throw badMetadata(member)
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw new EciConfigError(ErrorCode.INVALID_METADATA, `the provider metadata ${member} must use https:`)
  }
}

function checkStringList(value: unknown, member: string): void {
  if (value !== undefined && (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))) {
    throw badMetadata(member)
  }
}

function checkBoolean(value: unknown, member: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw badMetadata(member)
}

/**
 * Fetches and checks the provider's authorization server metadata: RFC 8414 first, OpenID
 * Connect Discovery when that answers with an error status. The document's `issuer` must equal
 * the requested one exactly (RFC 8414 §3.3), which stops a metadata document from speaking for
 * another server.
 *
 * @throws {@link EciConfigError} `INVALID_OPTION` for a bad issuer (`http:` needs
 *   `allowInsecureRequests`); `INVALID_METADATA` for an issuer mismatch or unusable members.
 * @throws {@link EciHttpError} `HTTP_ERROR` when neither location serves metadata,
 *   `INVALID_RESPONSE` when the body is not JSON.
 * @throws {@link EciNetworkError} when no response arrives (also CORS refusals in browsers).
 * @see https://www.rfc-editor.org/rfc/rfc8414
 * @example
 * ```ts
 * const metadata = await fetchAuthorizationServerMetadata('https://auth.utility.example')
 * metadata.authorization_endpoint
 * ```
 */
export async function fetchAuthorizationServerMetadata(
  issuer: string,
  options: FetchMetadataOptions = {},
): Promise<AuthorizationServerMetadata> {
  const allowInsecure = options.allowInsecureRequests === true
  const issuerUrl = requireIssuer(issuer, allowInsecure)
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'fetch must be a function')
  }
  const timeout = options.timeout ?? DEFAULT_METADATA_TIMEOUT
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2_147_483_647) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'timeout must be a positive number of milliseconds')
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'signal must be an AbortSignal')
  }
  // A provider that never answers must not hang the page: the timeout always applies.
  const timeoutSignal = AbortSignal.timeout(timeout)
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal
  // Never call window.fetch detached from window: browsers throw "Illegal invocation".
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  let response: Response | undefined
  let lastUrl = ''
  for (const url of metadataUrls(issuerUrl)) {
    lastUrl = url
    try {
      response = await untilAborted(
        doFetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal }),
        signal,
      )
    } catch (cause) {
      throw networkError(cause, url)
    }
    if (response === null || typeof response !== 'object' || typeof response.json !== 'function') {
      throw new EciNetworkError(ErrorCode.NETWORK, `the metadata request to ${url} did not produce a Response`)
    }
    if (response.ok) break
    // Release the connection of the refused attempt; its body is of no use.
    try {
      response.body?.cancel().catch(() => {})
    } catch {}
  }
  if (!response?.ok) {
    const status = response?.status ?? 0
    throw new EciHttpError(
      ErrorCode.HTTP_ERROR,
      `the provider serves no authorization server metadata for ${issuer} (last: HTTP ${status} from ${lastUrl})`,
      { status, response },
    )
  }

  let body: unknown
  try {
    body = await untilAborted(response.json(), signal)
  } catch (cause) {
    const name = (cause as { name?: unknown } | null)?.name
    if (name === 'AbortError' || name === 'TimeoutError') {
      throw networkError(cause, lastUrl)
    }
    throw new EciHttpError(ErrorCode.INVALID_RESPONSE, `the metadata at ${lastUrl} is not JSON`, {
      status: response.status,
      cause,
      response,
    })
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new EciConfigError(ErrorCode.INVALID_METADATA, `the metadata at ${lastUrl} is not a JSON object`)
  }
  const metadata = body as Record<string, unknown>
  if (metadata.issuer !== issuer) {
    throw new EciConfigError(
      ErrorCode.INVALID_METADATA,
      `the metadata at ${lastUrl} is for another issuer than ${issuer} (RFC 8414 section 3.3)`,
    )
  }
  checkEndpoint(metadata.authorization_endpoint, 'authorization_endpoint', allowInsecure, true)
  checkEndpoint(metadata.eci_resource, 'eci_resource', allowInsecure, false)
  checkBoolean(metadata.require_pushed_authorization_requests, 'require_pushed_authorization_requests')
  checkBoolean(
    metadata.authorization_response_iss_parameter_supported,
    'authorization_response_iss_parameter_supported',
  )
  checkStringList(metadata.authorization_details_types_supported, 'authorization_details_types_supported')
  checkStringList(metadata.code_challenge_methods_supported, 'code_challenge_methods_supported')
  checkStringList(metadata.response_types_supported, 'response_types_supported')
  checkStringList(metadata.scopes_supported, 'scopes_supported')
  return metadata as AuthorizationServerMetadata
}
