/**
 * EciConsumer: options → discovery → consent → grant → session. The OAuth protocol work is
 * openid-client's; this class adds the ECIS profile (resource, scopes, authorization details,
 * accounts) and the SDK's error model.
 * @module
 */
import * as oidc from 'openid-client'
import { authorizationParams } from './consent/authorization-url.js'
import { checkConsentCallback } from './consent/callback.js'
import type { ConsentScope } from './consent/scopes.js'
import { type ConsentTransaction, createConsentTransaction } from './consent/transaction.js'
import { EciConfigError, EciConsentError, ErrorCode } from './errors.js'
import { ProviderClock } from './grant/clock.js'
import { assertGrant, type Grant, grantFromTokenResponse, type TokenResponseLike } from './grant/grant.js'
import { fromOAuthError } from './grant/oauth-error.js'
import { EciSession, type SessionOptions } from './grant/session.js'
import { type EciConsumerOptions, normalizeConsumerOptions, type ResolvedConsumerOptions, url } from './options.js'
import { createEciClient, type EciClient } from './request/client.js'
import { createDpopProver, type DpopProver } from './request/dpop.js'
import { type ResolvedSigningKey, resolveSigningKey } from './request/keys.js'

/** Options of {@link EciConsumer.beginConsent}. */
export interface BeginConsentOptions {
  /** What to ask the customer for. */
  scopes: ConsentScope[]
  /** The `system_account_id`s to ask for (RFC 9396 authorization details); omit to let the customer choose. */
  accounts?: string[]
  /** Your own unguessable `state` (≥ 22 base64url characters). @default 256 random bits */
  state?: string
  /** Extra authorization request parameters (e.g. `prompt`, `ui_locales`); protocol parameters cannot be overridden. */
  extraParams?: Record<string, string>
}

/** Result of {@link EciConsumer.beginConsent}. */
export interface BeginConsentResult {
  /** Send the customer's browser here. */
  url: string
  /** Keep this (plain JSON; session, cookie or database) until the callback arrives. Secret. */
  transaction: ConsentTransaction
}

/** Input of {@link EciConsumer.exchangeCode}: what the browser consent entry hands to the backend. */
export interface ExchangeCodeInput {
  code: string
  codeVerifier: string
  /** The redirect URI the authorization request carried. @default the consumer's `redirectUri` */
  redirectUri?: string
  /** The scopes asked for, used when the token response does not list granted scopes. */
  scopes?: string[]
}

/** ECIS members of the provider's metadata. */
export interface EciProviderMetadata {
  issuer: string
  eci_resource?: string
  eci_request_types_supported?: string[]
  eci_request_signing_alg_values_supported?: string[]
  [key: string]: unknown
}

const PROTECTED_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'authorization_details',
  'request_uri',
  'request',
])

async function discoverConfiguration(
  o: ResolvedConsumerOptions,
  auth: oidc.ClientAuth,
  fetchImpl: typeof fetch,
): Promise<oidc.Configuration> {
  const base = {
    [oidc.customFetch]: (url: string, init: oidc.CustomFetchOptions) => fetchImpl(url, init as RequestInit),
    execute: o.options.allowInsecureRequests ? [oidc.allowInsecureRequests] : [],
    // Seconds; applies to discovery and, through the Configuration, to every OAuth request.
    timeout: Math.ceil((o.options.timeout ?? 30_000) / 1000),
  }
  try {
    return await oidc.discovery(o.issuer, o.clientId, undefined, auth, { ...base, algorithm: 'oauth2' })
  } catch (first) {
    const code = (first as { code?: string }).code
    // A metadata document that names another issuer is a configuration error, not a miss.
    if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
      throw fromOAuthError(first, 'discovery', { consentOnInvalidGrant: false })
    try {
      return await oidc.discovery(o.issuer, o.clientId, undefined, auth, { ...base, algorithm: 'oidc' })
    } catch (second) {
      throw fromOAuthError(second, 'discovery', { consentOnInvalidGrant: false })
    }
  }
}

