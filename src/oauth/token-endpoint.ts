/**
 * The token endpoint work: code exchange, refresh and revocation (RFC 6749, 7009), each ending
 * in a Grant or exactly one SDK error.
 * @module
 */
import * as oidc from 'openid-client'
import { EciConfigError, EciNetworkError, ErrorCode } from '../errors.js'
import { type Grant, grantFromTokenResponse, type TokenResponseLike } from '../grant/grant.js'
import { type Resend, type ResolvedRetry, withRetries } from '../http/retry.js'
import { hostOf } from '../resolve.js'
import { type ResolvedTelemetry, traced } from '../telemetry.js'
import { serverMetadata } from './authorization-server.js'
import { retryOnDpopNonce } from './dpop.js'
import { fromOAuthError, type OAuthOperation } from './errors.js'

/** What the token endpoint needs besides the openid-client configuration. */
export interface TokenEndpointOptions {
  clientId: string
  /** The ECI resource (RFC 8707) every token is asked for. */
  resource: string
  /**
   * The thumbprint of the DPoP key token requests prove (the client authentication adds the
   * proof), recorded in DPoP-bound grants; `undefined` without DPoP.
   */
  dpopJkt: string | undefined
  /** Seconds the provider accepts the previous refresh token after rotation (0: never resend). */
  refreshReuseWindow: number
  /** Spans of each token-endpoint step. */
  telemetry: ResolvedTelemetry
  /** The client secret (`client_secret_basic`), scrubbed from whatever the provider echoes. */
  clientSecret?: string | undefined
  /** The SDK's retry policy: each attempt is a new request (new client assertion, new DPoP proof). */
  retry: ResolvedRetry
  /** Send `resource` (RFC 8707) with code exchange and refresh. @default true */
  resourceIndicator?: boolean | undefined
  /**
   * Builds the Grant from a token response (Green Button keeps `resourceURI` in it).
   * @default grantFromTokenResponse
   * @internal
   */
  grantFrom?: typeof grantFromTokenResponse | undefined
}

/** Whether a failed request may have reached the provider and been processed. */
export function outcomeUnknown(error: unknown): boolean {
  if (!(error instanceof EciNetworkError)) return false
  return error.code === ErrorCode.TIMEOUT || (error.code === ErrorCode.NETWORK && error.rootCause !== 'ECONNREFUSED')
}

/** The code a token request carries and the secrets to scrub from what the provider echoes. */
export interface CodeExchange {
  code: string
  codeVerifier: string
  redirectUri: string
  /** The `state` of the transaction, when the callback was checked against one. */
  state: string | undefined
  /** The scopes asked for, used when the token response does not list granted scopes. */
  requestedScopes: string[]
}

/** Exchanges codes, refreshes and revokes grants at one provider. */
export class TokenEndpoint {
  readonly #config: oidc.Configuration
  readonly #o: TokenEndpointOptions

  constructor(config: oidc.Configuration, options: TokenEndpointOptions) {
    this.#config = config
    this.#o = options
  }

