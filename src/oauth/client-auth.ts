/**
 * Token endpoint client authentication for openid-client, from the resolved `clientAuth`.
 * @module
 */
import * as oidc from 'openid-client'
import type { ClientAuthOption } from '../options.js'
import type { ResolvedSigningKey } from '../request/keys.js'

/**
 * `private_key_jwt` (RFC 7523) with assertions dated by the provider's clock, as request JWTs
 * are; `none`; or `client_secret_basic`.
 */
export function clientAuthentication(
  auth: ClientAuthOption,
  key: ResolvedSigningKey | undefined,
  now: () => number,
): oidc.ClientAuth {
  switch (auth.method) {
    case 'private_key_jwt':
      return oidc.PrivateKeyJwt(
        { key: (key as ResolvedSigningKey).key, kid: (key as ResolvedSigningKey).kid },
        {
          [oidc.modifyAssertion]: (_header, payload) => {
            const lifetime = Number(payload.exp) - Number(payload.iat)
            payload.iat = Math.floor(now())
            payload.exp = payload.iat + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 60)
            if (payload.nbf !== undefined) payload.nbf = payload.iat
          },
        },
      )
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(auth.secret)
    default:
      return oidc.None()
  }
}
