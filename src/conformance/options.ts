/**
 * Options of `runConformance`.
 * @module
 */
import type { Grant } from '../grant/grant.js'
import type { EciRequestType } from '../protocol/claims.js'
import type { SigningKeyInput } from '../request/keys.js'
import type { ConformanceProgress } from './report.js'

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The provider's issuer (authorization server). */
  issuer: string
  /** The client registered at the provider for the suite. */
  clientId: string
  /** The client's private key: signs client assertions (`private_key_jwt`) and request JWTs. */
  key: SigningKeyInput
  /**
   * The redirect URI registered for the client: consent comes back to it, and the
   * authorization probes name it (they are never followed).
   */
  redirectUri: string
  /** A grant at this provider to test with; without one, `consent` runs once. */
  grant?: Grant | undefined
  /**
   * Sends the resource owner to the consent URL and resolves with the URL the provider
   * redirected back to (the CLI: a loopback listener, RFC 8252).
   */
  consent?: ((url: string) => Promise<string>) | undefined
  /** Called with each grant the run obtains or rotates (store it: the previous refresh token is spent). */
  onGrant?: ((grant: Grant) => void | Promise<void>) | undefined
  /** @default all three */
  scopes?: EciRequestType[] | undefined
  /** Test ids or id prefixes to run (`eci.jwt` runs every `eci.jwt.*`). @default every test */
  only?: readonly string[] | undefined
  /**
   * Run the tests that can end the grant (refresh-token reuse revokes it at a conformant provider).
   * @default false
   */
  destructive?: boolean | undefined
  /** An existing account outside the grant: its answer must be the unknown account's 404. */
  foreignAccount?: string | undefined
  /**
   * Seconds the provider accepts a rotated refresh token; the reuse test waits this long first.
   * @default 0
   */
  refreshReuseWindow?: number | undefined
  /**
   * Most requests the rate-limit test sends to provoke a 429 (0: the test is skipped).
   * @default 0
   */
  rateLimitBurst?: number | undefined
  /** Bind the consent's tokens with DPoP (RFC 9449), or the key a stored DPoP-bound grant is bound to. */
  dpop?: true | { key: CryptoKeyPair | JsonWebKey } | undefined
  /**
   * Deadline of each test, ms: a provider that hangs fails the test as a timeout.
   * @default 15000
   */
  timeout?: number | undefined
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
  /**
   * Allow an `http:` provider (loopback test providers such as `ecis mock`).
   * @default false
   */
  allowInsecureRequests?: boolean | undefined
  /** Called after each test (progress displays). */
  onProgress?: ((progress: ConformanceProgress) => void) | undefined
}
