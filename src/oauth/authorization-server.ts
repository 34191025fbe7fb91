/**
 * The provider's authorization server through openid-client: discovery (RFC 8414, falling back
 * to OpenID Connect) and the authorization URL (PAR whenever the provider offers it).
 * @module
 */
import * as oidc from 'openid-client'
import type { AuthorizationServerMetadata } from '../protocol/metadata.js'
import { hostOf } from '../resolve.js'
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
  try {
    return await oidc.discovery(o.issuer, o.clientId, undefined, o.auth, { ...base, algorithm: 'oauth2' })
  } catch (first) {
    if (first instanceof oidc.ClientError && first.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      throw fromOAuthError(first, 'discovery', ctx)
    }
    try {
      return await oidc.discovery(o.issuer, o.clientId, undefined, o.auth, { ...base, algorithm: 'oidc' })
    } catch (second) {
      throw fromOAuthError(second, 'discovery', ctx)
    }
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
  dpop: oidc.DPoPHandle | undefined,
  secrets: readonly (string | undefined)[] = [],
): Promise<string> {
  const metadata = serverMetadata(config)
  try {
    const url = metadata.pushed_authorization_request_endpoint
      ? await oidc.buildAuthorizationUrlWithPAR(config, params, { DPoP: dpop })
      : oidc.buildAuthorizationUrl(config, params)
    return url.href
  } catch (error) {
    throw fromOAuthError(error, 'pushed authorization request', {
      consentOnInvalidGrant: false,
      secrets,
      host: hostOf(metadata.pushed_authorization_request_endpoint),
    })
  }
}
