/**
 * Test helpers for the mock provider: a raw OAuth client written with jose and Web APIs only
 * (independent of the SDK), and a way to call the MSW handlers without any interception.
 */
import type { CryptoKey, JWK } from 'jose'
import { encode as base64url } from 'jose/base64url'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { SignJWT } from 'jose/jwt/sign'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { getResponse } from 'msw'
import type { MockProvider, MockProviderOptions } from '../../src/mock/index.js'
import { createMockProvider } from '../../src/mock/index.js'

export const ISSUER = 'https://auth.utility.example'
export const RESOURCE = 'https://api.utility.example/eci/v1'
export const REDIRECT = 'https://acme.example/eci/callback'
export const CLIENT_ID = 'acme-solar'
export const PUBLIC_CLIENT_ID = 'acme-cli'
/** A `state` of 128 bits (22 base64url characters), as protocol §3.2 requires. */
export const STATE = 'st-123_4fQm0HrT3yZp7Wf'

export interface ClientKey {
  privateKey: CryptoKey
  publicJwk: JWK
  kid: string
}

/** A fresh key pair with a `kid`. */
export async function makeKey(alg = 'ES256'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  return { privateKey, publicJwk: { ...publicJwk, kid, alg }, kid }
}

export interface Setup {
  provider: MockProvider
  key: ClientKey
}

/** A provider with a confidential client (`acme-solar`) and a public one (`acme-cli`), sharing `key`. */
export async function setup(options: Partial<MockProviderOptions> = {}, key?: ClientKey): Promise<Setup> {
  const k = key ?? (await makeKey())
  const provider = createMockProvider({
    issuer: ISSUER,
    resource: RESOURCE,
    clients: [
      { clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [k.publicJwk] } },
      { clientId: PUBLIC_CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [k.publicJwk] }, authMethod: 'none' },
    ],
    ...options,
  })
  return { provider, key: k }
}

/** Runs one request through the provider's handlers (no MSW interception involved). */
export async function send(provider: MockProvider, input: string | URL, init?: RequestInit): Promise<Response> {
  const response = await getResponse(provider.handlers, new Request(input, init))
  if (!response) throw new Error(`no handler for ${init?.method ?? 'GET'} ${String(input)}`)
  return response
}

export function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)))
}

export async function s256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))))
}

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomString()
  return { verifier, challenge: await s256(verifier) }
}

/** A `private_key_jwt` client assertion; `claims` override the defaults. */
export async function clientAssertion(
  key: ClientKey,
  claims: Record<string, unknown> = {},
  clientId = CLIENT_ID,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: clientId,
    sub: clientId,
    aud: ISSUER,
    jti: randomString(16),
    iat: now,
    exp: now + 60,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .sign(key.privateKey)
}

export function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(`${ISSUER}/authorize`)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
  return url.href
}

/** Default authorization parameters for `acme-solar`. */
export function authorizeParams(challenge: string, extra: Record<string, string | undefined> = {}) {
  return {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    state: STATE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'eci:basic eci:invoice eci:invoice_detail',
    resource: RESOURCE,
    ...extra,
  }
}

/** Runs `/authorize` and returns the redirect's query parameters. */
export async function authorize(
  provider: MockProvider,
  params: Record<string, string | undefined>,
): Promise<{ response: Response; query: URLSearchParams }> {
  const response = await send(provider, authorizeUrl(params))
  const location = response.headers.get('Location')
  return { response, query: location ? new URL(location).searchParams : new URLSearchParams() }
}

export async function postForm(
  provider: MockProvider,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return send(provider, url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  })
}

export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in: number
  refresh_token: string
  scope: string
  authorization_details: { type: string; system_account_ids: string[]; actions: string[] }[]
  system_account_ids: string[]
}

/** Authorizes and exchanges the code; returns the token response. */
export async function grant(
  { provider, key }: Setup,
  extra: Record<string, string | undefined> = {},
  tokenHeaders: Record<string, string> = {},
): Promise<TokenResponse> {
  const { verifier, challenge } = await pkce()
  const { query } = await authorize(provider, authorizeParams(challenge, extra))
  const code = query.get('code')
  if (!code) throw new Error(`authorization failed: ${query.get('error')}`)
  const response = await postForm(
    provider,
    `${ISSUER}/token`,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(key),
    },
    tokenHeaders,
  )
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`)
  return (await response.json()) as TokenResponse
}

export interface RequestJwtInput {
  key: ClientKey
  accessToken: string
  claims: Record<string, unknown>
  header?: Record<string, unknown>
  payload?: Record<string, unknown>
}

/** A signed ECI request JWT; `payload` overrides any default claim. */
export async function requestJwt({ key, accessToken, claims, header, payload }: RequestJwtInput): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const body = {
    iss: CLIENT_ID,
    aud: RESOURCE,
    iat: now,
    exp: now + 60,
    jti: randomString(16),
    ath: await s256(accessToken),
    ...claims,
    ...payload,
  }
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete (body as Record<string, unknown>)[k]
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'eci-request+jwt', ...header })
    .sign(key.privateKey)
}

/** POSTs a request JWT to the ECI endpoint. */
export async function eci(
  provider: MockProvider,
  accessToken: string,
  jwt: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return send(provider, RESOURCE, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/jwt', ...headers },
    body: jwt,
  })
}

/** Signs and sends one ECI request. */
export async function eciCall(
  s: Setup,
  accessToken: string,
  claims: Record<string, unknown>,
  overrides: Omit<RequestJwtInput, 'key' | 'accessToken' | 'claims'> = {},
): Promise<Response> {
  return eci(s.provider, accessToken, await requestJwt({ key: s.key, accessToken, claims, ...overrides }))
}
