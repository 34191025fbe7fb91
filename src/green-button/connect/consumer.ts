/**
 * `greenButtonConsumer`: Connect My Data with a Data Custodian — consent (authorization code,
 * PKCE, `state`), the grant with the subscription's `resourceURI`, and sessions whose tokens
 * refresh by the SDK's one set of rules (single flight, fleet refresh through a GrantStore).
 * The OAuth work is openid-client's and the SDK's token endpoint's, as for ECIS.
 * @module
 */
import * as oidc from 'openid-client'
import { checkConsentCallback } from '../../consent/callback.js'
import { isScopeToken } from '../../consent/scopes.js'
import { base64url, type ConsentTransaction, codeChallengeS256, isStateShaped } from '../../consent/transaction.js'
import { EciConsentError, ErrorCode } from '../../errors.js'
import type { GrantStore } from '../../grant/store.js'
import { checkSaveOptions, type SaveGrantOptions, saveFirstGrant } from '../../grant/store-session.js'
import { boundedFetch } from '../../http/bounded-fetch.js'
import { clientAuthentication } from '../../oauth/client-auth.js'
import { TokenEndpoint } from '../../oauth/token-endpoint.js'
import { resolveSigningKey } from '../../request/keys.js'
import { badOption } from '../../resolve.js'
import { assertGreenButtonGrant, type GreenButtonGrant, greenButtonGrantFrom } from './grant.js'
import {
  type GreenButtonConsumerOptions,
  type ResolvedGreenButtonOptions,
  resolveGreenButtonOptions,
} from './options.js'
import { GreenButtonSession, type GreenButtonSessionOptions, openGreenButtonSession } from './session.js'

/** A pending Connect My Data consent: plain JSON, secret (it holds the PKCE verifier). */
export interface GreenButtonConsentTransaction extends ConsentTransaction {
  /** Whether the authorization request carried a PKCE challenge. */
  pkce: boolean
}

/** Options of {@link GreenButtonConsumer.beginConsent}. */
export interface GreenButtonConsentOptions {
  /**
   * The Function Block scope to ask for, as the Data Custodian registered it or the customer chose
   * it on the scope selection page (`parseScopeSelection`).
   * @example 'FB=1_3_4_5_13_14_39;IntervalDuration=3600;BlockDuration=monthly;HistoryLength=13'
   */
  scope: string
  /** Your own unguessable `state` (≥ 22 base64url characters). @default 256 random bits */
  state?: string | undefined
}

/** Options of {@link GreenButtonConsumer.openSession}. */
export interface GreenButtonOpenSessionOptions {
  /** The store the fleet shares. */
  store: GrantStore
  /** Lifetime of the refresh lock, ms. @default the larger of 30_000 and the timeout */
  lockTtlMs?: number | undefined
  /** How long to wait for another instance's refresh, ms. @default 10_000 */
  lockWaitMs?: number | undefined
}

/** The scope selection redirect: what the customer picked at the Data Custodian. */
export interface ScopeSelection {
  /** The Function Block scope chosen (the first, when the Data Custodian offers several). */
  scope: string
  /** Every scope the redirect carried. */
  scopes: string[]
  /** The Data Custodian's id (`DataCustodianID`), when given. */
  dataCustodianId?: string | undefined
}

/**
 * Reads the Data Custodian's scope selection redirect (`…?scope=FB=…&DataCustodianID=…`), which
 * starts a consent the customer began at the utility.
 * @throws {EciConfigError} for a URL with no usable scope.
 */
export function parseScopeSelection(url: string | URL): ScopeSelection {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw badOption('parseScopeSelection needs an absolute URL')
  }
  const scopes = parsed.searchParams.getAll('scope').filter(isScopeToken)
  if (scopes.length === 0) throw badOption('The scope selection redirect carries no usable scope')
  const id = parsed.searchParams.get('DataCustodianID') ?? undefined
  return { scope: scopes[0] as string, scopes, ...(id ? { dataCustodianId: id } : {}) }
}

/** Connect My Data with one Data Custodian. Build it with {@link greenButtonConsumer}. */
export class GreenButtonConsumer {
  readonly #o: ResolvedGreenButtonOptions
  readonly #config: oidc.Configuration
  readonly #tokens: TokenEndpoint

