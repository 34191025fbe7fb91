/**
 * Public option and result types of the mock provider and its fixtures.
 * @module
 */

import type { JWK } from 'jose'
import type { HttpHandler } from 'msw'
import type { MockDefect } from './defects.js'
import type { FixtureOptions, MockFixtures, MockNewInvoice, MockOwner } from './fixture-types.js'
import type { MockRateLimit } from './rate-limit.js'
import type { MockDialect } from './wire.js'

export type { MockDefect } from './defects.js'
export type {
  FixtureOptions,
  MockAccount,
  MockAccountSpec,
  MockAccountType,
  MockBillError,
  MockBillErrorKind,
  MockBillErrorSpec,
  MockFixtures,
  MockInjectedBillError,
  MockNewInvoice,
  MockOwner,
  MockOwnerSpec,
} from './fixture-types.js'
export type { MockRateLimit } from './rate-limit.js'

/** An ECI Consumer registered with the mock provider. */
export interface MockClient {
  /** The OAuth `client_id`. */
  clientId: string
  /** Registered redirect URIs; the authorization request must use one of them exactly. */
  redirectUris: string[]
  /**
   * The client's public keys: they verify `private_key_jwt` client assertions and ECI request
   * JWTs (selected by `kid`). Public clients (`authMethod: 'none'`) still register keys here
   * to sign request JWTs.
   */
  jwks?: { keys: JWK[] } | undefined
  /**
   * Instead of `jwks`: the URL of the client's JWKS (RFC 7591 `jwks_uri`). Fetched on first use
   * and again whenever a JWT names a `kid` the cached set does not hold, so a client's key
   * rotation works as it does with real providers. Fetched with the provider's `fetch`.
   */
  jwksUri?: string | undefined
  /**
   * How the client authenticates at the token, PAR and revocation endpoints.
   * @default 'private_key_jwt'
   */
  authMethod?: 'private_key_jwt' | 'none' | undefined
  /**
   * The client's rate limit at the ECI endpoint: at most `max` accepted requests in any
   * `windowMs` of arrival times (a strict sliding window over the times `calls[i].at` records).
   * A request over it is refused with 429 and `Retry-After` (whole seconds until a slot frees,
   * at least 1); refused requests do not count. Every answer to the client carries its
   * rate-limit fields (`headers`: the IETF draft's `RateLimit` / `RateLimit-Policy` by default).
   * @default no limit
   */
  rateLimit?: MockRateLimit | undefined
}

/** The endpoints the provider serves, as named in {@link MockCall.endpoint} and {@link MockFault.endpoint}. */
export type MockEndpoint = 'metadata' | 'jwks' | 'authorize' | 'par' | 'token' | 'revocation' | 'eci'

/** One request the provider answered. Never holds tokens, codes, verifiers or assertions. */
export interface MockCall {
  endpoint: MockEndpoint
  /** When the request reached the handler, epoch ms (the machine's clock, not the provider's offset one). */
  at: number
  /** HTTP method, upper case. */
  method: string
  /** HTTP status sent; `0` when a fault dropped the connection. */
  status: number
  /** The `client_id` the request was made for, when the provider could tell. */
  client: string | undefined
  /** ECI endpoint only: the decoded request JWT claims (signature checked or not). */
  claims?: Record<string, unknown>
}

/** What a consent callback is asked to decide. */
export interface MockConsentRequest {
  clientId: string
  /** Requested scopes, e.g. `['eci:basic', 'eci:invoice']`. */
  scopes: string[]
  /** Accounts the client asked for through `authorization_details`, when it did. */
  requestedAccounts: string[] | undefined
  /** Every resource owner of the fixtures. */
  owners: readonly MockOwner[]
}

/**
 * The consent decision: approve as `owner` (default the first owner) for `accounts` (default all
 * of the owner's accounts, narrowed by what the client requested), or deny.
 */
export type MockConsentDecision = { owner?: string | undefined; accounts?: string[] | undefined } | 'deny'

/**
 * How the simulated customer answers the consent screen.
 * - `'auto'`: approve as the first owner, for all their accounts (narrowed by RAR).
 * - `{ owner, accounts }`: approve as that owner, for those accounts.
 * - `'deny'`: refuse; the client gets `error=access_denied`.
 * - `'interactive'`: serve an HTML page with account checkboxes and Approve/Deny buttons.
 * - a function: decide per request (may be async).
 */
export type MockConsentPolicy =
  | 'auto'
  | 'deny'
  | 'interactive'
  | { owner?: string | undefined; accounts?: string[] | undefined }
  | ((request: MockConsentRequest) => MockConsentDecision | Promise<MockConsentDecision>)

