/**
 * Options of {@link EciConsumer.discover}, normalised once into a frozen object.
 * @module
 */

import { type ConsentScope, resolveScopeNames } from './consent/scopes.js'
import { DEFAULT_CONSENT_TTL } from './consent/transaction.js'
import type { ResolvedRetry, RetryOptions } from './http/retry.js'
import { requireHttpsUrl, requireIssuer, requireRedirectUri } from './protocol/metadata.js'
import { resolveRequestOptions } from './request/client-options.js'
import type { DpopKeyInput } from './request/dpop.js'
import type { SigningKeyInput } from './request/keys.js'
import { badOption, resolveNonEmptyString, resolveSeconds } from './resolve.js'
import type { Deviation, ValidationMode } from './schemas/parse.js'
import type { ResolvedTelemetry, TelemetryOptions } from './telemetry.js'

/**
 * How the consumer authenticates at the token endpoint.
 * - `private_key_jwt` (RFC 7523): the ECIS way for confidential clients.
 * - `none`: public clients (PKCE only); they still sign ECI requests with `signingKey`.
 * - `client_secret_basic`: only for providers that do not yet offer `private_key_jwt`;
 *   not ECIS-conformant.
 */
export type ClientAuthOption =
  | {
      method: 'private_key_jwt'
      /** The client's private key: private JWK, PKCS8 PEM, private `CryptoKey` or a `RemoteSigner` (KMS, HSM). */
      key: SigningKeyInput
      /** Algorithm of `key` (RSA keys). @default from the key; PS256 for RSA */
      alg?: string
      /** `kid` of `key`. @default the JWK's kid, else its RFC 7638 thumbprint */
      kid?: string
      /**
       * The client assertion's `aud`.
       * @default 'issuer'
       */
      assertionAudience?: AssertionAudience
    }
  | { method: 'none' }
  | { method: 'client_secret_basic'; secret: string }

/**
 * The `aud` of `private_key_jwt` client assertions:
 * - `'issuer'`: the issuer identifier, for every endpoint (the ECIS profile; RFC 7523bis).
 * - `'endpoint'`: the URL of the endpoint called — token, PAR or revocation — which Glewlwyd,
 *   Okta and Microsoft Entra require.
 * - `'token_endpoint'`: the token endpoint's URL for every call (older RFC 7523 readings).
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-rfc7523bis/
 */
export type AssertionAudience = 'issuer' | 'endpoint' | 'token_endpoint'

const ASSERTION_AUDIENCES: readonly AssertionAudience[] = ['issuer', 'endpoint', 'token_endpoint']

/**
 * DPoP (RFC 9449): `true` for an in-memory key; `{ key }` for a key the app persists (a private
 * JWK, a `CryptoKeyPair` or a `RemoteSigner`); `{ keys: [next, current, …] }` while rotating it:
 * new tokens are bound to the first key, and a grant bound to another listed key keeps using that
 * key until its next refresh binds the first.
 * @see docs/keys.md (rotating the DPoP key)
 */
export type DpopOption =
  | boolean
  | { key: Exclude<DpopKeyInput, true> }
  | { keys: readonly [Exclude<DpopKeyInput, true>, ...Exclude<DpopKeyInput, true>[]] }

