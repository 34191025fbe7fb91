/**
 * Sets a started Glewlwyd up as an ECI Provider's authorization server, through its admin REST
 * API only: an OIDC plugin instance with PKCE (S256 required), PAR, RAR type `eci`, DPoP, RFC 8707
 * resource indicators, one-time-use (rotating) refresh tokens, RFC 9207 `iss`, revocation and
 * introspection, `private_key_jwt`; the three ECIS scopes; a customer; and the clients a test asks for.
 */
import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import type { ApiResult, GlewlwydServer } from './glewlwyd-server.js'

export const PLUGIN = 'oidc'
export const ECI_SCOPES = ['eci:basic', 'eci:invoice', 'eci:invoice_detail'] as const
/**
 * The scope a resource server's own token (client credentials) needs to introspect any token.
 * Introspection with client credentials only sees the caller's own tokens in Glewlwyd.
 */
export const INTROSPECT_SCOPE = 'eci:introspect'
/** RAR `actions` of type `eci`: the ECIS consent scopes (what the SDK sends). */
const ECI_ACTIONS = ['basic', 'invoice', 'invoice_detail']

export interface GlewlwydClient {
  clientId: string
  /** `private_key_jwt` with a registered JWKS, or a public client (`none`). */
  auth: 'private_key_jwt' | 'none' | 'client_secret_basic'
  redirectUri: string
  /** Registered public keys (request JWTs are verified with them too). */
  jwks?: { keys: JWK[] }
  /** For `client_secret_basic` only. */
  secret?: string
  /** Extra Glewlwyd authorization types, e.g. `client_credentials`. */
  authorizationTypes?: string[]
  /** Scopes the client may get for itself (client credentials). */
  scopes?: string[]
}

/** The user property that holds a customer's accounts at the provider (for RAR enrichment). */
export const ACCOUNTS_PROPERTY = 'system_account_ids'

export interface EcisRealm {
  /** The plugin's issuer: `http://127.0.0.1:port/api/oidc`. */
  issuer: string
  /** The ECI endpoint (RFC 8707 resource) tokens are issued for. */
  resource: string
  /** The customer who consents. The password is random per run. */
  customer: { username: string; password: string }
  /** The accounts the provider holds for the customer (the user record's `system_account_ids`). */
  customerAccounts: string[]
}

/** Throws with Glewlwyd's answer (never a secret: admin answers carry none) unless it is 200. */
export function expectOk(what: string, result: ApiResult): ApiResult {
  if (result.status !== 200) throw new Error(`Glewlwyd ${what}: ${result.status} ${JSON.stringify(result.body)}`)
  return result
}

/** An ES256 key pair as JWKs with a `kid`. */
export async function es256Keys(kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  return { privateJwk, publicJwk }
}

function pluginParameters(issuer: string, resource: string, signingKey: JWK) {
  const byScope = Object.fromEntries(ECI_SCOPES.map((scope) => [scope, [resource]]))
  return {
    iss: issuer,
    'jwt-type': 'ecdsa',
    'jwt-key-size': '256',
    'jwks-private': JSON.stringify({ keys: [signingKey] }),
    'default-kid': signingKey.kid,
    'jwks-show': true,
    'access-token-duration': 300,
    'refresh-token-duration': 3600,
    'code-duration': 120,
    'refresh-token-rolling': true,
    'refresh-token-one-use': 'always',
    'allow-non-oidc': true,
    'auth-type-code-enabled': true,
    'auth-type-code-revoke-replayed': true,
    'auth-type-refresh-enabled': true,
    'auth-type-token-enabled': false,
    'auth-type-client-enabled': true,
    'allowed-scope': ['openid', ...ECI_SCOPES],
    'request-parameter-allow': true,
    'client-jwks-parameter': 'jwks',
    'pkce-allowed': true,
    'pkce-method-plain-allowed': false,
    'pkce-required': true,
    'introspection-revocation-allowed': true,
    'introspection-revocation-allow-target-client': true,
    'introspection-revocation-auth-scope': [INTROSPECT_SCOPE],
    'oauth-as-iss-id': true,
    'oauth-par-allowed': true,
    'oauth-par-required': false,
    'oauth-par-request_uri-prefix': 'urn:ietf:params:oauth:request_uri:',
    'oauth-par-duration': 90,
    'oauth-rar-allowed': true,
    'rar-types-client-property': 'authorization_details_types',
    'rar-allow-auth-unsigned': true,
    'rar-allow-auth-unencrypted': true,
    'rar-types': {
      eci: {
        scopes: [...ECI_SCOPES],
        actions: ECI_ACTIONS,
        description: 'ECI accounts',
        locations: [],
        datatypes: [],
        // RAR enrichment: a request's `access: { system_account_ids: [] }` is filled from the user record.
        enriched: [ACCOUNTS_PROPERTY],
      },
    },
    'oauth-dpop-allowed': true,
    'oauth-dpop-iat-duration': 60,
    'resource-allowed': true,
    'resource-scope': byScope,
    'resource-client-property': 'resource',
    'resource-scope-and-client-property': false,
  }
}

