/**
 * Token endpoint client authentication for openid-client, from the resolved `clientAuth`. The SDK
 * signs `private_key_jwt` assertions itself (openid-client's `ClientAuth` is a plain function), so
 * a key in a KMS or HSM signs them as it signs request JWTs. The same step adds the DPoP proof of
 * token and PAR requests (see `dpop.ts` in this folder).
 * @module
 */
import type * as oidc from 'openid-client'
import { ClientSecretBasic, None } from 'openid-client'
import type { AssertionAudience, ClientAuthOption } from '../options.js'
import type { ResolvedSigningKey } from '../request/keys.js'
import { newJti, signCompactJws } from '../request/sign.js'

/** Lifetime of a client assertion, seconds. */
const ASSERTION_TTL = 60

/**
 * The endpoint a client-authenticated request goes to, told by the parameters its body must
 * carry: every token request names its `grant_type` (RFC 6749 §4.1.3, §6), every revocation
 * request its `token` (RFC 7009 §2.1); the SDK sends no other body with client authentication
 * but the pushed authorization request (RFC 9126).
 */
export function endpointOf(as: oidc.ServerMetadata, body: URLSearchParams): string | undefined {
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
      const signer = key as ResolvedSigningKey
      const audience = auth.assertionAudience ?? 'issuer'
      return async (as, client, body) => {
        const iat = Math.floor(now())
        const header = { alg: signer.alg, kid: signer.kid }
        const payload = {
          iss: client.client_id,
          sub: client.client_id,
          aud: audienceOf(audience, as, body),
          jti: newJti(),
          iat,
          nbf: iat,
          exp: iat + ASSERTION_TTL,
        }
        body.set('client_id', client.client_id)
        body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        body.set('client_assertion', await signCompactJws(header, payload, signer))
      }
    }
    case 'client_secret_basic':
      return ClientSecretBasic(auth.secret)
    default:
      return None()
  }
}