/**
 * The ECI endpoint to use: the provider's `eci_resource` (as it spells it, since it is the JWT
 * `aud` the provider compares), or the `resource` option for providers that publish none; both
 * must name the same URL when both exist (docs/protocol.md §2.3).
 */
function checkResource(o: ResolvedConsumerOptions, advertised: string | undefined): string {
  let advertisedUrl: URL | undefined
  if (advertised !== undefined) {
    try {
      advertisedUrl = new URL(advertised)
    } catch {
      throw new EciConfigError(
        ErrorCode.INVALID_METADATA,
        'The provider metadata has an eci_resource that is not a URL',
      )
    }
  }
  if (o.resource && advertisedUrl && o.resource !== advertisedUrl.href) {
    throw new EciConfigError(
      ErrorCode.INVALID_METADATA,
      `The resource option (${o.resource}) differs from the provider's eci_resource (${advertised})`,
    )
  }
  const resource = advertised ?? o.resource
  if (!resource) {
    throw new EciConfigError(
      ErrorCode.INVALID_METADATA,
      'No ECI resource: the provider metadata has no eci_resource and the `resource` option is not set',
    )
  }
  if (new URL(resource).protocol !== 'https:' && !o.options.allowInsecureRequests) {
    throw new EciConfigError(
      ErrorCode.INVALID_METADATA,
      'The eci_resource is not https://; pass allowInsecureRequests for a local provider',
    )
  }
  return resource
}

/**
 * The ECI Consumer: discovers a provider, runs consent, and opens sessions on grants.
 *
 * @example
 * ```ts
 * const consumer = await EciConsumer.discover({
 *   issuer: 'https://auth.utility.example',
 *   clientId: 'acme-solar',
 *   clientAuth: { method: 'private_key_jwt', key: privateJwk },
 *   redirectUri: 'https://acme.example/eci/callback',
 * })
 * const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
 * // … redirect, then on the callback:
 * const grant = await consumer.completeConsent(callbackUrl, transaction)
 * const session = consumer.session(grant, { onGrant: save })
 * ```
 */
export class EciConsumer {
  readonly #o: ResolvedConsumerOptions
  readonly #config: oidc.Configuration
  readonly #resource: string
  readonly #fetch: typeof fetch
  readonly #clock: ProviderClock
  readonly #key: ResolvedSigningKey
  readonly #dpop: DpopProver | undefined
  readonly #dpopHandle: oidc.DPoPHandle | undefined

  private constructor(init: {
    o: ResolvedConsumerOptions
    config: oidc.Configuration
    resource: string
    fetch: typeof fetch
    clock: ProviderClock
    key: ResolvedSigningKey
    dpop: DpopProver | undefined
  }) {
    this.#o = init.o
    this.#config = init.config
    this.#resource = init.resource
    this.#fetch = init.fetch
    this.#clock = init.clock
    this.#key = init.key
    this.#dpop = init.dpop
    this.#dpopHandle = init.dpop ? oidc.getDPoPHandle(init.config, init.dpop.keyPair) : undefined
  }

