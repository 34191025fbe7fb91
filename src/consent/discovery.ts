/**
 * A small authorization server metadata fetch for browser bundles (RFC 8414, falling back to
 * OpenID Connect Discovery). The server side uses openid-client instead.
 *
 * @module
 */

import { EciConfigError, EciHttpError, EciNetworkError, ErrorCode, fetchFailure } from '../errors.js'
import { MAX_OAUTH_RESPONSE_BYTES, readBodyText } from '../http/body.js'
import {
  type AuthorizationServerMetadata,
  checkIssuer,
  checkMetadataMembers,
  requireIssuer,
} from '../protocol/metadata.js'
import { DEFAULT_TIMEOUT_MS, defaultFetch, resolveFunction, resolveSignal, resolveTimeout } from '../resolve.js'

/** The `fetch` signature the SDK calls; inject one for tests or custom transports. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export type { AuthorizationServerMetadata } from '../protocol/metadata.js'

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
  const doFetch: FetchLike = resolveFunction(options.fetch, 'fetch') ?? defaultFetch
  const timeout = resolveTimeout(options.timeout, 'timeout', DEFAULT_TIMEOUT_MS)
  const callerSignal = resolveSignal(options.signal)
  // A provider that never answers must not hang the page: the timeout always applies.
  const timeoutSignal = AbortSignal.timeout(timeout)
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal

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
      throw fetchFailure(cause, `the metadata request to ${url}`)
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

  // Bounded like every body the SDK reads: 256 KiB of decompressed bytes, within the time limit.
  let text: string
  try {
    text = await readBodyText(response, {
      timeoutMs: timeout,
      maxBytes: MAX_OAUTH_RESPONSE_BYTES,
      signal,
      what: `the metadata at ${lastUrl}`,
    })
  } catch (cause) {
    throw fetchFailure(cause, `the metadata request to ${lastUrl}`)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (cause) {
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
  checkIssuer(metadata, issuer, lastUrl)
  return checkMetadataMembers(metadata, allowInsecure)
}
