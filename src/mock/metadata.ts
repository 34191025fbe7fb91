/**
 * RFC 8414 authorization server metadata with the ECIS members (also served as OIDC discovery).
 * @module
 */
import type { MockContext } from './context.js'
import { DPOP_ALGS, SIGNING_ALGS } from './context.js'
import { json } from './http.js'
import { ACTIONS } from './state.js'

/** The metadata document. */
export function metadataDocument(ctx: MockContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    authorization_endpoint: ctx.endpoints.authorize,
    token_endpoint: ctx.endpoints.token,
    pushed_authorization_request_endpoint: ctx.endpoints.par,
    require_pushed_authorization_requests: ctx.requirePar,
    revocation_endpoint: ctx.endpoints.revocation,
    jwks_uri: ctx.endpoints.jwks,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    revocation_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
    authorization_response_iss_parameter_supported: true,
    // A provider without RFC 9396 support (`tokenResponse: 'simple'`) does not advertise it.
    ...(ctx.supportsRar ? { authorization_details_types_supported: ['eci'] } : {}),
    scopes_supported: ACTIONS.map((a) => `eci:${a}`),
    dpop_signing_alg_values_supported: DPOP_ALGS,
    eci_resource: ctx.resource,
    eci_request_types_supported: [...ACTIONS],
    eci_request_signing_alg_values_supported: SIGNING_ALGS,
  }
}

/** `GET /.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`. */
export function handleMetadata(ctx: MockContext): Response {
  return json(metadataDocument(ctx))
}

/** `GET /jwks`: the provider's public keys. */
export async function handleJwks(ctx: MockContext): Promise<Response> {
  const { publicJwk } = await ctx.providerKey()
  return json({ keys: [publicJwk] })
}

/** The URLs the metadata is served at (RFC 8414 §3 form and the issuer-suffixed forms). */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  const urls = new Set([
    `${issuer}/.well-known/oauth-authorization-server`,
    `${issuer}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
  ])
  return [...urls]
}
