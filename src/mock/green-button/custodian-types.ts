/**
 * The public types of the mock Green Button Data Custodian ({@link createGreenButtonProvider}).
 * @module
 */
import type { HttpHandler } from 'msw'
import type { GenerateEspiFeedOptions } from './generate.js'

/** A Third Party registered with the mock Data Custodian. */
export interface MockGreenButtonClient {
  clientId: string
  /** The `client_secret` it authenticates with (`client_secret_basic`). */
  clientSecret: string
  /** Registered redirect URIs (exact match). */
  redirectUris: string[]
  /** Where the Data Custodian POSTs its `BatchList` notifications. */
  notifyUri?: string | undefined
  /** Where the scope selection page sends the customer back. @default the first redirect URI */
  scopeSelectionUri?: string | undefined
}

/** Endpoints of the mock Data Custodian. */
export type MockGreenButtonEndpoint =
  | 'scope-selection'
  | 'authorize'
  | 'token'
  | 'revocation'
  | 'subscription'
  | 'usage-point'
  | 'authorization'
  | 'application-information'
  | 'notification'

/**
 * A fault for the next `times` calls of `endpoint`: a status (with `Retry-After`), latency, a
 * dropped connection, or a hostile body — `xml-bomb` (entity expansion), `giant` (a feed past
 * any sane size), `endless` (a body that never ends), `html` (a proxy's error page),
 * `no-resource-uri` (a token response without `resourceURI`), `foreign-resource-uri` (one on
 * another host).
 */
export interface MockGreenButtonFault {
  endpoint: MockGreenButtonEndpoint
  status?: number | undefined
  /** The OAuth `error` of an injected error body. */
  error?: string | undefined
  /** @default 1 */
  times?: number | undefined
  retryAfter?: number | undefined
  delayMs?: number | undefined
  network?: 'reset' | undefined
  body?: 'xml-bomb' | 'giant' | 'endless' | 'html' | 'no-resource-uri' | 'foreign-resource-uri' | undefined
}

/** One call as the mock saw it (no token, secret or code). */
export interface MockGreenButtonCall {
  endpoint: MockGreenButtonEndpoint
  /** When the request reached the handler, epoch ms. */
  at: number
  method: string
  status: number
  /** The authenticated client, when the call carried one. */
  client?: string | undefined
  /** `grant_type` of a token call. */
  grantType?: string | undefined
  /** The subscription a resource call read. */
  subscription?: string | undefined
  /** The query of a resource call (date filters). */
  query?: string | undefined
}

/** Options of {@link createGreenButtonProvider}. */
export interface MockGreenButtonOptions {
  /** Base URL the Data Custodian serves under. @default 'https://greenbutton.example' */
  baseUrl?: string | undefined
  clients: MockGreenButtonClient[]
  /** The Function Block scopes offered. @default one monthly-bill scope */
  scopes?: string[] | undefined
  /** What each new customer's feed holds; `seed` is suffixed with the subscription id. @default generateEspiFeed's defaults with 13 months */
  feed?: GenerateEspiFeedOptions | undefined
  /** Months published at consent; `publishMonth` publishes the next. @default feed months − 1 */
  publishedMonths?: number | undefined
  /** Access token lifetime, seconds. @default 3600 */
  accessTokenLifetime?: number | undefined
  /** Seconds the previous refresh token still works after rotation. @default 0 */
  refreshReuseWindow?: number | undefined
  /** `deny`: every authorization ends in `access_denied`. @default 'approve' */
  consent?: 'approve' | 'deny' | undefined
  /** `fetch` for notification POSTs. @default globalThis.fetch */
  fetch?: typeof fetch | undefined
}

/** What {@link createGreenButtonProvider} returns. */
export interface MockGreenButtonProvider {
  /** MSW request handlers (Node `setupServer` or browser `setupWorker`). */
  readonly handlers: HttpHandler[]
  /** Every call, in order. */
  readonly calls: MockGreenButtonCall[]
  /** The endpoints, as `greenButtonConsumer` takes them. */
  readonly endpoints: {
    authorizationEndpoint: string
    tokenEndpoint: string
    resourceEndpoint: string
    revocationEndpoint: string
    scopeSelection: string
  }
  /** Adds a fault. */
  fault(fault: MockGreenButtonFault): void
  /** Drops every pending fault. */
  clearFaults(): void
  /** The `ApplicationInformation` XML of a registered client (without its secret). */
  applicationInformationXml(clientId: string): string
  /** Publishes the next month of data of a subscription (all when omitted); returns the URIs that changed. */
  publishMonth(subscriptionId?: string): string[]
  /** POSTs a `BatchList` of `resourceUris` to the client's notify URI; resolves to the HTTP status. */
  notify(clientId: string, resourceUris: string[]): Promise<number>
  /**
   * Revokes a subscription's authorization at the Data Custodian (the customer withdrew consent):
   * its tokens stop working, unless `keepTokens` (a Data Custodian that only reports the
   * `Authorization` status 0 until the tokens expire).
   */
  revokeAuthorization(subscriptionId: string, options?: { keepTokens?: boolean }): void
  /** The subscription ids consented so far. */
  subscriptions(): string[]
}
