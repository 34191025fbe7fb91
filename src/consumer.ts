/**
 * EciConsumer: options → discovery → consent → grant → session. The OAuth protocol work is
 * openid-client's; this class adds the ECIS profile (resource, scopes, authorization details,
 * accounts) and the SDK's error model.
 * @module
 */
import type * as oidc from 'openid-client'
import { authorizationParams, PROTECTED_PARAMS } from './consent/authorization-url.js'
import { checkConsentCallback } from './consent/callback.js'
import { type ConsentTransaction, createConsentTransaction } from './consent/transaction.js'
import type {
  BeginConsentOptions,
  BeginConsentResult,
  ExchangeCodeInput,
  OpenSessionOptions,
} from './consumer-calls.js'
import { EciConfigError, EciConsentError, ErrorCode } from './errors.js'
import { assertGrant, type Grant } from './grant/grant.js'
import { EciSession, type SessionBackend, type SessionOptions } from './grant/session.js'
import { usable } from './grant/shared-refresh.js'
import {
  checkSaveOptions,
  resolveLockTtl,
  type SaveGrantOptions,
  saveFirstGrant,
  storeBackend,
} from './grant/store-session.js'
import { boundedFetch } from './http/bounded-fetch.js'
import { authorizationUrl, discoverAuthorizationServer, serverMetadata } from './oauth/authorization-server.js'
import { clientAuthentication } from './oauth/client-auth.js'
import { ProviderClock } from './oauth/clock.js'
import { observingNonces, withDpopProof } from './oauth/dpop.js'
import { TokenEndpoint } from './oauth/token-endpoint.js'
import { type EciConsumerOptions, normalizeConsumerOptions, type ResolvedConsumerOptions } from './options.js'
import {
  type AuthorizationServerMetadata,
  checkConsentMetadata,
  checkIssuer,
  checkMetadataMembers,
  requireRedirectUri,
  resolveEciResource,
} from './protocol/metadata.js'
import { constructEciClient } from './request/client.js'
import type { SharedClientOptions } from './request/client-options.js'
import { DpopKeyring } from './request/dpop.js'
import { type ResolvedSigningKey, resolveSigningKey } from './request/keys.js'
import { ResponseVerifier } from './request/response-jwt.js'
import { badOption, resolveTimeout } from './resolve.js'
import { traced } from './telemetry.js'

/** The provider's authorization server metadata, with the ECIS members. */
export type EciProviderMetadata = AuthorizationServerMetadata

/** Checks the discovered metadata against the options and the key; returns the ECI resource. */
function checkProvider(o: ResolvedConsumerOptions, metadata: AuthorizationServerMetadata, key: ResolvedSigningKey) {
  // Exactly as configured, as the consent entry compares it (openid-client tolerates a trailing slash).
  checkIssuer(metadata, o.issuerId, o.issuerId)
  checkMetadataMembers(metadata, o.allowInsecureRequests)
  checkConsentMetadata(metadata, 'backend')
  const resource = resolveEciResource(metadata, o.resource, true) as string
  const algs = metadata.eci_request_signing_alg_values_supported
  if (Array.isArray(algs) && !algs.includes(key.alg)) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `The provider does not accept ${key.alg} request JWTs (it accepts ${algs.join(', ')})`,
    )
  }
  return resource
}

/** The parts a consumer is made of, built once by {@link EciConsumer.discover}. */
interface ConsumerParts {
  o: ResolvedConsumerOptions
  config: oidc.Configuration
  resource: string
  clock: ProviderClock
  dpop: DpopKeyring | undefined
  tokens: TokenEndpoint
  /** The ECI client options every session shares: one signing key, one provider JWKS verifier. */
  client: SharedClientOptions
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
  readonly #p: ConsumerParts

  private constructor(parts: ConsumerParts) {
    this.#p = parts
  }

