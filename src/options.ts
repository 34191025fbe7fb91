/**
 * Options of {@link EciConsumer.discover}, normalised once into a frozen object.
 * @module
 */
import type { ConsentScope } from './consent/scopes.js'
import { EciConfigError, ErrorCode } from './errors.js'
import type { SigningKeyInput } from './request/keys.js'
import type { RetryOptions } from './request/retry.js'
import type { Deviation, ValidationMode } from './schemas/parse.js'

/**
 * How the consumer authenticates at the token endpoint.
 * - `private_key_jwt` (RFC 7523): the ECIS way for confidential clients.
 * - `none`: public clients (PKCE only); they still sign ECI requests with `signingKey`.
 * - `client_secret_basic`: only for providers that do not yet offer `private_key_jwt`;
 *   not ECIS-conformant.
 */
export type ClientAuthOption =
  | { method: 'private_key_jwt'; key: SigningKeyInput; alg?: string; kid?: string }
  | { method: 'none' }
  | { method: 'client_secret_basic'; secret: string }

/** DPoP (RFC 9449): `true` for an in-memory key, or a key pair the app persists. */
export type DpopOption = boolean | { key: CryptoKeyPair | JsonWebKey }

/** Options of {@link EciConsumer.discover}. */
export interface EciConsumerOptions {
  /** The provider's authorization server issuer identifier (RFC 8414 / OIDC discovery). */
  issuer: string | URL
  /** The ECI Consumer's `client_id` at the provider. */
  clientId: string
  /**
   * Token endpoint authentication.
   * @default { method: 'private_key_jwt', key: signingKey }
   */
  clientAuth?: ClientAuthOption
  /** Key that signs ECI request JWTs: private JWK, PKCS8 PEM or private CryptoKey. @default clientAuth.key */
  signingKey?: SigningKeyInput
  /** Algorithm of `signingKey` (RSA keys). @default from the key; PS256 for RSA */
  signingAlg?: string
  /** `kid` of `signingKey`. @default the JWK's kid, else its thumbprint */
  signingKid?: string
  /** Where the provider sends the customer back after consent. Required for consent. */
  redirectUri?: string
  /** The ECI endpoint (`eci_resource`). @default the provider metadata's `eci_resource` */
  resource?: string
  /** Provider-specific scope strings. @default { basic: 'eci:basic', invoice: 'eci:invoice', invoice_detail: 'eci:invoice_detail' } */
  scopeNames?: Partial<Record<ConsentScope, string>>
  /** `fetch` for every request (tests, proxies). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** Per-attempt timeout of ECI calls, ms. @default 30_000 */
  timeout?: number
  /** Retry policy of ECI calls. @default { limit: 2 } */
  retry?: number | RetryOptions
  /** @default 'strict' */
  validation?: ValidationMode
  /** Called for every deviation from the canonical ECIS form found in a response. */
  onDeviation?: (deviation: Deviation) => void
  /** Sender-constrain tokens with DPoP (RFC 9449). @default false */
  dpop?: DpopOption
  /** Allow `http:` URLs (local test providers only). @default false */
  allowInsecureRequests?: boolean
  /** Lifetime of request JWTs, seconds (1–300). @default 60 */
  requestJwtExpiresIn?: number
  /** Lifetime of consent transactions, seconds. @default 600 */
  consentTtl?: number
}

/** {@link EciConsumerOptions} checked and settled. @internal */
export interface ResolvedConsumerOptions {
  readonly issuer: URL
  readonly clientId: string
  readonly clientAuth: ClientAuthOption
  readonly signingKey: SigningKeyInput
  readonly signingAlg: string | undefined
  readonly signingKid: string | undefined
  readonly redirectUri: string | undefined
  readonly resource: string | undefined
  readonly options: EciConsumerOptions
}

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, message)
}

