/**
 * The provider's authorization server through openid-client: discovery (RFC 8414, falling back
 * to OpenID Connect) and the authorization URL (PAR whenever the provider offers it).
 * @module
 */
import * as oidc from 'openid-client'
import { EciConfigError } from '../errors.js'
import { type ResolvedRetry, withRetries } from '../http/retry.js'
import type { AuthorizationServerMetadata } from '../protocol/metadata.js'
import { hostOf } from '../resolve.js'
import { retryOnDpopNonce } from './dpop.js'
import { fromOAuthError } from './errors.js'

/** How to reach the authorization server. */
export interface AuthorizationServerOptions {
  issuer: URL
  clientId: string
  auth: oidc.ClientAuth
  fetch: typeof fetch
  /** Per-request time limit, ms (openid-client takes seconds). */
  timeout: number
  allowInsecureRequests: boolean
  /** The SDK's retry policy (discovery is a GET: every retryable failure is retried). */
  retry: ResolvedRetry
}

/**
 * Discovers the provider's configuration: RFC 8414 first, OIDC discovery when that fails. A
 * document that names another issuer is a configuration error, not a miss.
 * @throws {EciError} as {@link fromOAuthError} maps it
 */
export async function discoverAuthorizationServer(o: AuthorizationServerOptions): Promise<oidc.Configuration> {
  const base = {
    [oidc.customFetch]: (url: string, init: oidc.CustomFetchOptions) => o.fetch(url, init as RequestInit),
    execute: o.allowInsecureRequests ? [oidc.allowInsecureRequests] : [],
    // Seconds; applies to discovery and, through the Configuration, to every OAuth request.
    timeout: Math.ceil(o.timeout / 1000),
  }
  const ctx = { consentOnInvalidGrant: false, host: o.issuer.host }
  const discover = (algorithm: 'oauth2' | 'oidc') =>
    withRetries(
      () =>
        oidc.discovery(o.issuer, o.clientId, undefined, o.auth, { ...base, algorithm }).catch((error) => {
          throw fromOAuthError(error, 'discovery', ctx)
        }),
      { policy: o.retry, what: 'The discovery' },
    )
  try {
    return await discover('oauth2')
  } catch (first) {
    // RFC 8414 first; a server with only OIDC discovery answers 404 there (Glewlwyd does).
    if (first instanceof EciConfigError) throw first
    return discover('oidc')
  }
}

/** The discovered metadata, with the ECIS members. */
export function serverMetadata(config: oidc.Configuration): AuthorizationServerMetadata {
  return config.serverMetadata() as unknown as AuthorizationServerMetadata
}

/**
 * The URL to send the customer to: a pushed authorization request (RFC 9126) whenever the
 * provider offers one, else the plain authorization URL.
 * @throws {EciError} when the PAR request fails
 */
export async function authorizationUrl(
  config: oidc.Configuration,
  params: URLSearchParams,
  options: { dpop: boolean; retry: ResolvedRetry; secrets?: readonly (string | undefined)[] },
): Promise<string> {
  const metadata = serverMetadata(config)
  if (!metadata.pushed_authorization_request_endpoint) return oidc.buildAuthorizationUrl(config, params).href
  const ctx = {
    consentOnInvalidGrant: false,
    secrets: options.secrets ?? [],
    host: hostOf(metadata.pushed_authorization_request_endpoint),
  }
  // A resent PAR request only makes another request_uri: every retryable failure is retried.
  const url = await withRetries(
    () =>
      retryOnDpopNonce(
        () =>
          oidc.buildAuthorizationUrlWithPAR(config, params).catch((error) => {
            throw fromOAuthError(error, 'pushed authorization request', ctx)
          }),
        options.dpop,
      ),
    { policy: options.retry, what: 'The pushed authorization request' },
  )
  return url.href
}