  /**
   * Fetches the provider's metadata (RFC 8414, falling back to OIDC discovery) and checks the
   * options against it.
   * @throws {EciConfigError} for bad options, an issuer mismatch, no `eci_resource`, a key
   *   that cannot sign or an algorithm the provider does not accept.
   * @throws {EciNetworkError} when the provider cannot be reached.
   */
  static async discover(options: EciConsumerOptions): Promise<EciConsumer> {
    const o = normalizeConsumerOptions(options)
    const clock = new ProviderClock()
    const fetchImpl = clock.wrap(o.options.fetch ?? ((input, init) => globalThis.fetch(input, init)))
    const key = await resolveSigningKey(o.signingKey, o.signingAlg, o.signingKid)
    let auth: oidc.ClientAuth
    switch (o.clientAuth.method) {
      case 'private_key_jwt': {
        const authKey =
          o.clientAuth.key === o.signingKey
            ? key
            : await resolveSigningKey(o.clientAuth.key, o.clientAuth.alg, o.clientAuth.kid)
        // Client assertions carry iat/exp: date them by the provider's clock, as request JWTs are.
        auth = oidc.PrivateKeyJwt(
          { key: authKey.key, kid: authKey.kid },
          {
            [oidc.modifyAssertion]: (_header, payload) => {
              const lifetime = Number(payload.exp) - Number(payload.iat)
              payload.iat = Math.floor(clock.now())
              payload.exp = payload.iat + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 60)
              if (payload.nbf !== undefined) payload.nbf = payload.iat
            },
          },
        )
        break
      }
      case 'client_secret_basic':
        auth = oidc.ClientSecretBasic(o.clientAuth.secret)
        break
      default:
        auth = oidc.None()
    }
    const config = await discoverConfiguration(o, auth, fetchImpl)
    const metadata = config.serverMetadata() as unknown as EciProviderMetadata
    const advertised = typeof metadata.eci_resource === 'string' ? metadata.eci_resource : undefined
    const resource = checkResource(o, advertised)
    const algs = metadata.eci_request_signing_alg_values_supported
    if (Array.isArray(algs) && !algs.includes(key.alg)) {
      throw new EciConfigError(
        ErrorCode.INVALID_KEY,
        `The provider does not accept ${key.alg} request JWTs (it accepts ${algs.join(', ')})`,
      )
    }
    const pkce = metadata.code_challenge_methods_supported
    if (Array.isArray(pkce) && !pkce.includes('S256')) {
      throw new EciConfigError(
        ErrorCode.INVALID_METADATA,
        'The provider does not support PKCE S256, which ECIS requires',
      )
    }
    if (metadata.require_pushed_authorization_requests === true && !metadata.pushed_authorization_request_endpoint) {
      throw new EciConfigError(ErrorCode.INVALID_METADATA, 'The provider requires PAR but advertises no PAR endpoint')
    }
    const dpopOption = o.options.dpop
    const dpop = dpopOption ? await createDpopProver(dpopOption === true ? true : dpopOption.key) : undefined
    return new EciConsumer({ o, config, resource, fetch: fetchImpl, clock, key, dpop })
  }

  /** The provider's metadata, as discovered. */
  get metadata(): Readonly<EciProviderMetadata> {
    return this.#config.serverMetadata() as unknown as EciProviderMetadata
  }

  /** The ECI endpoint requests go to. */
  get resource(): string {
    return this.#resource
  }

  /**
   * Starts consent: PKCE S256, `state`, `resource`, scopes, `authorization_details` when the
   * provider supports them and `accounts` are given, and PAR whenever the provider offers it.
   * @throws {EciConfigError} without `redirectUri` or with bad scopes.
   */
  async beginConsent(options: BeginConsentOptions): Promise<BeginConsentResult> {
    const redirectUri = this.#o.redirectUri
    if (!redirectUri) throw new EciConfigError(ErrorCode.INVALID_OPTION, 'beginConsent needs the `redirectUri` option')
    if (options === null || typeof options !== 'object') {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'beginConsent needs { scopes }')
    }
    const metadata = this.#config.serverMetadata()
    const { transaction, codeChallenge } = await createConsentTransaction({
      issuer: metadata.issuer,
      clientId: this.#o.clientId,
      redirectUri,
      scopes: options.scopes,
      scopeNames: this.#o.options.scopeNames,
      resource: this.#resource,
      accounts: options.accounts,
      state: options.state,
      issRequired: metadata.authorization_response_iss_parameter_supported === true,
      ttl: this.#o.options.consentTtl,
      now: Math.floor(this.#clock.now()),
      allowInsecureRequests: this.#o.options.allowInsecureRequests,
    })
    const rar = Array.isArray(metadata.authorization_details_types_supported)
      ? metadata.authorization_details_types_supported.includes('eci')
      : false
    const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: rar })
    for (const [name, value] of Object.entries(options.extraParams ?? {})) {
      if (PROTECTED_PARAMS.has(name)) {
        throw new EciConfigError(ErrorCode.INVALID_OPTION, `extraParams cannot set the protocol parameter "${name}"`)
      }
      params.set(name, String(value))
    }
    if (this.#dpop) params.set('dpop_jkt', this.#dpop.jkt)
    let url: URL
    try {
      url = metadata.pushed_authorization_request_endpoint
        ? await oidc.buildAuthorizationUrlWithPAR(this.#config, params, { DPoP: this.#dpopHandle })
        : oidc.buildAuthorizationUrl(this.#config, params)
    } catch (error) {
      throw fromOAuthError(error, 'pushed authorization request', { consentOnInvalidGrant: false })
    }
    return { url: url.href, transaction }
  }

  /**
   * Finishes consent on the backend: checks the callback (`state`, RFC 9207 `iss`, provider
   * errors) against the transaction, exchanges the code and returns the Grant.
   * @throws {EciConsentError} when the customer must consent again (denied, mismatch, expired, invalid_grant).
   */
  async completeConsent(callbackUrl: string | URL, transaction: ConsentTransaction): Promise<Grant> {
    if (transaction?.clientId !== undefined && transaction.clientId !== this.#o.clientId) {
      throw new EciConsentError(ErrorCode.TRANSACTION_INVALID, 'The consent transaction belongs to another client')
    }
    // A transaction begun at another provider must never send its code and verifier here (mix-up).
    if (transaction?.issuer !== undefined && transaction.issuer !== this.#config.serverMetadata().issuer) {
      throw new EciConsentError(ErrorCode.ISSUER_MISMATCH, 'The consent transaction was begun at another provider')
    }
    const { code } = checkConsentCallback(callbackUrl, transaction, { now: this.#clock.now() })
    return this.#exchange(
      code,
      transaction.codeVerifier,
      transaction.redirectUri,
      transaction.scopes,
      transaction.state,
    )
  }

  /**
   * Exchanges a code the browser consent entry (`parseConsentCallback`) already checked.
   * @throws {EciConsentError} `ERR_ECI_INVALID_GRANT` when the code is refused.
   */
  async exchangeCode(input: ExchangeCodeInput): Promise<Grant> {
    if (
      !input ||
      typeof input.code !== 'string' ||
      !input.code ||
      typeof input.codeVerifier !== 'string' ||
      !input.codeVerifier
    ) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'exchangeCode needs { code, codeVerifier }')
    }
    const redirectUri =
      input.redirectUri === undefined
        ? this.#o.redirectUri
        : url(input.redirectUri, 'redirectUri', this.#o.options.allowInsecureRequests === true, true).href
    if (!redirectUri) throw new EciConfigError(ErrorCode.INVALID_OPTION, 'exchangeCode needs a redirect URI')
    return this.#exchange(input.code, input.codeVerifier, redirectUri, input.scopes ?? [], undefined)
  }

  async #exchange(
    code: string,
    codeVerifier: string,
    redirectUri: string,
    requestedScopes: string[],
    state: string | undefined,
  ): Promise<Grant> {
    // openid-client re-validates the response it is given; we hand it the checked parameters only.
    const current = new URL(redirectUri)
    current.searchParams.set('code', code)
    if (state !== undefined) current.searchParams.set('state', state)
    const metadata = this.#config.serverMetadata()
    if (metadata.authorization_response_iss_parameter_supported) current.searchParams.set('iss', metadata.issuer)
    try {
      const tokens = await oidc.authorizationCodeGrant(
        this.#config,
        current,
        { pkceCodeVerifier: codeVerifier, expectedState: state ?? oidc.skipStateCheck, idTokenExpected: false },
        { resource: this.#resource },
        { DPoP: this.#dpopHandle },
      )
      return this.#grantFrom(tokens as unknown as TokenResponseLike, requestedScopes)
    } catch (error) {
      throw fromOAuthError(error, 'code exchange', { consentOnInvalidGrant: true, secrets: [code, codeVerifier] })
    }
  }

  #grantFrom(tokens: TokenResponseLike, requestedScopes: string[], previous?: Grant): Grant {
    return grantFromTokenResponse(
      tokens,
      {
        issuer: this.#config.serverMetadata().issuer,
        clientId: this.#o.clientId,
        resource: this.#resource,
        requestedScopes,
        now: Date.now() / 1000,
        dpopJkt: this.#dpop?.jkt,
      },
      previous,
    )
  }

  /**
   * Opens a session on a grant: data calls, automatic refresh, revocation.
   * @throws {EciConfigError} when the grant is malformed or belongs to another provider, client or DPoP key.
   */
  session(grant: Grant, options: SessionOptions = {}): EciSession {
    const g = assertGrant(grant)
    if (g.issuer !== this.#config.serverMetadata().issuer || g.clientId !== this.#o.clientId) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'The grant belongs to another provider or client')
    }
    if (g.resource !== this.#resource) {
      // Never send a token to an endpoint it was not issued for.
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        'The grant was issued for another ECI resource than this consumer uses',
      )
    }
    if (g.dpopJkt !== undefined && g.dpopJkt !== this.#dpop?.jkt) {
      throw new EciConfigError(
        ErrorCode.INVALID_KEY,
        this.#dpop
          ? 'The grant is bound to another DPoP key than this consumer holds'
          : 'The grant is DPoP-bound: configure `dpop: { key }` with the key it was issued to',
      )
    }
    return new EciSession(
      g,
      {
        now: () => Date.now() / 1000,
        refresh: (from) => this.#refreshGrant(from),
        revoke: (from) => this.#revokeGrant(from),
        client: (accessToken, onInvalidToken) => this.#client(accessToken, onInvalidToken, g.tokenType === 'DPoP'),
      },
      options,
    )
  }

  #client(
    accessToken: () => Promise<string>,
    onInvalidToken: (refused: string) => Promise<string | undefined>,
    dpopBound: boolean,
  ): EciClient {
    const o = this.#o.options
    return createEciClient({
      resource: this.#resource,
      clientId: this.#o.clientId,
      signingKey: this.#key.key,
      signingAlg: this.#key.alg,
      signingKid: this.#key.kid,
      accessToken,
      onInvalidToken: ({ accessToken: refused }) => onInvalidToken(refused),
      fetch: this.#fetch,
      timeout: o.timeout,
      retry: o.retry,
      validation: o.validation,
      onDeviation: o.onDeviation,
      requestJwtExpiresIn: o.requestJwtExpiresIn,
      providerJwks: this.#config.serverMetadata().jwks_uri,
      providerIssuer: this.#config.serverMetadata().issuer,
      clock: this.#clock.now,
      dpop: dpopBound ? this.#dpop : undefined,
    })
  }

  async #refreshGrant(from: Grant): Promise<Grant> {
    try {
      const tokens = await oidc.refreshTokenGrant(
        this.#config,
        from.refreshToken as string,
        { resource: this.#resource },
        { DPoP: this.#dpopHandle },
      )
      return this.#grantFrom(tokens as unknown as TokenResponseLike, from.scopes, from)
    } catch (error) {
      throw fromOAuthError(error, 'token refresh', { consentOnInvalidGrant: true, secrets: [from.refreshToken] })
    }
  }

  async #revokeGrant(grant: Grant): Promise<void> {
    if (!this.#config.serverMetadata().revocation_endpoint) {
      throw new EciConfigError(ErrorCode.INVALID_METADATA, 'The provider advertises no revocation endpoint')
    }
    const secrets = [grant.refreshToken, grant.accessToken]
    if (grant.refreshToken) {
      try {
        await oidc.tokenRevocation(this.#config, grant.refreshToken, { token_type_hint: 'refresh_token' })
      } catch (error) {
        throw fromOAuthError(error, 'revocation', { consentOnInvalidGrant: false, secrets })
      }
    }
    try {
      await oidc.tokenRevocation(this.#config, grant.accessToken, { token_type_hint: 'access_token' })
    } catch (error) {
      const e = fromOAuthError(error, 'revocation', { consentOnInvalidGrant: false, secrets })
      // Providers may not revoke self-contained (JWT) access tokens (RFC 7009 §2.2.1); revoking
      // the refresh token already ended the grant.
      if (grant.refreshToken && (e as { error?: string }).error === 'unsupported_token_type') return
      throw e
    }
  }
}