  /** A span per token-endpoint step (no token, code or key in it). */
  #traced<T>(name: string, work: () => Promise<T>): Promise<T> {
    const endpoint = serverMetadata(this.#config).token_endpoint
    return traced(this.#o.telemetry, name, { 'server.address': hostOf(endpoint), 'http.request.method': 'POST' }, work)
  }

  #fail(error: unknown, operation: OAuthOperation, secrets: (string | undefined)[], consent: boolean) {
    const host = hostOf(serverMetadata(this.#config).token_endpoint)
    const all = [...secrets, this.#o.clientSecret]
    return fromOAuthError(error, operation, { consentOnInvalidGrant: consent, secrets: all, host })
  }

  /**
   * Runs one OAuth call with the SDK's retry policy: `work` builds the whole request each time,
   * so openid-client signs a new client assertion and DPoP proof for every attempt.
   */
  #retried<T>(
    operation: OAuthOperation,
    resend: Resend,
    work: () => Promise<T>,
    mayRetry?: (error: unknown) => Promise<boolean>,
  ): Promise<T> {
    const dpop = this.#o.dpopJkt !== undefined
    return withRetries(() => retryOnDpopNonce(work, dpop), {
      policy: this.#o.retry,
      resend,
      what: `The ${operation}`,
      mayRetry,
    })
  }

  /** The RFC 8707 parameters of a code exchange or refresh. */
  get #resourceParams(): Record<string, string> {
    return this.#o.resourceIndicator === false ? {} : { resource: this.#o.resource }
  }

  #grant(tokens: unknown, requestedScopes: string[], previous?: Grant): Grant {
    return (this.#o.grantFrom ?? grantFromTokenResponse)(
      tokens as TokenResponseLike,
      {
        issuer: serverMetadata(this.#config).issuer,
        clientId: this.#o.clientId,
        resource: this.#o.resource,
        requestedScopes,
        now: Date.now() / 1000,
        dpopJkt: this.#o.dpopJkt,
      },
      previous,
    )
  }

  /**
   * Exchanges an authorization code (PKCE) for the first Grant.
   * @throws {EciConsentError} `ERR_ECI_INVALID_GRANT` when the code is refused; {@link EciHttpError},
   *   {@link EciNetworkError} otherwise.
   */
  exchangeCode(input: CodeExchange): Promise<Grant> {
    return this.#traced('ecis.oauth.code_exchange', () => this.#exchangeCode(input))
  }

  async #exchangeCode(input: CodeExchange): Promise<Grant> {
    // openid-client re-validates the response it is given; it gets the checked parameters only.
    const current = new URL(input.redirectUri)
    current.searchParams.set('code', input.code)
    if (input.state !== undefined) current.searchParams.set('state', input.state)
    const metadata = serverMetadata(this.#config)
    if (metadata.authorization_response_iss_parameter_supported) current.searchParams.set('iss', metadata.issuer)
    try {
      const tokens = await this.#retried('code exchange', 'unprocessed', () =>
        oidc
          .authorizationCodeGrant(
            this.#config,
            current,
            {
              pkceCodeVerifier: input.codeVerifier,
              expectedState: input.state ?? oidc.skipStateCheck,
              idTokenExpected: false,
            },
            this.#resourceParams,
          )
          .catch((error) => {
            throw this.#fail(error, 'code exchange', [input.code, input.codeVerifier], true)
          }),
      )
      return this.#grant(tokens, input.requestedScopes)
    } catch (error) {
      throw this.#fail(error, 'code exchange', [input.code, input.codeVerifier], true)
    }
  }

  /**
   * Redeems the grant's refresh token; the result keeps what the response omits.
   * @param mayResend asked before a request whose outcome is unknown is sent again inside the
   *   reuse window (a fleet refresh proves it still holds its lock); `false` keeps the first error.
   * @throws {EciConsentError} `ERR_ECI_INVALID_GRANT` when the refresh token is refused.
   */
  refresh(from: Grant, mayResend?: () => Promise<boolean>): Promise<Grant> {
    return this.#traced('ecis.oauth.refresh', () => this.#refresh(from, mayResend))
  }

  async #refresh(from: Grant, mayResend?: () => Promise<boolean>): Promise<Grant> {
    const secrets = [from.refreshToken, from.accessToken]
    // Resending a refresh token whose outcome is unknown is safe only inside the provider's reuse
    // window, and only while the caller still may (a fleet refresh proves it holds its lock).
    const resend: Resend = this.#o.refreshReuseWindow > 0 ? 'any' : 'unprocessed'
    const tokens = await this.#retried(
      'token refresh',
      resend,
      () =>
        oidc.refreshTokenGrant(this.#config, from.refreshToken as string, this.#resourceParams).catch((error) => {
          throw this.#fail(error, 'token refresh', secrets, true)
        }),
      async (error) => !outcomeUnknown(error) || !mayResend || mayResend(),
    )
    try {
      return this.#grant(tokens, from.scopes, from)
    } catch (error) {
      throw this.#fail(error, 'token refresh', secrets, true)
    }
  }

  /**
   * Revokes the refresh token (which ends the grant) and the access token (RFC 7009).
   * @throws {EciConfigError} without a revocation endpoint; {@link EciHttpError} when refused.
   */
  revoke(grant: Grant): Promise<void> {
    return this.#traced('ecis.oauth.revocation', () => this.#revoke(grant))
  }

  async #revoke(grant: Grant): Promise<void> {
    if (!serverMetadata(this.#config).revocation_endpoint) {
      throw new EciConfigError(ErrorCode.INVALID_METADATA, 'The provider advertises no revocation endpoint')
    }
    const secrets = [grant.refreshToken, grant.accessToken]
    // Revoking a token twice is harmless (RFC 7009 §2.2): any retryable failure is retried.
    const revoke = (token: string, hint: string) =>
      this.#retried('revocation', 'any', () =>
        oidc.tokenRevocation(this.#config, token, { token_type_hint: hint }).catch((error) => {
          throw this.#fail(error, 'revocation', secrets, false)
        }),
      )
    if (grant.refreshToken) await revoke(grant.refreshToken, 'refresh_token')
    try {
      await revoke(grant.accessToken, 'access_token')
    } catch (e) {
      // Providers may not revoke self-contained (JWT) access tokens (RFC 7009 §2.2.1); revoking
      // the refresh token already ended the grant.
      if (grant.refreshToken && (e as { error?: string }).error === 'unsupported_token_type') return
      throw e
    }
  }
}