  /** @internal Use {@link greenButtonConsumer}. */
  constructor(o: ResolvedGreenButtonOptions, config: oidc.Configuration, tokens: TokenEndpoint) {
    this.#o = o
    this.#config = config
    this.#tokens = tokens
  }

  /**
   * Starts consent: the authorization URL with `response_type=code`, the scope, `state` and a
   * PKCE S256 challenge (unless `pkce: false`), and the transaction to keep until the callback.
   * @throws {EciConfigError} without `redirectUri`, or with a bad scope or state.
   */
  async beginConsent(options: GreenButtonConsentOptions): Promise<{
    url: string
    transaction: GreenButtonConsentTransaction
  }> {
    const o = this.#o
    if (!o.redirectUri) throw badOption('beginConsent needs the `redirectUri` option')
    if (!isScopeToken(options?.scope)) throw badOption('`scope` must be a Function Block scope string')
    if (options.state !== undefined && !isStateShaped(options.state)) {
      throw badOption('state must be at least 22 base64url characters (128 bits)')
    }
    const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)))
    const transaction: GreenButtonConsentTransaction = {
      v: 1,
      issuer: o.issuer,
      clientId: o.clientId,
      redirectUri: o.redirectUri,
      state: options.state ?? random(),
      codeVerifier: random(),
      scopes: [options.scope],
      issRequired: false,
      expiresAt: Math.floor(Date.now() / 1000 + o.consentTtl),
      pkce: o.pkce,
    }
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: transaction.redirectUri,
      scope: options.scope,
      state: transaction.state,
    })
    if (o.pkce) {
      params.set('code_challenge', await codeChallengeS256(transaction.codeVerifier))
      params.set('code_challenge_method', 'S256')
    }
    return { url: oidc.buildAuthorizationUrl(this.#config, params).href, transaction }
  }

  /**
   * Finishes consent: checks the callback (`state`, errors) against the transaction, exchanges
   * the code, and returns the grant with the subscription's `resourceUri`; saved under `key` in
   * `store` when given.
   * @throws {EciConsentError} when the customer must consent again (denied, mismatch, expired, invalid_grant).
   * @throws {EciHttpError} `ERR_ECI_INVALID_RESPONSE` for a token response without `resourceURI`;
   *   other refusals; {@link EciNetworkError}.
   */
  async completeConsent(
    callbackUrl: string | URL,
    transaction: GreenButtonConsentTransaction,
    save?: SaveGrantOptions,
  ): Promise<GreenButtonGrant> {
    const target = save === undefined ? undefined : checkSaveOptions(save)
    if (transaction?.clientId !== this.#o.clientId || transaction.issuer !== this.#o.issuer) {
      throw new EciConsentError(ErrorCode.TRANSACTION_INVALID, 'The consent transaction belongs to another client')
    }
    const { code } = checkConsentCallback(callbackUrl, transaction)
    const grant = (await this.#tokens.exchangeCode({
      code,
      codeVerifier: transaction.pkce === false ? '' : transaction.codeVerifier,
      redirectUri: transaction.redirectUri,
      state: transaction.state,
      requestedScopes: transaction.scopes,
    })) as GreenButtonGrant
    if (target) await saveFirstGrant(target, grant)
    return grant
  }

  /**
   * A session on a grant the app keeps itself: rotated grants go to `onGrant`.
   * @throws {EciConfigError} for a malformed grant or one of another Data Custodian or client.
   */
  session(grant: GreenButtonGrant, options: GreenButtonSessionOptions = {}): GreenButtonSession {
    const g = this.#checkGrant(grant)
    return new GreenButtonSession(
      g,
      this.#o,
      {
        now: () => Date.now() / 1000,
        refresh: (from) => this.#tokens.refresh(from),
        revoke: (from) => this.#revoke(from as GreenButtonGrant),
      },
      options,
    )
  }

  /**
   * A session on the grant stored under `key`: any instance, any time; a refresh happens once for
   * the whole fleet (lock → re-read → refresh → compare-and-set → release; docs/scaling.md).
   * @throws {EciConsentError} when the stored grant needs consent (no token request is made).
   */
  async openSession(key: string, options: GreenButtonOpenSessionOptions): Promise<GreenButtonSession> {
    return openGreenButtonSession(key, options, {
      o: this.#o,
      tokens: this.#tokens,
      check: (grant) => this.#checkGrant(grant),
      revoke: (from) => this.#revoke(from),
    })
  }

  #revoke(grant: GreenButtonGrant): Promise<void> {
    return this.#tokens.revoke(grant)
  }

  #checkGrant(grant: unknown): GreenButtonGrant {
    const g = assertGreenButtonGrant(grant)
    if (g.issuer !== this.#o.issuer || g.clientId !== this.#o.clientId || g.resource !== this.#o.resourceEndpoint) {
      throw badOption('The grant belongs to another Data Custodian or client')
    }
    return g
  }
}

