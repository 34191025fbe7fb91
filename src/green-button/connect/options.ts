/**
 * Options of {@link greenButtonConsumer}, checked once into a frozen object: the Data Custodian's
 * endpoints (given, or from its `ApplicationInformation`), the client and its authentication, and
 * the data plane's rules (`fetch`, deadline, retry policy) shared with the ECIS entry.
 * @module
 */
import { DEFAULT_CONSENT_TTL } from '../../consent/transaction.js'
import type { ResolvedRetry, RetryOptions } from '../../http/retry.js'
import { type ClientAuthOption, resolveClientAuth } from '../../options.js'
import { requireHttpsUrl, requireRedirectUri } from '../../protocol/metadata.js'
import { resolveRequestOptions } from '../../request/client-options.js'
import { badOption, resolveFunction, resolveNonEmptyString, resolveSeconds } from '../../resolve.js'
import type { ResolvedTelemetry, TelemetryOptions } from '../../telemetry.js'
import { type EspiLimits, type ResolvedEspiLimits, resolveEspiLimits } from '../limits.js'
import type { EspiDeviation } from '../read-element.js'
import type { ApplicationInformation } from './documents.js'

/** Largest Connect My Data response parsed by default, in bytes: years of 15-minute readings for a few meters. */
export const DEFAULT_CMD_MAX_BYTES = 64 * 1024 * 1024

/** Options of {@link greenButtonConsumer}. */
export interface GreenButtonConsumerOptions extends TelemetryOptions {
  /**
   * The Data Custodian's registration for this Third Party (`applicationInformationFromXml`):
   * its endpoints, client id and redirect URI, used where the options below are not given.
   */
  applicationInformation?: ApplicationInformation | undefined
  /** The Data Custodian's OAuth2 authorization endpoint. @default applicationInformation.authorizationServerAuthorizationEndpoint */
  authorizationEndpoint?: string | undefined
  /** The token endpoint. @default applicationInformation.authorizationServerTokenEndpoint */
  tokenEndpoint?: string | undefined
  /**
   * The resource server's base URL (`dataCustodianResourceEndpoint`): access tokens are only ever
   * sent under this origin, whatever URI a response names.
   * @default applicationInformation.dataCustodianResourceEndpoint
   */
  resourceEndpoint?: string | undefined
  /** RFC 7009 revocation endpoint, where the Data Custodian offers one. @default none: `session.revoke()` refuses */
  revocationEndpoint?: string | undefined
  /** The authorization server's identifier, recorded in grants. @default the token endpoint's origin */
  issuer?: string | undefined
  /** The Third Party's `client_id` at the Data Custodian. @default applicationInformation.clientId */
  clientId?: string | undefined
  /**
   * Token endpoint authentication: `client_secret_basic` is the ESPI standard; some Data
   * Custodians accept `private_key_jwt` (its assertion's `aud` defaults to the token endpoint
   * here: a Data Custodian has no issuer identifier); `none` for public clients.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
   */
  clientAuth: ClientAuthOption
  /** Where the Data Custodian sends the customer back. @default applicationInformation.redirectUri */
  redirectUri?: string | undefined
  /**
   * Send a PKCE S256 challenge (RFC 7636). Servers that do not know PKCE ignore it; turn it off
   * only for a Data Custodian that refuses a `code_verifier` it did not expect.
   * @default true
   */
  pkce?: boolean | undefined
  /** `fetch` for every request (token, resource, revocation). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
  /** Deadline of each attempt of every request (headers and body), ms. @default 30_000 */
  timeout?: number | undefined
  /** The SDK's retry policy, as on `EciConsumer.discover`. @default { limit: 2 } */
  retry?: number | RetryOptions | undefined
  /** Allow `http:` URLs (local test custodians only). @default false */
  allowInsecureRequests?: boolean | undefined
  /** Lifetime of consent transactions, seconds. @default 600 */
  consentTtl?: number | undefined
  /** Seconds the Data Custodian accepts the previous refresh token after rotation. @default 0 */
  refreshReuseWindow?: number | undefined
  /** Bounds on each response's size and shape. @default DEFAULT_ESPI_LIMITS with maxBytes 64 MiB */
  limits?: EspiLimits | undefined
  /** Differences from the ESPI standard found in responses. */
  onDeviation?: ((deviation: EspiDeviation) => void) | undefined
}