  /**
   * Fetches the provider's metadata (RFC 8414, falling back to OIDC discovery) and checks the
   * options against it. Every option is checked here, before any request.
   * @throws {EciConfigError} for bad options, an issuer mismatch, no `eci_resource`, a key
   *   that cannot sign or an algorithm the provider does not accept.
   * @throws {EciNetworkError} when the provider cannot be reached; {@link EciHttpError} when it refuses.
   */
  static async discover(options: EciConsumerOptions): Promise<EciConsumer> {
    const o = normalizeConsumerOptions(options)
    const clock = new ProviderClock()
    const fetch = clock.wrap(o.fetch)
    const key = await resolveSigningKey(o.signingKey, o.signingAlg, o.signingKid)
    // The keys after the first sign nothing yet; a broken one fails now, not at the rotation.
    await Promise.all(o.signingKeys.slice(1).map((next) => resolveSigningKey(next)))
    const authKey =
      o.clientAuth.method !== 'private_key_jwt' || o.clientAuth.key === o.signingKey
        ? key
        : await resolveSigningKey(o.clientAuth.key, o.clientAuth.alg, o.clientAuth.kid)
    const dpop = o.dpop ? await DpopKeyring.create(o.dpop === true ? [true] : o.dpop.keys) : undefined
    const auth = withDpopProof(clientAuthentication(o.clientAuth, authKey, clock.now), dpop?.first, clock.now)
    const oauth = observingNonces(
      boundedFetch(fetch, { timeout: o.timeout, userAgent: o.telemetry.userAgent }),
      dpop?.first,
    )
    const config = await traced(o.telemetry, 'ecis.oauth.discovery', { 'server.address': o.issuer.hostname }, () =>
      discoverAuthorizationServer({ ...o, auth, fetch: oauth }),
    )
    const metadata = serverMetadata(config)
    const resource = checkProvider(o, metadata, key)
    const client: SharedClientOptions = Object.freeze({
      resource,
      clientId: o.clientId,
      signingKey: () => Promise.resolve(key),
      fetch,
      timeout: o.timeout,
      retry: o.retry,
      validation: o.validation,
      onDeviation: o.onDeviation,
      requestJwtExpiresIn: o.requestJwtExpiresIn,
      telemetry: o.telemetry,
      verifier: metadata.jwks_uri
        ? new ResponseVerifier(metadata.jwks_uri, {
            fetch,
            issuer: metadata.issuer,
            clientId: o.clientId,
            timeoutMs: o.timeout,
          })
        : undefined,
      clock: clock.now,
    })
    const tokens = new TokenEndpoint(config, {
      clientId: o.clientId,
      resource,
      dpopJkt: dpop?.first.jkt,
      refreshReuseWindow: o.refreshReuseWindow,
      telemetry: o.telemetry,
      clientSecret: o.clientAuth.method === 'client_secret_basic' ? o.clientAuth.secret : undefined,
      retry: o.retry,
    })
    return new EciConsumer({ o, config, resource, clock, dpop, tokens, client })
  }