/**
 * Token endpoint authentication; a `private_key_jwt` key is imported on the first token request
 * (once), so that the consumer itself is made synchronously.
 */
function lazyClientAuth(o: ResolvedGreenButtonOptions): oidc.ClientAuth {
  const now = () => Date.now() / 1000
  const auth = o.clientAuth
  if (auth.method !== 'private_key_jwt') return clientAuthentication(auth, undefined, now)
  let ready: Promise<oidc.ClientAuth> | undefined
  // openid-client awaits what a client authentication returns (its own private_key_jwt signs asynchronously).
  return ((as, client, body, headers) => {
    ready ??= resolveSigningKey(auth.key, auth.alg, auth.kid).then((key) => clientAuthentication(auth, key, now))
    return ready.then((authenticate) => authenticate(as, client, body, headers))
  }) as oidc.ClientAuth
}

/**
 * A Connect My Data client for one Data Custodian. Synchronous: nothing is fetched until consent
 * or a session needs it (a `private_key_jwt` key is imported on the first token request).
 * @throws {EciConfigError} for bad options (a missing endpoint, an http URL without
 *   `allowInsecureRequests`, a bad `clientAuth`).
 * @example
 * ```ts
 * import { greenButtonConsumer } from 'ecis-consumer/green-button'
 *
 * const gb = greenButtonConsumer({
 *   authorizationEndpoint: 'https://utility.example/oauth/authorize',
 *   tokenEndpoint: 'https://utility.example/oauth/token',
 *   resourceEndpoint: 'https://utility.example/DataCustodian/espi/1_1/resource',
 *   clientId: 'acme-solar',
 *   clientAuth: { method: 'client_secret_basic', secret: 's3cret' },
 *   redirectUri: 'https://acme.example/green-button/callback',
 * })
 * const { url, transaction } = await gb.beginConsent({ scope: 'FB=1_3_4_5_13_14_39;IntervalDuration=3600' })
 * ```
 */
export function greenButtonConsumer(options: GreenButtonConsumerOptions): GreenButtonConsumer {
  const o = resolveGreenButtonOptions(options)
  const metadata: oidc.ServerMetadata = {
    issuer: o.issuer,
    authorization_endpoint: o.authorizationEndpoint,
    token_endpoint: o.tokenEndpoint,
    ...(o.revocationEndpoint ? { revocation_endpoint: o.revocationEndpoint } : {}),
  }
  const config = new oidc.Configuration(metadata, o.clientId, undefined, lazyClientAuth(o))
  const fetch = boundedFetch(o.fetch, { timeout: o.timeout, userAgent: o.telemetry.userAgent })
  config[oidc.customFetch] = (url, init) => fetch(url, init as RequestInit)
  config.timeout = Math.ceil(o.timeout / 1000)
  if (o.allowInsecureRequests) oidc.allowInsecureRequests(config)
  const tokens = new TokenEndpoint(config, {
    clientId: o.clientId,
    resource: o.resourceEndpoint,
    resourceIndicator: false,
    dpopJkt: undefined,
    refreshReuseWindow: o.refreshReuseWindow,
    telemetry: o.telemetry,
    clientSecret: o.clientAuth.method === 'client_secret_basic' ? o.clientAuth.secret : undefined,
    retry: o.retry,
    grantFrom: greenButtonGrantFrom(new URL(o.resourceEndpoint).origin),
  })
  return new GreenButtonConsumer(o, config, tokens)
}
