/**
 * Token endpoint client authentication for openid-client, from the resolved `clientAuth`.
 * @module
 */
import * as oidc from 'openid-client'
import type { AssertionAudience, ClientAuthOption } from '../options.js'
import type { ResolvedSigningKey } from '../request/keys.js'

/**
 * The endpoint a client-authenticated request goes to, told by the parameters its body must
 * carry: every token request names its `grant_type` (RFC 6749 §4.1.3, §6), every revocation
 * request its `token` (RFC 7009 §2.1); the SDK sends no other body with client authentication
 * but the pushed authorization request (RFC 9126).
 */
function endpointOf(as: oidc.ServerMetadata, body: URLSearchParams): string | undefined {
  if (body.has('grant_type')) return as.token_endpoint
  if (body.has('token')) return as.revocation_endpoint
  return as.pushed_authorization_request_endpoint
}

/** The client assertion's `aud` for a request with `body` (see {@link AssertionAudience}). */
function audienceOf(audience: AssertionAudience, as: oidc.ServerMetadata, body: URLSearchParams): string {
  if (audience === 'endpoint') return endpointOf(as, body) ?? as.issuer
  if (audience === 'token_endpoint') return as.token_endpoint ?? as.issuer
  return as.issuer
}

/**
 * `private_key_jwt` (RFC 7523) with assertions dated by the provider's clock, as request JWTs
 * are, and addressed as `clientAuth.assertionAudience` says; `none`; or `client_secret_basic`.
 * Each call signs a new assertion (new `jti`), so a retried request never resends one.
 */
export function clientAuthentication(
  auth: ClientAuthOption,
  key: ResolvedSigningKey | undefined,
  now: () => number,
): oidc.ClientAuth {
  switch (auth.method) {
    case 'private_key_jwt': {
      const signer = { key: (key as ResolvedSigningKey).key, kid: (key as ResolvedSigningKey).kid }
      const audience = auth.assertionAudience ?? 'issuer'
      return (as, client, body, headers) =>
        oidc.PrivateKeyJwt(signer, {
          [oidc.modifyAssertion]: (_header, payload) => {
            const lifetime = Number(payload.exp) - Number(payload.iat)
            payload.aud = audienceOf(audience, as, body)
            payload.iat = Math.floor(now())
            payload.exp = payload.iat + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 60)
            if (payload.nbf !== undefined) payload.nbf = payload.iat
          },
        })(as, client, body, headers)
    }
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(auth.secret)
    default:
      return oidc.None()
  }
}