/** Parses and checks a URL option. @internal */
export function url(value: unknown, name: string, allowInsecure: boolean, loopbackHttpOk = false): URL {
  let parsed: URL
  try {
    parsed = new URL(String(value))
  } catch {
    throw bad(`\`${name}\` must be an absolute URL`)
  }
  if (typeof value !== 'string' && !(value instanceof URL)) throw bad(`\`${name}\` must be a URL string`)
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)
  if (parsed.protocol === 'http:' && !allowInsecure && !(loopbackHttpOk && loopback)) {
    throw bad(`\`${name}\` uses http://; pass allowInsecureRequests: true for a local test provider`)
  }
  const privateUse = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(parsed.protocol) // RFC 8252 §7.1: reverse DNS
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:' && !(loopbackHttpOk && privateUse)) {
    throw bad(
      `\`${name}\` must be an https:// URL${loopbackHttpOk ? ', loopback http:// or a reverse-DNS app scheme' : ''}`,
    )
  }
  if (parsed.hash) throw bad(`\`${name}\` must not have a fragment`)
  return parsed
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** Checks a millisecond timeout option. @internal */
export function checkTimeout(value: unknown, name = 'timeout'): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw bad(`\`${name}\` must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS})`)
  }
  return value
}

/** Checks every option once; throws {@link EciConfigError} with a clear message. @internal */
export function normalizeConsumerOptions(options: EciConsumerOptions): ResolvedConsumerOptions {
  if (options === null || typeof options !== 'object') throw bad('EciConsumer.discover needs an options object')
  const insecure = options.allowInsecureRequests === true
  const issuer = url(options.issuer, 'issuer', insecure)
  if (typeof options.clientId !== 'string' || options.clientId.length === 0)
    throw bad('`clientId` must be a non-empty string')
  const clientAuth: ClientAuthOption =
    options.clientAuth ??
    (options.signingKey !== undefined
      ? { method: 'private_key_jwt', key: options.signingKey }
      : (() => {
          throw bad('Give `clientAuth` or `signingKey`')
        })())
  switch (clientAuth?.method) {
    case 'private_key_jwt':
      if (clientAuth.key === undefined || clientAuth.key === null)
        throw bad('`clientAuth.key` is required for private_key_jwt')
      break
    case 'client_secret_basic':
      if (typeof clientAuth.secret !== 'string' || clientAuth.secret.length === 0) {
        throw bad('`clientAuth.secret` is required for client_secret_basic')
      }
      break
    case 'none':
      break
    default:
      throw bad('`clientAuth.method` must be "private_key_jwt", "none" or "client_secret_basic"')
  }
  const signingKey = options.signingKey ?? (clientAuth.method === 'private_key_jwt' ? clientAuth.key : undefined)
  if (signingKey === undefined || signingKey === null) {
    throw bad(
      '`signingKey` is required: ECI requests are signed JWTs (it defaults to clientAuth.key for private_key_jwt)',
    )
  }
  // Redirect URIs may be loopback http (RFC 8252) or private-use schemes for native apps.
  const redirectUri =
    options.redirectUri === undefined ? undefined : url(options.redirectUri, 'redirectUri', insecure, true).href
  const resource = options.resource === undefined ? undefined : url(options.resource, 'resource', insecure).href
  if (options.validation !== undefined && options.validation !== 'strict' && options.validation !== 'lenient') {
    throw bad('`validation` must be "strict" or "lenient"')
  }
  if (options.onDeviation !== undefined && typeof options.onDeviation !== 'function')
    throw bad('`onDeviation` must be a function')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw bad('`fetch` must be a function')
  checkTimeout(options.timeout)
  const dpop = options.dpop
  if (
    dpop !== undefined &&
    typeof dpop !== 'boolean' &&
    !(dpop !== null && typeof dpop === 'object' && dpop.key !== null && typeof dpop.key === 'object')
  ) {
    throw bad('`dpop` must be true, false or { key } with a private JWK or CryptoKeyPair')
  }
  if (options.consentTtl !== undefined && !(Number.isFinite(options.consentTtl) && options.consentTtl > 0)) {
    throw bad('`consentTtl` must be a positive number of seconds')
  }
  return Object.freeze({
    issuer,
    clientId: options.clientId,
    clientAuth,
    signingKey,
    signingAlg: options.signingAlg ?? (clientAuth.method === 'private_key_jwt' ? clientAuth.alg : undefined),
    signingKid: options.signingKid ?? (clientAuth.method === 'private_key_jwt' ? clientAuth.kid : undefined),
    redirectUri,
    resource,
    options,
  })
}