/** Options of {@link createMockProvider}. */
export interface MockProviderOptions extends FixtureOptions {
  /** The authorization server's issuer identifier, e.g. `https://auth.utility.example`. */
  issuer: string
  /**
   * The ECI endpoint URL (`eci_resource`): request JWTs' `aud` and the URL data requests are POSTed to.
   * @default `${issuer}/eci/v1`
   */
  resource?: string | undefined
  /** Fetches the clients' `jwksUri` documents. @default globalThis.fetch at call time */
  fetch?: typeof fetch | undefined
  /** Registered ECI Consumers. */
  clients: MockClient[]
  /** @default 'auto' */
  consent?: MockConsentPolicy | undefined
  /** @default 'seed' */
  dialect?: MockDialect | undefined
  /**
   * Advertise and enforce `require_pushed_authorization_requests`.
   * @default false
   */
  requirePushedAuthorizationRequests?: boolean | undefined
  /**
   * Demand a server-provided DPoP nonce (`use_dpop_nonce` with a `DPoP-Nonce` header).
   * @default false
   */
  dpopNonce?: boolean | undefined
  /**
   * Refuse token requests without a DPoP proof.
   * @default false
   */
  requireDpop?: boolean | undefined
  /**
   * Access token lifetime in seconds.
   * @default 3600
   */
  accessTokenTtl?: number | undefined
  /**
   * Refresh token lifetime in seconds.
   * @default 2592000 (30 days)
   */
  refreshTokenTtl?: number | undefined
  /**
   * Seconds a rotated refresh token stays valid after its first use (the "reuse interval" Auth0,
   * Cognito and Hydra offer). Reuse after it — or at all, with 0 — revokes the grant (RFC 9700).
   * @default 0
   */
  refreshReuseWindow?: number | undefined
  /**
   * Authorization code lifetime in seconds.
   * @default 60
   */
  codeTtl?: number | undefined
  /**
   * Seconds of clock skew tolerated between the provider's clock and JWT `iat`/`exp` (request
   * JWTs and client assertions). The profile allows at most 60 (protocol §5.4 step 6, §9); a
   * larger value throws `EciConfigError`. Use `0` to test a consumer against an exact clock.
   * @default 60
   */
  clockTolerance?: number | undefined
  /**
   * How token responses carry the granted accounts (protocol §4.2):
   * - `'both'`: `authorization_details` (type `eci`) and the top-level `system_account_ids`;
   * - `'rar'`: `authorization_details` only;
   * - `'simple'`: the top-level `system_account_ids` only — a provider without RFC 9396 support:
   *   its metadata lists no `authorization_details_types_supported`, and it ignores an
   *   `authorization_details` request parameter (RFC 6749 §3.1: unknown parameters are ignored).
   * @default 'both'
   */
  tokenResponse?: 'rar' | 'simple' | 'both' | undefined
  /**
   * Latency of every ECI response, ms: a fixed delay, or one drawn uniformly from
   * `[minMs, maxMs]` for each request — so a fleet test sees a provider that takes time.
   * @default 0
   */
  latency?: number | { minMs: number; maxMs: number } | undefined
  /**
   * Deliberate defects, each breaking one rule of docs/protocol.md, to show that a conformance
   * suite catches it (`ecis conformance` fails exactly the test named after it).
   * @default [] (a conformant provider)
   */
  defects?: readonly MockDefect[] | undefined
}

/** A fault to inject into the next `times` calls of one endpoint. */
export interface MockFault {
  endpoint: MockEndpoint
  /** Answer with this status instead of the real answer (body `{ error, error_description }`). */
  status?: number | undefined
  /** The OAuth/ECIS `error` code of the injected error body. @default derived from the status */
  error?: string | undefined
  /**
   * How many calls the fault applies to.
   * @default 1
   */
  times?: number | undefined
  /** Adds `Retry-After: <seconds>`. A 429 always carries one (default 0). */
  retryAfter?: number | undefined
  /** Waits this long before answering (latency). */
  delayMs?: number | undefined
  /**
   * Breaks the body: `malformed` (invalid JSON), `html` (a proxy's error page), `truncated` (the
   * real JSON cut in half), `wrong-account` (another account's data), `deviant` (the real data in
   * the `deviant` dialect), `invalid` (the real data without `meter_number`). Status 200 unless
   * `status` says otherwise.
   */
  body?: 'malformed' | 'html' | 'truncated' | 'wrong-account' | 'deviant' | 'invalid' | undefined
  /** `reset`: drop the connection (a network error on the client). */
  network?: 'reset' | undefined
}

/** A grant as the provider sees it, without any token. */
export interface MockGrantInfo {
  clientId: string
  ownerId: string
  accounts: string[]
  scopes: string[]
  revoked: boolean
  /** JWK thumbprint the tokens are bound to (DPoP). */
  dpopJkt: string | undefined
}

/** What {@link createMockProvider} returns. */
export interface MockProvider {
  /** MSW request handlers: give them to `setupServer` (Node) or `setupWorker` (browser). */
  readonly handlers: HttpHandler[]
  /** Every request answered so far, oldest first. */
  readonly calls: MockCall[]
  readonly issuer: string
  readonly resource: string
  /** The generated data, canonical spelling (compare with what the SDK returns). */
  readonly fixtures: MockFixtures
  /** Queues a fault for the next `times` calls of `spec.endpoint`. */
  fault(spec: MockFault): void
  /** Removes every queued fault. */
  clearFaults(): void
  /** Makes every access token issued so far expired (the next ECI call gets 401 `invalid_token`). */
  expireAccessTokens(): void
  /** Makes every refresh token issued so far expired (refresh gets `invalid_grant`). */
  expireRefreshTokens(): void
  /**
   * Revokes grants (the customer withdrew consent at the utility): their access and refresh
   * tokens stop working. Every grant, or those of the given owners.
   */
  revokeGrants(filter?: { owners?: readonly string[] | undefined }): void
  /**
   * Bills the next month: appends a new invoice (dated a month after the account's newest) to
   * each account, or to the given ones, and to their Basic's `system_invoice_ids` — the next
   * "night" of a nightly sync.
   * @throws {EciConfigError} for an account the fixtures do not hold.
   */
  issueInvoices(accounts?: readonly string[]): MockNewInvoice[]
  /** Grants issued so far (no tokens). */
  grants(): MockGrantInfo[]
  /**
   * Skews the provider's clock by `seconds` (tokens, JWT checks and the `Date` header follow it).
   * @throws {EciConfigError} when `seconds` is not a finite number.
   */
  setClockOffset(seconds: number): void
  /** The provider's current time in epoch seconds (clock offset applied). */
  now(): number
  /** Forgets every call recorded so far. */
  clearCalls(): void
  /** The provider's public JWKS (its keys are created on first use). */
  jwks(): Promise<{ keys: JWK[] }>
}
