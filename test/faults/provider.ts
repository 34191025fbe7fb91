/**
 * The hostile provider's conformant parts (metadata, a token endpoint that works) and the ways the
 * suite reaches it through the public API: `EciConsumer.discover`, `createEciClient`, sessions on
 * grants, the consent entry's `beginConsent`.
 */
import { SignJWT } from 'jose'
import { beginConsent, memoryStore } from '../../src/consent/index.js'
import { createEciClient, EciConsumer, type EciConsumerOptions, type Grant } from '../../src/index.js'
import { type Behaviour, json } from '../support/hostile-server.js'
import type { World } from './harness.js'

export const CLIENT_ID = 'acme-solar'
export const ACCOUNT = '0018-102'
export const INVOICE = '09183eef267'
/** Secrets the suite itself holds (the hostile provider "issued" them). */
export const ACCESS_TOKEN = 'at-faults-0123456789abcdef-SECRET'
export const REFRESH_TOKEN = 'rt-faults-0123456789abcdef-SECRET'
export const NEW_ACCESS_TOKEN = 'at-faults-rotated-0123456789-SECRET'
export const NEW_REFRESH_TOKEN = 'rt-faults-rotated-0123456789-SECRET'
export const CODE = 'code-faults-0123456789abcdef-SECRET'
export const VERIFIER = 'verifier-faults-0123456789abcdef0123456789-SECRET'

/** Time limits of every case: small, so no case waits on the 30 s default. */
export const TIMEOUT_MS = 500
export const RETRY = { limit: 2, backoffLimit: 20 } as const

/** Metadata of a conformant provider at `base` (all endpoints on it). */
export function metadataAt(base: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    eci_resource: `${base}/eci`,
    code_challenge_methods_supported: ['S256'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    ...over,
  }
}

/** Serves `metadata` at the RFC 8414 location (the OIDC one stays 404 unless `both`). */
export function serveMetadata(w: World, over: Record<string, unknown> = {}, base = w.server.url): void {
  w.server.on('/.well-known/oauth-authorization-server', json(200, metadataAt(base, over)))
}

/** Arms both metadata locations with `behaviour`. */
export function metadataBehaviour(w: World, behaviour: Behaviour): void {
  w.server.on('/.well-known/oauth-authorization-server', behaviour)
  w.server.on('/.well-known/openid-configuration', behaviour)
}

export function tokenBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_token: NEW_ACCESS_TOKEN,
    token_type: 'Bearer',
    expires_in: 3600,
    refresh_token: NEW_REFRESH_TOKEN,
    scope: 'eci:basic',
    system_account_ids: [ACCOUNT],
    ...over,
  }
}

/** Registers the suite's own secrets with the collector. */
export function knownSecrets(w: World): void {
  for (const [label, value] of Object.entries({
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    CODE,
    VERIFIER,
  }))
    w.secret(label, value)
  w.collector.key('client key', w.keys.privateJwk as Record<string, unknown>)
}

/** An `https:` issuer in front of the loopback server: the consumer's `fetch` maps the origin. */
export const HTTPS_ISSUER = 'https://idp.hostile.test'

export function httpsFetch(w: World): typeof fetch {
  return (input, init) => {
    const url = String(input instanceof Request ? input.url : input)
    const mapped = url.startsWith(HTTPS_ISSUER) ? w.server.url + url.slice(HTTPS_ISSUER.length) : url
    return input instanceof Request ? fetch(new Request(mapped, input), init) : fetch(mapped, init)
  }
}

/** `EciConsumer.discover` against the hostile server, with the suite's small limits. */
export async function discover(w: World, options: Partial<EciConsumerOptions> = {}): Promise<EciConsumer> {
  knownSecrets(w)
  return EciConsumer.discover({
    issuer: w.server.url,
    clientId: CLIENT_ID,
    clientAuth: { method: 'private_key_jwt', key: w.keys.privateJwk },
    redirectUri: 'http://127.0.0.1/callback',
    allowInsecureRequests: true,
    retry: RETRY,
    timeout: TIMEOUT_MS,
    onDeviation: w.deviation,
    ...options,
  })
}

/** A consumer on conformant metadata (`over` changes members), ready before `w.start()`. */
export async function consumer(
  w: World,
  over: Record<string, unknown> = {},
  options: Partial<EciConsumerOptions> = {},
): Promise<EciConsumer> {
  serveMetadata(w, over)
  return discover(w, options)
}

/** A grant for the hostile provider; expired unless `fresh`, so the first call refreshes. */
export function grantFor(w: World, { fresh = false, refresh = true } = {}): Grant {
  const now = Math.floor(Date.now() / 1000)
  return {
    issuer: w.server.url,
    clientId: CLIENT_ID,
    resource: `${w.server.url}/eci`,
    accessToken: ACCESS_TOKEN,
    tokenType: 'Bearer',
    expiresAt: fresh ? now + 3600 : now - 10,
    issuedAt: fresh ? now : now - 3610,
    ...(refresh ? { refreshToken: REFRESH_TOKEN } : {}),
    scopes: ['eci:basic', 'eci:invoice'],
    accounts: [ACCOUNT],
  }
}

/** `createEciClient` on the hostile ECI endpoint, with a static access token. */
export function eciClient(w: World, options: Partial<Parameters<typeof createEciClient>[0]> = {}) {
  knownSecrets(w)
  return createEciClient({
    resource: `${w.server.url}/eci`,
    allowInsecureRequests: true,
    clientId: CLIENT_ID,
    signingKey: w.keys.privateJwk,
    accessToken: ACCESS_TOKEN,
    timeout: TIMEOUT_MS,
    retry: RETRY,
    onDeviation: w.deviation,
    ...options,
  })
}

/** The consent entry's `beginConsent` (the browser flow) against the hostile provider. */
export function consentEntry(w: World, options: Partial<Parameters<typeof beginConsent>[0]> = {}) {
  knownSecrets(w)
  return beginConsent({
    issuer: w.server.url,
    clientId: CLIENT_ID,
    redirectUri: 'http://127.0.0.1/callback',
    scopes: ['basic'],
    store: memoryStore(),
    allowInsecureRequests: true,
    timeout: TIMEOUT_MS,
    ...options,
  })
}

/** A response JWT signed by the provider's key (for the signed-response and JWKS cases). */
export async function signedResponse(w: World, payload: Record<string, unknown>): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: 'faults-provider' })
    .setIssuer(w.server.url)
    .setAudience(CLIENT_ID)
    .setIssuedAt()
    .sign(w.keys.providerPrivate)
}