/** Options of {@link EciConsumer.discover}. */
export interface EciConsumerOptions extends TelemetryOptions {
  /**
   * The provider's authorization server issuer identifier; its metadata is read from RFC 8414's
   * well-known URL, falling back to OpenID Connect discovery.
   * @see https://www.rfc-editor.org/rfc/rfc8414
   */
  issuer: string | URL
  /** The ECI Consumer's `client_id` at the provider. */
  clientId: string
  /**
   * Token endpoint authentication.
   * @default { method: 'private_key_jwt', key: signingKey, assertionAudience: 'issuer' }
   * @see https://www.rfc-editor.org/rfc/rfc7523 (private_key_jwt)
   */
  clientAuth?: ClientAuthOption
  /**
   * Key that signs ECI request JWTs: private JWK, PKCS8 PEM, private CryptoKey or a
   * `RemoteSigner` (KMS, HSM).
   * @default clientAuth.key
   */
  signingKey?: SigningKeyInput
  /**
   * The request-signing keys while rotating: `[next, current, …]`. The first signs (and is the
   * default `clientAuth.key`); every key is checked at discovery, and all belong in the JWKS the
   * provider knows (`publicJwks(signingKeys)`). Instead of `signingKey`, `signingAlg` and
   * `signingKid` (each key carries its own `alg` and `kid`).
   * @see docs/keys.md (rotation)
   */
  signingKeys?: readonly [SigningKeyInput, ...SigningKeyInput[]]
  /** Algorithm of `signingKey` (RSA keys). @default from the key; PS256 for RSA */
  signingAlg?: string
  /** `kid` of `signingKey`. @default the JWK's kid, else its thumbprint */
  signingKid?: string
  /**
   * Where the provider sends the customer back after consent; required for consent.
   * @default undefined (beginConsent and completeConsent refuse to run without it)
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
   */
  redirectUri?: string
  /**
   * The ECI endpoint (`eci_resource`), also the RFC 8707 resource indicator of every token.
   * @default the provider metadata's `eci_resource`
   * @see https://www.rfc-editor.org/rfc/rfc8707
   */
  resource?: string
  /** Provider-specific scope strings. @default { basic: 'eci:basic', invoice: 'eci:invoice', invoice_detail: 'eci:invoice_detail' } */
  scopeNames?: Partial<Record<ConsentScope, string>>
  /**
   * `fetch` for every request — discovery, PAR, token, revocation, JWKS and ECI calls (tests,
   * proxies, instrumentation); without it, `globalThis.fetch` as it is at call time.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /** Deadline of each attempt of every request (headers and body), ms. @default 30_000 */
  timeout?: number
  /**
   * Retry policy of every request (ECI and OAuth calls); each attempt is a new request.
   * @default { limit: 2, backoffLimit: 10_000, maxRetryAfter: 60_000, retryOnTimeout: true }
   * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 (Retry-After)
   */
  retry?: number | RetryOptions
  /**
   * `'strict'` rejects wrong types and formats; `'lenient'` coerces the common deviations
   * (numeric strings, date-times) and reports each to `onDeviation`.
   * @default 'strict'
   */
  validation?: ValidationMode
  /** Called for every deviation from the canonical ECIS form found in a response. */
  onDeviation?: (deviation: Deviation) => void
  /**
   * Sender-constrain tokens with DPoP.
   * @default false
   * @see https://www.rfc-editor.org/rfc/rfc9449
   */
  dpop?: DpopOption
  /** Allow `http:` URLs (local test providers only). @default false */
  allowInsecureRequests?: boolean
  /** Lifetime of request JWTs, seconds (1–300). @default 60 */
  requestJwtExpiresIn?: number
  /** Lifetime of consent transactions, seconds. @default 600 */
  consentTtl?: number
  /**
   * Seconds the provider keeps accepting the previous refresh token after rotating it (its
   * "reuse interval", as Auth0, Cognito and Hydra offer). With it, a refresh whose outcome is
   * unknown (connection reset after sending, timeout) is sent again; without it (0), it is not,
   * because a resent refresh token can make the provider revoke the whole grant.
   * @default 0
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation)
   */
  refreshReuseWindow?: number
}

/** {@link EciConsumerOptions} checked, with every default applied. The raw object is not kept. @internal */
export interface ResolvedConsumerOptions {
  readonly issuer: URL
  /** The issuer as configured: the metadata's `issuer` must equal it exactly (RFC 8414 §3.3). */
  readonly issuerId: string
  readonly clientId: string
  readonly clientAuth: ClientAuthOption
  readonly signingKey: SigningKeyInput
  /** Every configured signing key, the signing one first. */
  readonly signingKeys: readonly SigningKeyInput[]
  readonly signingAlg: string | undefined
  readonly signingKid: string | undefined
  readonly redirectUri: string | undefined
  readonly resource: string | undefined
  readonly scopeNames: Readonly<Record<ConsentScope, string>>
  readonly fetch: typeof fetch
  readonly timeout: number
  readonly retry: ResolvedRetry
  readonly validation: ValidationMode
  readonly onDeviation: ((deviation: Deviation) => void) | undefined
  /** DPoP keys, the one new tokens are bound to first. */
  readonly dpop: false | true | { readonly keys: readonly Exclude<DpopKeyInput, true>[] }
  readonly allowInsecureRequests: boolean
  readonly requestJwtExpiresIn: number
  readonly consentTtl: number
  readonly refreshReuseWindow: number
  readonly telemetry: ResolvedTelemetry
}

