/**
 * The validate half of `createEciClient`: its options checked once and settled into a frozen
 * {@link ResolvedClientOptions} that the client is constructed from. The consumer builds the
 * shared part once per provider (signing key, JWKS verifier) and adds each session's tokens.
 * @module
 */

import type { EciHttpError } from '../errors.js'
import { normalizeRetry, type ResolvedRetry, type RetryOptions } from '../http/retry.js'
import { requireHttpsUrl } from '../protocol/metadata.js'
import {
  badOption,
  DEFAULT_TIMEOUT_MS,
  defaultFetch,
  resolveFunction,
  resolveNonEmptyString,
  resolveTimeout,
  resolveValidation,
} from '../resolve.js'
import type { Deviation, ValidationMode } from '../schemas/parse.js'
import { type ResolvedTelemetry, resolveTelemetry, type TelemetryOptions } from '../telemetry.js'
import type { DpopProver } from './dpop.js'
import { type ResolvedSigningKey, resolveSigningKey, type SigningKeyInput } from './keys.js'
import { type ProviderJwks, ResponseVerifier } from './response-jwt.js'
import { checkExpiresIn } from './sign.js'

/** What {@link EciClientOptions.onInvalidToken} receives. */
export interface InvalidTokenState {
  /** The 401 `invalid_token` error the provider sent. */
  error: EciHttpError
  /** The access token that was refused (compare before refreshing). */
  accessToken: string
}

/** Returns a fresh access token to retry with, or `undefined` to give up. */
export type InvalidTokenHandler = (state: InvalidTokenState) => Promise<string | undefined> | string | undefined

/** Options of {@link createEciClient}. */
export interface EciClientOptions extends TelemetryOptions {
  /** The provider's `eci_resource` URL; requests are POSTed to it and it is the JWT `aud`. */
  resource: string
  /** The ECI Consumer's OAuth `client_id`; the request JWT's `iss`. */
  clientId: string
  /** Key that signs request JWTs: private JWK, PKCS8 PEM or private `CryptoKey`. */
  signingKey: SigningKeyInput
  /** JWS algorithm. @default from the key (ES256, EdDSA; PS256 for RSA) */
  signingAlg?: string | undefined
  /** `kid` of the signing key. @default the JWK's `kid`, else its RFC 7638 thumbprint */
  signingKid?: string | undefined
  /** The access token, or a function that returns the current one (called per call). */
  accessToken: string | (() => string | Promise<string>)
  /**
   * Called once per call when the provider answers 401 `invalid_token`; return a fresh access
   * token to retry with (a new JWT), or `undefined` to give up. The session uses it to refresh.
   */
  onInvalidToken?: InvalidTokenHandler | undefined
  /**
   * `fetch` for every request (tests, proxies, instrumentation); without it, `globalThis.fetch`
   * as it is at call time, so an app's undici dispatcher, MSW or APM sees every request.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch | undefined
  /**
   * Allow an `http:` resource (local test providers only); anything but `https:` is refused without it.
   * @default false
   */
  allowInsecureRequests?: boolean | undefined
  /**
   * Per-attempt timeout in milliseconds.
   * @default 30_000
   */
  timeout?: number | undefined
  /** Retry policy, or a retry count. @default { limit: 2 } */
  retry?: number | RetryOptions | undefined
  /** @default 'strict' */
  validation?: ValidationMode | undefined
  /** Called for every deviation from the canonical ECIS form found in a response. */
  onDeviation?: ((deviation: Deviation) => void) | undefined
  /**
   * Lifetime of request JWTs in seconds (1–300).
   * @default 60
   */
  requestJwtExpiresIn?: number | undefined
  /** The provider's JWKS (or `jwks_uri`), to verify `application/jwt` responses. */
  providerJwks?: ProviderJwks | undefined
  /** The provider's issuer identifier, checked as `iss` of signed responses. */
  providerIssuer?: string | undefined
  /** Current time in epoch seconds; the session passes a skew-corrected clock. @default Date.now()/1000 */
  clock?: (() => number) | undefined
}

