/**
 * The browser consent flow: {@link beginConsent} before the redirect to the provider,
 * {@link parseConsentCallback} when the customer comes back.
 *
 * @module
 */

import { EciConsentError, EciError, ErrorCode } from '../errors.js'
import { checkConsentMetadata, resolveEciResource } from '../protocol/metadata.js'
import { badOption, hasMethods } from '../resolve.js'
import { authorizationParams, buildAuthorizationUrl } from './authorization-url.js'
import { checkConsentCallback, parseCallbackUrl } from './callback.js'
import { type FetchLike, fetchAuthorizationServerMetadata } from './discovery.js'
import type { ConsentScope } from './scopes.js'
import type { ConsentStore } from './store.js'
import { assertConsentTransaction, createConsentTransaction, epochSeconds, isStateShaped } from './transaction.js'

/** Options of {@link beginConsent}. */
export interface BrowserConsentOptions {
  /** The provider's issuer identifier (its metadata is fetched from there). */
  issuer: string
  /** The app's `client_id` at the provider. */
  clientId: string
  /** The app page the provider sends the customer back to; registered with the provider. */
  redirectUri: string
  /** What to ask the customer for. */
  scopes: ConsentScope[]
  /** Where the transaction (with the PKCE verifier) waits for the callback; use {@link sessionStorageStore}. */
  store: ConsentStore
  /** `system_account_id`s to ask consent for (sent as RFC 9396 `authorization_details` when the provider supports type `eci`). */
  accounts?: string[]
  /**
   * RFC 8707 resource indicator.
   * @default the metadata's `eci_resource`, when it has one
   */
  resource?: string
  /** Provider-specific scope strings, e.g. `{ basic: 'utility.accounts' }`. @default DEFAULT_SCOPE_NAMES */
  scopeNames?: Partial<Record<ConsentScope, string>>
  /** The `fetch` used for the metadata request. @default globalThis.fetch */
  fetch?: FetchLike
  /** Allow an `http:` issuer and endpoints (local test providers only). @default false */
  allowInsecureRequests?: boolean
  /** Aborts the metadata request. */
  signal?: AbortSignal
  /** Milliseconds the metadata request may take. @default 30000 */
  timeout?: number
  /** How long the customer has to finish consent, in seconds. @default 600 */
  ttl?: number
  /** The current time in epoch seconds (tests). @default now */
  now?: number
}

/** What {@link beginConsent} returns. */
export interface BrowserConsentResult {
  /** The provider's authorization URL: `location.assign(url)`. */
  url: string
  /** The `state` the callback must carry (the key of the stored transaction). */
  state: string
  /** When the stored transaction expires, in epoch seconds. */
  expiresAt: number
}

/** Options of {@link parseConsentCallback}. */
export interface ParseConsentCallbackOptions {
  /** The store {@link beginConsent} used. */
  store: ConsentStore
  /** The current time in epoch seconds (tests). @default now */
  now?: number
}

/** What {@link parseConsentCallback} returns: everything the backend's code exchange needs. */
export interface ConsentCallbackResult {
  /** The authorization code. Secret: send it to the backend, do not log it. */
  code: string
  /** The PKCE code verifier of this consent. Secret: send it to the backend with the code. */
  codeVerifier: string
  /** The `redirect_uri` of the authorization request; the token request repeats it. */
  redirectUri: string
  /** The issuer that answered (checked against `iss`). */
  issuer: string
}

const TX_PREFIX = 'tx:'
const PENDING_KEY = 'pending'
// Enough for a few tabs' worth of abandoned attempts; older ones are dropped.
const MAX_PENDING = 5

interface PendingEntry {
  state: string
  expiresAt: number
}

function requireStore(store: unknown): ConsentStore {
  if (!hasMethods(store, ['get', 'set', 'delete'])) {
    throw badOption('store must be a ConsentStore with get, set and delete (e.g. sessionStorageStore())')
  }
  return store as ConsentStore
}

/** Runs a store operation; a failing store becomes an EciError (never a raw DOMException). */
async function viaStore<T>(operation: () => T | Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (cause) {
    if (cause instanceof EciError) throw cause
    throw new EciError(ErrorCode.INTERNAL, 'the consent store failed', { cause })
  }
}

async function readPending(store: ConsentStore, now: number): Promise<PendingEntry[]> {
  const raw = await viaStore(() => store.get(PENDING_KEY))
  if (typeof raw !== 'string') return []
  try {
    const list: unknown = JSON.parse(raw)
    if (!Array.isArray(list)) return []
    return list.filter(
      (e): e is PendingEntry =>
        e !== null &&
        typeof e === 'object' &&
        typeof e.state === 'string' &&
        typeof e.expiresAt === 'number' &&
        e.expiresAt > now,
    )
  } catch {
    return []
  }
}

/**
 * Starts consent in a browser: fetches the provider's metadata, makes a PKCE verifier and a
 * `state`, stores the transaction under that `state`, and returns the provider's
 * authorization URL to send the customer to. A plain authorization URL, never PAR (a
 * browser cannot authenticate the client). The verifier stays in `store`; it never enters
 * the URL.
 *
 * @throws {@link EciConfigError} `INVALID_OPTION` for bad options; `INVALID_METADATA` for
 *   an issuer mismatch, a provider that requires PAR or lacks PKCE S256.
 * @throws {@link EciNetworkError} / {@link EciHttpError} when the metadata cannot be fetched.
 * @see https://www.rfc-editor.org/rfc/rfc9700 (OAuth 2.0 security BCP)
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @example
 * ```ts
 * import { beginConsent, sessionStorageStore } from 'ecis-consumer/consent'
 *
 * const { url } = await beginConsent({
 *   issuer: 'https://auth.utility.example',
 *   clientId: 'acme-solar',
 *   redirectUri: 'https://acme.example/eci/callback',
 *   scopes: ['basic', 'invoice', 'invoice_detail'],
 *   store: sessionStorageStore(),
 * })
 * location.assign(url)
 * ```
 */
