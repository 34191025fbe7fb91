/**
 * The token endpoint work: code exchange, refresh and revocation (RFC 6749, 7009), each ending
 * in a Grant or exactly one SDK error.
 * @module
 */
import * as oidc from 'openid-client'
import { EciConfigError, EciNetworkError, ErrorCode } from '../errors.js'
import { fromOAuthError, type OAuthOperation } from '../oauth-error.js'
import { hostOf } from '../resolve.js'
import { type ResolvedTelemetry, traced } from '../telemetry.js'
import { serverMetadata } from './authorization-server.js'
import { type Grant, grantFromTokenResponse, type TokenResponseLike } from './grant.js'

/** What the token endpoint needs besides the openid-client configuration. */
export interface TokenEndpointOptions {
  clientId: string
  /** The ECI resource (RFC 8707) every token is asked for. */
  resource: string
  dpop: oidc.DPoPHandle | undefined
  /** The DPoP key's thumbprint, recorded in DPoP-bound grants. */
  dpopJkt: string | undefined
  /** Seconds the provider accepts the previous refresh token after rotation (0: never resend). */
  refreshReuseWindow: number
  /** Spans of each token-endpoint step. */
  telemetry: ResolvedTelemetry
  /** The client secret (`client_secret_basic`), scrubbed from whatever the provider echoes. */
  clientSecret?: string | undefined
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

  #grant(tokens: unknown, requestedScopes: string[], previous?: Grant): Grant {
    return grantFromTokenResponse(
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
      const tokens = await oidc.authorizationCodeGrant(
        this.#config,
        current,
        {
          pkceCodeVerifier: input.codeVerifier,
          expectedState: input.state ?? oidc.skipStateCheck,
          idTokenExpected: false,
        },
        { resource: this.#o.resource },
        { DPoP: this.#o.dpop },
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
    try {
      return await this.#refreshOnce(from)
    } catch (error) {
      // Resending the same refresh token is safe only inside the provider's reuse window.
      if (this.#o.refreshReuseWindow > 0 && outcomeUnknown(error) && (await (mayResend?.() ?? true))) {
        return this.#refreshOnce(from)
      }
      throw error
    }
  }

  async #refreshOnce(from: Grant): Promise<Grant> {
    try {
      const tokens = await oidc.refreshTokenGrant(
        this.#config,
        from.refreshToken as string,
        { resource: this.#o.resource },
        { DPoP: this.#o.dpop },
      )
      return this.#grant(tokens, from.scopes, from)
    } catch (error) {
      throw this.#fail(error, 'token refresh', [from.refreshToken, from.accessToken], true)
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
    if (grant.refreshToken) {
      try {
        await oidc.tokenRevocation(this.#config, grant.refreshToken, { token_type_hint: 'refresh_token' })
      } catch (error) {
        throw this.#fail(error, 'revocation', secrets, false)
      }
    }
    try {
      await oidc.tokenRevocation(this.#config, grant.accessToken, { token_type_hint: 'access_token' })
    } catch (error) {
      const e = this.#fail(error, 'revocation', secrets, false)
      // Providers may not revoke self-contained (JWT) access tokens (RFC 7009 §2.2.1); revoking
      // the refresh token already ended the grant.
      if (grant.refreshToken && (e as { error?: string }).error === 'unsupported_token_type') return
      throw e
    }
  }
}