  /** The provider's metadata, as discovered. */
  get metadata(): Readonly<EciProviderMetadata> {
    return serverMetadata(this.#p.config)
  }

  /** The ECI endpoint requests go to. */
  get resource(): string {
    return this.#p.resource
  }

  /**
   * Starts consent: PKCE S256, `state`, `resource`, scopes, `authorization_details` when the
   * provider supports them and `accounts` are given, and PAR whenever the provider offers it.
   * @throws {EciConfigError} without `redirectUri` or with bad scopes; {@link EciHttpError} /
   *   {@link EciNetworkError} when the PAR request fails.
   */
  async beginConsent(options: BeginConsentOptions): Promise<BeginConsentResult> {
    const { o, clock, resource } = this.#p
    if (!o.redirectUri) throw badOption('beginConsent needs the `redirectUri` option')
    if (options === null || typeof options !== 'object') {
      throw badOption('beginConsent needs { scopes }')
    }
    const metadata = this.metadata
    const { transaction, codeChallenge } = await createConsentTransaction({
      issuer: metadata.issuer,
      clientId: o.clientId,
      redirectUri: o.redirectUri,
      scopes: options.scopes,
      scopeNames: o.scopeNames,
      resource,
      accounts: options.accounts,
      state: options.state,
      issRequired: metadata.authorization_response_iss_parameter_supported === true,
      ttl: o.consentTtl,
      now: Math.floor(clock.now()),
      allowInsecureRequests: o.allowInsecureRequests,
    })
    const rar = metadata.authorization_details_types_supported?.includes('eci') === true
    const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: rar })
    for (const [name, value] of Object.entries(options.extraParams ?? {})) {
      if (PROTECTED_PARAMS.has(name)) {
        throw badOption(`extraParams cannot set the protocol parameter "${name}"`)
      }
      params.set(name, String(value))
    }
    if (this.#p.dpop) params.set('dpop_jkt', this.#p.dpop.first.jkt)
    const par = metadata.pushed_authorization_request_endpoint !== undefined
    const url = await traced(o.telemetry, 'ecis.oauth.authorization_request', { 'ecis.par': par }, () =>
      authorizationUrl(this.#p.config, params, {
        dpop: this.#p.dpop !== undefined,
        retry: o.retry,
        secrets: [o.clientAuth.method === 'client_secret_basic' ? o.clientAuth.secret : undefined],
      }),
    )
    return { url, transaction }
  }

  /**
   * Finishes consent on the backend: checks the callback (`state`, RFC 9207 `iss`, provider
   * errors) against the transaction, exchanges the code and returns the Grant.
   * @throws {EciConsentError} when the customer must consent again (denied, mismatch, expired, invalid_grant).
   * @throws {EciHttpError} / {@link EciNetworkError} when the token request fails otherwise.
   */
  async completeConsent(
    callbackUrl: string | URL,
    transaction: ConsentTransaction,
    save?: SaveGrantOptions,
  ): Promise<Grant> {
    const target = save === undefined ? undefined : checkSaveOptions(save)
    if (transaction?.clientId !== undefined && transaction.clientId !== this.#p.o.clientId) {
      throw new EciConsentError(ErrorCode.TRANSACTION_INVALID, 'The consent transaction belongs to another client')
    }
    // A transaction begun at another provider must never send its code and verifier here (mix-up).
    if (transaction?.issuer !== undefined && transaction.issuer !== this.metadata.issuer) {
      throw new EciConsentError(ErrorCode.ISSUER_MISMATCH, 'The consent transaction was begun at another provider')
    }
    const { code } = checkConsentCallback(callbackUrl, transaction, { now: this.#p.clock.now() })
    const grant = await this.#p.tokens.exchangeCode({
      code,
      codeVerifier: transaction.codeVerifier,
      redirectUri: transaction.redirectUri,
      state: transaction.state,
      requestedScopes: transaction.scopes,
    })
    if (target) await saveFirstGrant(target, grant)
    return grant
  }

  /**
   * Exchanges a code the browser consent entry (`parseConsentCallback`) already checked.
   * @throws {EciConfigError} for a missing code or verifier; {@link EciConsentError}
   *   `ERR_ECI_INVALID_GRANT` when the code is refused.
   */
  async exchangeCode(input: ExchangeCodeInput, save?: SaveGrantOptions): Promise<Grant> {
    const { o } = this.#p
    const target = save === undefined ? undefined : checkSaveOptions(save)
    const given = input as Partial<ExchangeCodeInput> | null | undefined
    if (
      !given ||
      typeof given.code !== 'string' ||
      !given.code ||
      typeof given.codeVerifier !== 'string' ||
      !given.codeVerifier
    ) {
      throw badOption('exchangeCode needs { code, codeVerifier }')
    }
    const redirectUri =
      given.redirectUri === undefined
        ? o.redirectUri
        : requireRedirectUri(given.redirectUri, o.allowInsecureRequests).href
    if (!redirectUri) throw badOption('exchangeCode needs a redirect URI')
    const grant = await this.#p.tokens.exchangeCode({
      code: given.code,
      codeVerifier: given.codeVerifier,
      redirectUri,
      state: undefined,
      requestedScopes: given.scopes ?? [],
    })
    if (target) await saveFirstGrant(target, grant)
    return grant
  }

  /**
   * Opens a session on the grant stored under `key`, for fleets: any instance, any time. A
   * refresh happens once for the whole fleet (lock → re-read → refresh → compare-and-set save →
   * release); see docs/scaling.md.
   * @throws {EciConsentError} when the stored grant needs consent (no token request is made);
   *   {@link EciConfigError} for bad options or a grant of another provider; store errors.
   */
  async openSession(key: string, options: OpenSessionOptions): Promise<EciSession> {
    const { store } = checkSaveOptions({ store: options?.store, key })
    const { tokens, o } = this.#p
    const lockTtlMs = resolveLockTtl(options.lockTtlMs, Math.ceil(o.timeout / 1000) * 1000)
    const lockWaitMs = resolveTimeout(options.lockWaitMs, 'lockWaitMs', 10_000)
    const stored = usable(await store.get(key))
    const g = this.#checkGrant(stored.grant)
    const refresh = (from: Grant, mayResend: () => Promise<boolean>) => tokens.refresh(from, mayResend)
    const shared = { store, key, refresh, refreshReuseWindow: o.refreshReuseWindow, lockTtlMs, lockWaitMs }
    const backend = storeBackend(shared, o.telemetry, (from) => tokens.revoke(from))
    return new EciSession(g, { ...backend, ...this.#dataPlane(g, backend.refresh) })
  }

  /**
   * Opens a session on a grant: data calls, automatic refresh, revocation.
   * @throws {EciConfigError} when the grant is malformed or belongs to another provider, client or DPoP key.
   */
  session(grant: Grant, options: SessionOptions = {}): EciSession {
    const g = this.#checkGrant(grant)
    const { tokens } = this.#p
    return new EciSession(
      g,
      {
        now: () => Date.now() / 1000,
        revoke: (from) => tokens.revoke(from),
        ...this.#dataPlane(g, (from) => tokens.refresh(from)),
      },
      options,
    )
  }

  #checkGrant(grant: Grant): Grant {
    const g = assertGrant(grant)
    const { o, resource, dpop } = this.#p
    if (g.issuer !== this.metadata.issuer || g.clientId !== o.clientId) {
      throw badOption('The grant belongs to another provider or client')
    }
    if (g.resource !== resource) {
      // Never send a token to an endpoint it was not issued for.
      throw badOption('The grant was issued for another ECI resource than this consumer uses')
    }
    if (g.dpopJkt !== undefined && !dpop?.has(g.dpopJkt)) {
      throw new EciConfigError(
        ErrorCode.INVALID_KEY,
        dpop
          ? 'The grant is bound to another DPoP key than this consumer holds'
          : 'The grant is DPoP-bound: configure `dpop: { key }` with the key it was issued to',
      )
    }
    return g
  }

  /** A session's data client and refresh; DPoP proofs follow the key its current grant is bound to. */
  #dataPlane(g: Grant, refresh: (from: Grant) => Promise<Grant>): Pick<SessionBackend, 'refresh' | 'client'> {
    const bound = g.tokenType === 'DPoP' ? this.#p.dpop?.session(g, refresh) : undefined
    return {
      refresh: bound?.refresh ?? refresh,
      client: (accessToken, onInvalidToken) =>
        constructEciClient({ ...this.#p.client, accessToken, onInvalidToken, dpop: bound?.prover }),
    }
  }
}
