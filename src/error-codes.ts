/**
 * The stable error codes, one constant each: callers branch on these, never on message text.
 * `errors.ts` re-exports them beside the classes that carry them.
 * @module
 */

/** Stable error codes. Each value is also exported as a constant in {@link ErrorCode}. */
export const ErrorCode = {
  // EciConfigError
  /** An option or argument is missing, of the wrong type or out of range. */
  INVALID_OPTION: 'ERR_ECI_INVALID_OPTION',
  /** A key cannot be imported, or cannot sign with the requested algorithm. */
  INVALID_KEY: 'ERR_ECI_INVALID_KEY',
  /** The provider's metadata is missing something the SDK needs, or contradicts the options. */
  INVALID_METADATA: 'ERR_ECI_INVALID_METADATA',
  /**
   * An encrypted grant store holds a record it cannot decrypt: encrypted under a key id not in
   * its `keys`, or altered (the AES-GCM tag does not verify).
   */
  GRANT_DECRYPTION: 'ERR_ECI_GRANT_DECRYPTION',

  // EciConsentError
  /** The customer (resource owner) refused consent (`access_denied`). */
  ACCESS_DENIED: 'ERR_ECI_ACCESS_DENIED',
  /** The authorization response carried another OAuth error (`error` holds it). */
  AUTHORIZATION_ERROR: 'ERR_ECI_AUTHORIZATION_ERROR',
  /** The callback's `state` does not match the transaction (possible CSRF). */
  STATE_MISMATCH: 'ERR_ECI_STATE_MISMATCH',
  /** The callback's `iss` does not match the provider (RFC 9207 mix-up defence). */
  ISSUER_MISMATCH: 'ERR_ECI_ISSUER_MISMATCH',
  /** No consent transaction was found, it was used already, or it expired. */
  TRANSACTION_INVALID: 'ERR_ECI_TRANSACTION_INVALID',
  /** The token endpoint refused the code or refresh token (`invalid_grant`): consent again. */
  INVALID_GRANT: 'ERR_ECI_INVALID_GRANT',
  /** The grant was revoked; the customer must consent again. */
  GRANT_REVOKED: 'ERR_ECI_GRANT_REVOKED',
  /**
   * The token response granted no account: neither `authorization_details` of type `eci` nor
   * `system_account_ids` named one (docs/protocol.md §4.2). Nothing can be read; consent again.
   */
  NO_ACCOUNTS: 'ERR_ECI_NO_ACCOUNTS',

  // EciHttpError
  /** The provider answered with an HTTP error status. */
  HTTP_ERROR: 'ERR_ECI_HTTP',
  /** The provider's response does not belong to the request (other account or invoice). */
  RESPONSE_MISMATCH: 'ERR_ECI_RESPONSE_MISMATCH',
  /** The response body is not what the content type promises (bad JSON, bad signed JWT), or too large. */
  INVALID_RESPONSE: 'ERR_ECI_INVALID_RESPONSE',
  /** The provider redirected a request the SDK never follows (the ECI POST, every OAuth request but discovery in the browser entry). */
  UNEXPECTED_REDIRECT: 'ERR_ECI_UNEXPECTED_REDIRECT',

  // EciValidationError
  /** A response body breaks the ECIS schema. */
  VALIDATION_FAILED: 'ERR_ECI_VALIDATION',

  // EciNetworkError
  /** The request never got an HTTP response (DNS, reset, TLS, CORS, …). */
  NETWORK: 'ERR_ECI_NETWORK',
  /** The request took longer than `timeout`. */
  TIMEOUT: 'ERR_ECI_TIMEOUT',
  /** The caller's `AbortSignal` aborted the request. */
  ABORTED: 'ERR_ECI_ABORTED',

  /** A grant store (PostgreSQL, Redis) did not answer: down, unreachable or too slow. */
  STORE_UNAVAILABLE: 'ERR_ECI_STORE_UNAVAILABLE',

  // EciError (base)
  /** Something failed that the SDK did not foresee; `cause` holds the original. */
  INTERNAL: 'ERR_ECI_INTERNAL',
  /** A grant store's compare-and-set failed: the stored version is not the one expected. */
  GRANT_CONFLICT: 'ERR_ECI_GRANT_CONFLICT',
  /** A refresh may or may not have reached the provider, and the provider tolerates no reuse: consent again. */
  REFRESH_OUTCOME_UNKNOWN: 'ERR_ECI_REFRESH_OUTCOME_UNKNOWN',
  /** Another instance held the grant's refresh lock longer than the wait allowed. */
  GRANT_LOCK_TIMEOUT: 'ERR_ECI_GRANT_LOCK_TIMEOUT',
  /** A remote signer (KMS, HSM) threw, timed out or returned no signature; the message names the key id. */
  SIGNER_FAILED: 'ERR_ECI_SIGNER_FAILED',
} as const

/** Union of every {@link ErrorCode} value. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]