/** {@link GreenButtonConsumerOptions} checked, every default applied (not part of the public surface). */
export interface ResolvedGreenButtonOptions {
  readonly issuer: string
  readonly authorizationEndpoint: string
  readonly tokenEndpoint: string
  readonly resourceEndpoint: string
  readonly revocationEndpoint: string | undefined
  readonly clientId: string
  readonly clientAuth: ClientAuthOption
  readonly redirectUri: string | undefined
  readonly pkce: boolean
  readonly fetch: typeof fetch
  readonly timeout: number
  readonly retry: ResolvedRetry
  readonly allowInsecureRequests: boolean
  readonly consentTtl: number
  readonly refreshReuseWindow: number
  readonly limits: ResolvedEspiLimits
  readonly onDeviation: ((deviation: EspiDeviation) => void) | undefined
  readonly telemetry: ResolvedTelemetry
}

/** `private_key_jwt` assertions go to the token endpoint unless told otherwise. */
function withTokenEndpointAudience(auth: ClientAuthOption): ClientAuthOption {
  return auth.method === 'private_key_jwt' && auth.assertionAudience === undefined
    ? { ...auth, assertionAudience: 'token_endpoint' }
    : auth
}

/** Checks the options of {@link greenButtonConsumer} (not part of the public surface). @throws {EciConfigError} */
export function resolveGreenButtonOptions(options: GreenButtonConsumerOptions): ResolvedGreenButtonOptions {
  if (options === null || typeof options !== 'object') throw badOption('greenButtonConsumer needs an options object')
  const info = options.applicationInformation
  const { fetch, timeout, retry, telemetry, allowInsecureRequests } = resolveRequestOptions({
    ...options,
    onDeviation: undefined,
  })
  const url = (value: string | undefined, name: string) =>
    requireHttpsUrl(resolveNonEmptyString(value, name), name, allowInsecureRequests).href
  const tokenEndpoint = url(options.tokenEndpoint ?? info?.authorizationServerTokenEndpoint, 'tokenEndpoint')
  const redirectUri = options.redirectUri ?? info?.redirectUri
  if (options.pkce !== undefined && typeof options.pkce !== 'boolean') throw badOption('`pkce` must be a boolean')
  const limits = resolveEspiLimits({ maxBytes: DEFAULT_CMD_MAX_BYTES, ...options.limits })
  return Object.freeze({
    issuer: options.issuer === undefined ? new URL(tokenEndpoint).origin : url(options.issuer, 'issuer'),
    authorizationEndpoint: url(
      options.authorizationEndpoint ?? info?.authorizationServerAuthorizationEndpoint,
      'authorizationEndpoint',
    ),
    tokenEndpoint,
    resourceEndpoint: url(options.resourceEndpoint ?? info?.dataCustodianResourceEndpoint, 'resourceEndpoint'),
    revocationEndpoint:
      options.revocationEndpoint === undefined ? undefined : url(options.revocationEndpoint, 'revocationEndpoint'),
    clientId: resolveNonEmptyString(options.clientId ?? info?.clientId, 'clientId'),
    clientAuth: withTokenEndpointAudience(resolveClientAuth({ clientAuth: options.clientAuth })),
    redirectUri: redirectUri === undefined ? undefined : requireRedirectUri(redirectUri, allowInsecureRequests).href,
    pkce: options.pkce ?? true,
    fetch,
    timeout,
    retry,
    allowInsecureRequests,
    consentTtl: resolveSeconds(options.consentTtl, 'consentTtl', DEFAULT_CONSENT_TTL),
    refreshReuseWindow:
      options.refreshReuseWindow === undefined || options.refreshReuseWindow === 0
        ? 0
        : resolveSeconds(options.refreshReuseWindow, 'refreshReuseWindow', 0),
    limits,
    onDeviation: resolveFunction(options.onDeviation, 'onDeviation'),
    telemetry,
  })
}