export async function beginConsent(options: BrowserConsentOptions): Promise<BrowserConsentResult> {
  if (options === null || typeof options !== 'object') {
    throw badOption('beginConsent needs an options object')
  }
  const store = requireStore(options.store)
  const now = epochSeconds(options.now)
  const allowInsecureRequests = options.allowInsecureRequests === true

  // Validates every option before any network traffic; issRequired and resource follow from
  // the metadata and are settled below.
  const { transaction, codeChallenge } = await createConsentTransaction({
    issuer: options.issuer,
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    scopes: options.scopes,
    scopeNames: options.scopeNames,
    resource: options.resource,
    accounts: options.accounts,
    issRequired: false,
    ttl: options.ttl,
    now,
    allowInsecureRequests,
  })

  const metadata = await fetchAuthorizationServerMetadata(options.issuer, {
    fetch: options.fetch,
    allowInsecureRequests,
    signal: options.signal,
    timeout: options.timeout,
  })
  checkConsentMetadata(metadata, 'browser')
  transaction.issRequired = metadata.authorization_response_iss_parameter_supported === true
  // Consent is asked for the endpoint the provider names (docs/protocol.md §2.3).
  const resource = resolveEciResource(metadata, transaction.resource, false)
  if (resource !== undefined) transaction.resource = resource
  const authorizationDetails = metadata.authorization_details_types_supported?.includes('eci') === true
  const url = buildAuthorizationUrl(
    metadata.authorization_endpoint,
    authorizationParams(transaction, codeChallenge, { authorizationDetails }),
  )

  const pending = await readPending(store, now)
  const kept = pending.slice(-(MAX_PENDING - 1))
  for (const dropped of pending.slice(0, pending.length - kept.length)) {
    await viaStore(() => store.delete(TX_PREFIX + dropped.state))
  }
  kept.push({ state: transaction.state, expiresAt: transaction.expiresAt })
  await viaStore(() => store.set(TX_PREFIX + transaction.state, JSON.stringify(transaction)))
  await viaStore(() => store.set(PENDING_KEY, JSON.stringify(kept)))

  return { url, state: transaction.state, expiresAt: transaction.expiresAt }
}

/**
 * Finishes consent on the redirect page: finds the transaction by the callback's `state`,
 * deletes it (a `state` works once), checks the response against it, and returns the
 * authorization code with the PKCE verifier, for the backend's code exchange.
 *
 * @param url - The callback URL, usually `location.href`.
 * @throws {@link EciConsentError} — `TRANSACTION_INVALID`: no transaction (never started in
 *   this tab, already used, or expired); `STATE_MISMATCH`: a consent is pending but this
 *   response is not its answer (CSRF); `ISSUER_MISMATCH`: `iss` wrong, or missing though the
 *   provider promises it (mix-up); `ACCESS_DENIED`: the customer refused;
 *   `AUTHORIZATION_ERROR`: another provider error (`error`, `errorDescription`).
 * @throws {@link EciConfigError} `INVALID_OPTION` when `url` is not a URL or not the
 *   redirect URI, or `store` is missing.
 * @see https://www.rfc-editor.org/rfc/rfc9207
 * @example
 * ```ts
 * import { parseConsentCallback, sessionStorageStore } from 'ecis-consumer/consent'
 *
 * const { code, codeVerifier } = await parseConsentCallback(location.href, { store: sessionStorageStore() })
 * await fetch('/api/eci/exchange', { method: 'POST', body: JSON.stringify({ code, codeVerifier }) })
 * history.replaceState(null, '', location.pathname)   // drop the code from the address bar
 * ```
 */
export async function parseConsentCallback(
  url: string | URL,
  options: ParseConsentCallbackOptions,
): Promise<ConsentCallbackResult> {
  if (options === null || typeof options !== 'object') {
    throw badOption('parseConsentCallback needs { store }')
  }
  const store = requireStore(options.store)
  const now = epochSeconds(options.now)
  const callback = parseCallbackUrl(url)

  // Only a value shaped like our own states is used as a store key: a custom store never sees
  // an attacker's arbitrary string.
  const states = callback.searchParams.getAll('state')
  const state = states.length === 1 && isStateShaped(states[0]) ? states[0] : undefined
  const stored = state ? await viaStore(() => store.get(TX_PREFIX + state)) : null
  const pending = await readPending(store, now)

  if (typeof stored !== 'string' || state === undefined) {
    if (pending.length > 0) {
      throw new EciConsentError(
        ErrorCode.STATE_MISMATCH,
        'the authorization response does not answer the pending consent request (state mismatch)',
      )
    }
    throw new EciConsentError(
      ErrorCode.TRANSACTION_INVALID,
      'no consent transaction for this response: it was already used, expired, or started elsewhere',
    )
  }

  // One use: the transaction is gone before any check runs, whatever the outcome.
  await viaStore(() => store.delete(TX_PREFIX + state))
  await viaStore(() => store.set(PENDING_KEY, JSON.stringify(pending.filter((entry) => entry.state !== state))))

  let value: unknown
  try {
    value = JSON.parse(stored)
  } catch (cause) {
    throw new EciConsentError(ErrorCode.TRANSACTION_INVALID, 'the stored consent transaction is not JSON', { cause })
  }
  const transaction = assertConsentTransaction(value, { now })
  const { code } = checkConsentCallback(callback, transaction, { now })
  return {
    code,
    codeVerifier: transaction.codeVerifier,
    redirectUri: transaction.redirectUri,
    issuer: transaction.issuer,
  }
}