/** Checks `clientAuth` (defaulting to private_key_jwt with `signingKey`). @internal */
export function resolveClientAuth(
  options: Pick<EciConsumerOptions, 'clientAuth'>,
  signingKey?: SigningKeyInput | undefined,
): ClientAuthOption {
  const clientAuth = options.clientAuth
  if (clientAuth === undefined) {
    if (signingKey === undefined || signingKey === null) throw badOption('Give `clientAuth` or `signingKey`')
    return { method: 'private_key_jwt', key: signingKey }
  }
  switch (clientAuth?.method) {
    case 'private_key_jwt':
      if (clientAuth.key === undefined || clientAuth.key === null)
        throw badOption('`clientAuth.key` is required for private_key_jwt')
      if (clientAuth.assertionAudience !== undefined && !ASSERTION_AUDIENCES.includes(clientAuth.assertionAudience)) {
        throw badOption('`clientAuth.assertionAudience` must be "issuer", "endpoint" or "token_endpoint"')
      }
      return clientAuth
    case 'client_secret_basic':
      if (typeof clientAuth.secret !== 'string' || clientAuth.secret.length === 0) {
        throw badOption('`clientAuth.secret` is required for client_secret_basic')
      }
      return clientAuth
    case 'none':
      return clientAuth
    default:
      throw badOption('`clientAuth.method` must be "private_key_jwt", "none" or "client_secret_basic"')
  }
}

function resolveDpop(dpop: unknown): ResolvedConsumerOptions['dpop'] {
  if (dpop === undefined || dpop === false) return false
  if (dpop === true) return true
  const given = dpop as { key?: unknown; keys?: unknown } | null
  const keys = Array.isArray(given?.keys) ? given.keys : given?.key === undefined ? undefined : [given.key]
  if (!keys || keys.length === 0 || keys.some((k) => k === null || typeof k !== 'object')) {
    throw badOption(
      '`dpop` must be true, false, { key } or { keys: [next, current] } with private JWKs, CryptoKeyPairs or RemoteSigners',
    )
  }
  return Object.freeze({ keys: Object.freeze([...keys]) as Exclude<DpopKeyInput, true>[] })
}

/** `signingKeys` (the first signs) or `signingKey`, never both. */
function resolveSigningKeys(options: EciConsumerOptions): readonly SigningKeyInput[] | undefined {
  const { signingKeys } = options
  if (signingKeys === undefined) return undefined
  if (
    !Array.isArray(signingKeys) ||
    signingKeys.length === 0 ||
    signingKeys.some((k) => k === null || k === undefined)
  ) {
    throw badOption('`signingKeys` must be a non-empty array of keys: [next, current, …]')
  }
  if (options.signingKey !== undefined || options.signingAlg !== undefined || options.signingKid !== undefined) {
    throw badOption('Give `signingKeys` or `signingKey` (with `signingAlg`/`signingKid`), not both')
  }
  return Object.freeze([...signingKeys])
}

function resolveReuseWindow(value: unknown): number {
  if (value === undefined || value === 0) return 0
  return resolveSeconds(value, 'refreshReuseWindow', 0)
}

/**
 * Checks every option of {@link EciConsumer.discover} once and settles it, defaults applied.
 * @throws {EciConfigError} `INVALID_OPTION` naming the option as the user wrote it. @internal
 */
export function normalizeConsumerOptions(options: EciConsumerOptions): ResolvedConsumerOptions {
  if (options === null || typeof options !== 'object') throw badOption('EciConsumer.discover needs an options object')
  const request = resolveRequestOptions(options)
  const insecure = request.allowInsecureRequests
  const signingKeys = resolveSigningKeys(options)
  const clientAuth = resolveClientAuth(options, signingKeys?.[0] ?? options.signingKey)
  const fromAuth = clientAuth.method === 'private_key_jwt' ? clientAuth : undefined
  const signingKey = signingKeys?.[0] ?? options.signingKey ?? fromAuth?.key
  if (signingKey === undefined || signingKey === null) {
    throw badOption(
      '`signingKey` is required: ECI requests are signed JWTs (it defaults to clientAuth.key for private_key_jwt)',
    )
  }
  return Object.freeze({
    ...request,
    issuer: requireIssuer(options.issuer, insecure),
    issuerId: String(options.issuer),
    clientId: resolveNonEmptyString(options.clientId, 'clientId'),
    clientAuth,
    signingKey,
    signingKeys: signingKeys ?? [signingKey],
    signingAlg: options.signingAlg ?? fromAuth?.alg,
    signingKid: options.signingKid ?? fromAuth?.kid,
    redirectUri: options.redirectUri === undefined ? undefined : requireRedirectUri(options.redirectUri, insecure).href,
    resource: options.resource === undefined ? undefined : requireHttpsUrl(options.resource, 'resource', insecure).href,
    scopeNames: resolveScopeNames(options.scopeNames),
    dpop: resolveDpop(options.dpop),
    consentTtl: resolveSeconds(options.consentTtl, 'consentTtl', DEFAULT_CONSENT_TTL),
    refreshReuseWindow: resolveReuseWindow(options.refreshReuseWindow),
  })
}