/** {@link EciClientOptions} checked, with every default applied. @internal */
export interface ResolvedClientOptions {
  readonly resource: string
  readonly clientId: string
  /** The signing key, imported once (on first use for `createEciClient`, at discovery for a consumer). */
  readonly signingKey: () => Promise<ResolvedSigningKey>
  readonly accessToken: string | (() => string | Promise<string>)
  readonly onInvalidToken: InvalidTokenHandler | undefined
  /** The `fetch` every ECI POST goes through. */
  readonly fetch: typeof fetch
  readonly timeout: number
  readonly retry: ResolvedRetry
  readonly validation: ValidationMode
  readonly onDeviation: ((deviation: Deviation) => void) | undefined
  readonly requestJwtExpiresIn: number
  /** Verifies signed responses; one per provider, so its JWKS cache is shared. */
  readonly verifier: ResponseVerifier | undefined
  readonly clock: () => number
  /** Sends DPoP-bound tokens with a fresh proof per attempt (the consumer's `dpop` option). */
  readonly dpop: DpopProver | undefined
  /** Tracer, hooks and `User-Agent`. */
  readonly telemetry: ResolvedTelemetry
}

/** The per-provider part of {@link ResolvedClientOptions}, shared by a consumer's sessions. @internal */
export type SharedClientOptions = Omit<ResolvedClientOptions, 'accessToken' | 'onInvalidToken' | 'dpop'>

/** The request options a consumer and `createEciClient` both take, settled by one set of rules. @internal */
export function resolveRequestOptions(
  options: TelemetryOptions & {
    fetch?: typeof fetch | undefined
    timeout?: number | undefined
    retry?: number | RetryOptions | undefined
    validation?: ValidationMode | undefined
    onDeviation?: ((deviation: Deviation) => void) | undefined
    requestJwtExpiresIn?: number | undefined
    allowInsecureRequests?: boolean | undefined
  },
) {
  if (options.allowInsecureRequests !== undefined && typeof options.allowInsecureRequests !== 'boolean') {
    throw badOption('`allowInsecureRequests` must be a boolean')
  }
  return {
    allowInsecureRequests: options.allowInsecureRequests === true,
    fetch: resolveFunction(options.fetch, 'fetch') ?? defaultFetch,
    telemetry: resolveTelemetry(options),
    timeout: resolveTimeout(options.timeout, 'timeout', DEFAULT_TIMEOUT_MS),
    retry: normalizeRetry(options.retry),
    validation: resolveValidation(options.validation),
    onDeviation: resolveFunction(options.onDeviation, 'onDeviation'),
    requestJwtExpiresIn: checkExpiresIn(options.requestJwtExpiresIn, 'requestJwtExpiresIn'),
  }
}

/** A key resolved on first use, once. */
function lazyKey(input: SigningKeyInput, alg: string | undefined, kid: string | undefined) {
  let key: Promise<ResolvedSigningKey> | undefined
  return () => {
    key ??= resolveSigningKey(input, alg, kid)
    return key
  }
}

/** Checks every option of `createEciClient` once. @throws {EciConfigError} @internal */
export function resolveClientOptions(options: EciClientOptions): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') throw badOption('createEciClient needs an options object')
  const request = resolveRequestOptions(options)
  const resource = requireHttpsUrl(options.resource, 'resource', request.allowInsecureRequests).href
  const clientId = resolveNonEmptyString(options.clientId, 'clientId')
  if (options.signingKey === undefined || options.signingKey === null) throw badOption('`signingKey` is required')
  const tokenSource = options.accessToken
  if (typeof tokenSource !== 'function' && (typeof tokenSource !== 'string' || tokenSource.length === 0)) {
    throw badOption('`accessToken` must be a non-empty string or a function returning one')
  }
  return Object.freeze({
    ...request,
    resource,
    clientId,
    signingKey: lazyKey(options.signingKey, options.signingAlg, options.signingKid),
    accessToken: tokenSource,
    onInvalidToken: resolveFunction(options.onInvalidToken, 'onInvalidToken'),
    verifier:
      options.providerJwks === undefined
        ? undefined
        : new ResponseVerifier(options.providerJwks, {
            fetch: request.fetch,
            issuer: options.providerIssuer,
            clientId,
            timeoutMs: request.timeout,
          }),
    clock: resolveFunction(options.clock, 'clock') ?? (() => Date.now() / 1000),
    dpop: undefined,
  })
}
