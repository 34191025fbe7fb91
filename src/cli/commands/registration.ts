/**
 * `ecis registration`: what a utility's onboarding asks for, as RFC 7591 client metadata built
 * from the client's own key files: redirect URIs, `private_key_jwt` with the key's algorithm, the
 * public JWKS (or the `jwks_uri` serving it), the ECIS scopes, RAR and DPoP. docs/registration.md
 * walks through it.
 */
import { requireRedirectUri } from '../../protocol/metadata.js'
import { publicJwks } from '../../request/jwks.js'
import { parse, positionals } from '../args.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { readPrivateKey, rememberKey } from '../keys.js'

export const REGISTRATION_USAGE = `Usage: ecis registration --key FILE --redirect-uri URI [options]

Prints the client registration (RFC 7591 client metadata, JSON) to send a utility (ECI
Provider): the exact redirect URIs, private_key_jwt with your key's algorithm, your public JWKS,
the ECIS scopes, and what you use of RAR and DPoP. Nothing is sent anywhere; a checklist of what
to ask the utility for goes to stderr. See docs/registration.md.

Options:
  --key FILE               your private key file (JWK or PEM); repeat while rotating: every key
                           is published, the first is the one the SDK signs with
  --redirect-uri URI       a redirect URI, exactly as your app sends it (repeatable)
  --client-name NAME       the name customers see on the consent page
  --jwks-uri URL           publish your keys at this URL instead of sending the JWKS
  --public                 a public client (token_endpoint_auth_method none; it still signs
                           ECI request JWTs with --key)
  --dpop                   ask for DPoP-bound tokens (dpop_bound_access_tokens)
  --scope SCOPES           space-separated scopes (default "eci:basic eci:invoice eci:invoice_detail")
  --allow-insecure         accept http: redirect URIs other than loopback (test providers only)
`

const SCOPES = 'eci:basic eci:invoice eci:invoice_detail'

export async function registrationCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    {
      key: { type: 'string', multiple: true },
      'redirect-uri': { type: 'string', multiple: true },
      'client-name': { type: 'string' },
      'jwks-uri': { type: 'string' },
      public: { type: 'boolean' },
      dpop: { type: 'boolean' },
      scope: { type: 'string' },
      'allow-insecure': { type: 'boolean' },
    },
    REGISTRATION_USAGE,
  )
  positionals(rest, [], REGISTRATION_USAGE)
  if (!values.key?.length) throw new UsageError('--key is required', REGISTRATION_USAGE)
  if (!values['redirect-uri']?.length) throw new UsageError('--redirect-uri is required', REGISTRATION_USAGE)
  const insecure = values['allow-insecure'] === true
  const redirectUris = values['redirect-uri'].map((uri) => requireRedirectUri(uri, insecure, '--redirect-uri').href)
  const jwksUri = values['jwks-uri']
  if (jwksUri !== undefined && !(URL.canParse(jwksUri) && new URL(jwksUri).protocol === 'https:')) {
    throw new UsageError('--jwks-uri must be an https: URL', REGISTRATION_USAGE)
  }
  const keys = []
  for (const path of values.key) {
    const key = await readPrivateKey(path)
    rememberKey(io, key)
    keys.push(key)
  }
  const jwks = await publicJwks(keys)
  const alg = jwks.keys[0]?.alg as string
  const metadata = {
    ...(values['client-name'] ? { client_name: values['client-name'] } : {}),
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: values.public ? 'none' : 'private_key_jwt',
    ...(values.public ? {} : { token_endpoint_auth_signing_alg: alg }),
    ...(jwksUri ? { jwks_uri: jwksUri } : { jwks }),
    scope: values.scope ?? SCOPES,
    authorization_details_types: ['eci'],
    ...(values.dpop ? { dpop_bound_access_tokens: true } : {}),
  }
  json(io.stdout, metadata)
  line(io.stderr, 'ecis: send this to the utility, and ask it for:')
  line(io.stderr, '  - your client_id, and its issuer URL (discovery: /.well-known/oauth-authorization-server)')
  line(
    io.stderr,
    `  - that it accepts ${alg} for client assertions and request JWTs (eci_request_signing_alg_values_supported)`,
  )
  line(io.stderr, '  - its eci_resource, and whether it requires PAR or DPoP')
  if (jwksUri) {
    line(io.stderr, `  - that it reads ${jwksUri} and fetches it again for an unknown kid; serve it with jwksHandler()`)
  }
  return 0
}
