/**
 * The options and results of {@link EciConsumer}'s calls (consent, code exchange, sessions).
 * @module
 */
import type { ConsentScope } from './consent/scopes.js'
import type { ConsentTransaction } from './consent/transaction.js'
import type { GrantStore } from './grant/store.js'

/** Where {@link EciConsumer.completeConsent} / {@link EciConsumer.exchangeCode} save the first grant. */
export type { SaveGrantOptions } from './grant/store-session.js'

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

/** Options of {@link EciConsumer.openSession}. */
export interface OpenSessionOptions {
  /** The store the fleet shares (PostgreSQL, Redis, or memory for one process). */
  store: GrantStore
  /**
   * Lifetime of the refresh lock, ms; extended while the refresh runs. At least the consumer's
   * `timeout` in whole seconds (a token request's deadline): a refresh never outlives its lock.
   * @default the larger of 30_000 and that timeout
   */
  lockTtlMs?: number
  /** How long to wait for another instance's refresh before re-reading, ms. @default 10_000 */
  lockWaitMs?: number
}