/** Plugin, scopes and customer for tokens to `resource`. Returns the realm the clients are then added to. */
export async function provisionEcis(server: GlewlwydServer, resource: string): Promise<EcisRealm> {
  const issuer = `${server.url}/api/${PLUGIN}`
  const { privateJwk } = await es256Keys('glewlwyd-sig-1')
  for (const scope of [...ECI_SCOPES, INTROSPECT_SCOPE]) {
    expectOk(
      `scope ${scope}`,
      await server.admin('POST', '/scope/', {
        name: scope,
        display_name: scope,
        description: `ECIS ${scope}`,
        password_required: false,
        scheme: {},
      }),
    )
  }
  expectOk(
    'OIDC plugin',
    await server.admin('POST', '/mod/plugin/', {
      module: 'oidc',
      name: PLUGIN,
      display_name: 'ECIS OIDC',
      parameters: pluginParameters(issuer, resource, privateJwk),
    }),
  )
  await addAccountsProperty(server)
  const customer = { username: 'customer', password: randomBytes(18).toString('base64url') }
  const customerAccounts = ['0018-102', '0018-103']
  expectOk(
    'user',
    await server.admin('POST', '/user/', {
      username: customer.username,
      password: customer.password,
      name: 'Shared Customer',
      enabled: true,
      scope: ['g_profile', 'openid', ...ECI_SCOPES],
      [ACCOUNTS_PROPERTY]: customerAccounts,
    }),
  )
  return { issuer, resource, customer, customerAccounts }
}

/** A multi-valued user property in the database user backend (then reset, or it is not used). */
async function addAccountsProperty(server: GlewlwydServer): Promise<void> {
  const backend = expectOk('user backend', await server.admin('GET', '/mod/user/database')).body as {
    parameters: { 'data-format': Record<string, unknown> }
  }
  backend.parameters['data-format'][ACCOUNTS_PROPERTY] = {
    multiple: true,
    read: true,
    write: true,
    'profile-read': false,
    'profile-write': false,
  }
  expectOk('user backend update', await server.admin('PUT', '/mod/user/database', backend))
  expectOk('user backend reset', await server.admin('PUT', '/mod/user/database/reset'))
}

/** Registers a client as an operator would in Glewlwyd's admin UI. */
export async function addClient(server: GlewlwydServer, realm: EcisRealm, client: GlewlwydClient): Promise<void> {
  const confidential = client.auth !== 'none'
  expectOk(
    `client ${client.clientId}`,
    await server.admin('POST', '/client/', {
      client_id: client.clientId,
      name: client.clientId,
      enabled: true,
      confidential,
      ...(client.secret ? { client_secret: client.secret } : {}),
      token_endpoint_auth_method: [client.auth],
      authorization_type: ['code', 'refresh_token', ...(client.authorizationTypes ?? [])],
      redirect_uri: [client.redirectUri],
      scope: client.scopes ?? [],
      resource: [realm.resource],
      authorization_details_types: ['eci'],
      ...(client.jwks ? { jwks: client.jwks } : {}),
    }),
  )
}
