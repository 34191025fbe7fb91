/**
 * Every failure of a public call is one of the classes in this module. Each carries a stable
 * string `code` (exported below as constants) so that callers branch on codes, never on
 * message text. Messages never contain tokens, codes, verifiers, JWTs or key material.
 *
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

  // EciHttpError
  /** The provider answered with an HTTP error status. */
  HTTP_ERROR: 'ERR_ECI_HTTP',
  /** The provider's response does not belong to the request (other account or invoice). */
  RESPONSE_MISMATCH: 'ERR_ECI_RESPONSE_MISMATCH',
  /** The response body is not what the content type promises (bad JSON, bad signed JWT). */
  INVALID_RESPONSE: 'ERR_ECI_INVALID_RESPONSE',

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
  /** A refresh may or may not have reached the provider, and the provider tolerates no reuse. */
  REFRESH_OUTCOME_UNKNOWN: 'ERR_ECI_REFRESH_OUTCOME_UNKNOWN',
} as const

/** Union of every {@link ErrorCode} value. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Options every SDK error accepts. */
export interface EciErrorOptions {
  /** The underlying error, kept for debugging (non-enumerable, never serialised). */
  cause?: unknown
}

/**
 * Base class of every error the SDK throws. Branch on `code`, not on the message.
 *
 * `cause` is non-enumerable and `toJSON()` is explicit, so `JSON.stringify(err)` and log
 * serialisers show only `name`, `code`, `message` and the protocol fields.
 */
export class EciError extends Error {
  /** A stable code from {@link ErrorCode}. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: EciErrorOptions) {
    super(message)
    this.code = code
    this.name = new.target.name
    if (options && 'cause' in options) {
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        enumerable: false,
        writable: true,
        configurable: true,
      })
    }
  }

  /** What `JSON.stringify` shows: never the cause, the response or any secret. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message }
    for (const [k, v] of Object.entries(this)) {
      if (k !== 'code' && v !== undefined) out[k] = v
    }
    return out
  }
}

/** Bad options or arguments: a programming or configuration mistake. Retrying will not help. */
export class EciConfigError extends EciError {}

/** Reasons an {@link EciConsentError} may carry. */
export type ConsentErrorCode =
  | typeof ErrorCode.ACCESS_DENIED
  | typeof ErrorCode.AUTHORIZATION_ERROR
  | typeof ErrorCode.STATE_MISMATCH
  | typeof ErrorCode.ISSUER_MISMATCH
  | typeof ErrorCode.TRANSACTION_INVALID
  | typeof ErrorCode.INVALID_GRANT
  | typeof ErrorCode.GRANT_REVOKED

/**
 * The customer must consent again: the authorization response carried an error, `state` or
 * `iss` did not match, or the token endpoint refused the code or refresh token.
 */
export class EciConsentError extends EciError {
  /** The OAuth `error` value from the provider, when it sent one (e.g. `access_denied`). */
  readonly error: string | undefined
  /** The provider's `error_description`, when it sent one. */
  readonly errorDescription: string | undefined

  constructor(
    code: ConsentErrorCode,
    message: string,
    options?: EciErrorOptions & { error?: string; errorDescription?: string },
  ) {
    super(code, message, options)
    this.error = options?.error
    this.errorDescription = options?.errorDescription
  }
}

/** Fields of an {@link EciHttpError}. */
export interface EciHttpErrorOptions extends EciErrorOptions {
  status: number
  error?: string | undefined
  errorDescription?: string | undefined
  requestId?: string | undefined
  retryAfter?: number | undefined
  response?: Response | undefined
}

/** The provider refused the request (HTTP error status), or answered with something unusable. */
export class EciHttpError extends EciError {
  /** HTTP status of the final attempt (0 when the failure is not tied to a status). */
  readonly status: number
  /** The OAuth/ECIS `error` value from the body or `WWW-Authenticate`, e.g. `insufficient_scope`. */
  readonly error: string | undefined
  /** The provider's `error_description`. */
  readonly errorDescription: string | undefined
  /** The provider's request id (`X-Request-Id` and friends), for support tickets. */
  readonly requestId: string | undefined
  /** Seconds the provider asked to wait (`Retry-After`), when it said so. */
  readonly retryAfter: number | undefined
  /** The raw response; non-enumerable so it never lands in logs. */
  declare readonly response: Response | undefined

  constructor(code: ErrorCode, message: string, options: EciHttpErrorOptions) {
    super(code, message, options)
    this.status = options.status
    this.error = options.error
    this.errorDescription = options.errorDescription
    this.requestId = options.requestId
    this.retryAfter = options.retryAfter
    Object.defineProperty(this, 'response', { value: options.response, enumerable: false })
  }
}

/** One schema problem, with the field path in the response body. */
export interface ValidationIssue {
  /** Field path, e.g. `['system_invoice_ids', 3]`. */
  path: (string | number)[]
  /** What is wrong, in words. Never contains the offending value. */
  message: string
}

/** A response body breaks the ECIS schema. `issues` lists every problem found. */
export class EciValidationError extends EciError {
  /** Every problem, with its field path. */
  readonly issues: ValidationIssue[]

  constructor(message: string, issues: ValidationIssue[], options?: EciErrorOptions) {
    super(ErrorCode.VALIDATION_FAILED, message, options)
    this.issues = issues
  }
}

/** No HTTP response arrived: network failure, timeout, or the caller aborted. */
export class EciNetworkError extends EciError {}

const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`, and any JWT-shaped
 * string too (a provider may echo the request JWT or a token back in its error text).
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(JWT_SHAPED, '[redacted]')
  for (const secret of secrets) {
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]')
  }
  return out
}

/**
 * HTTP-client errors (ky's) hold the `Request`, whose headers carry the access token; keep only
 * what caused them so no printable `cause` chain leads to a secret.
 */
function withoutRequest(error: unknown): unknown {
  if (error === null || typeof error !== 'object' || !('request' in error || 'options' in error)) return error
  const inner = (error as { cause?: unknown }).cause
  if (inner !== undefined) return withoutRequest(inner)
  const { name, message } = error as unknown as Error
  const stripped = new Error(String(message))
  stripped.name = String(name)
  return stripped
}

/**
 * The one boundary that turns foreign errors into SDK errors, keeping the original in `cause`:
 * our own errors pass through; aborts and timeouts (DOMException) become {@link EciNetworkError};
 * a `TypeError` from `fetch` becomes a network error; zod and jose errors keep their meaning;
 * anything else is `ERR_ECI_INTERNAL`.
 */
export function toEciError(foreign: unknown, context = 'ECIS call'): EciError {
  if (foreign instanceof EciError) return foreign
  const error = withoutRequest(foreign)
  const name = error instanceof Error || (typeof error === 'object' && error !== null) ? (error as Error).name : ''
  if (name === 'TimeoutError') {
    return new EciNetworkError(ErrorCode.TIMEOUT, `${context} timed out`, { cause: error })
  }
  if (name === 'AbortError') {
    return new EciNetworkError(ErrorCode.ABORTED, `${context} was aborted`, { cause: error })
  }
  if (
    name === 'NetworkError' ||
    (error instanceof TypeError && /fetch|network|load failed|socket/i.test(error.message))
  ) {
    return new EciNetworkError(ErrorCode.NETWORK, `${context} failed: no response from the provider`, { cause: error })
  }
  if (name === 'ZodError') {
    return new EciValidationError(`${context}: invalid data`, [], { cause: error })
  }
  const joseCode = (error as { code?: unknown } | null)?.code
  if (typeof joseCode === 'string' && joseCode.startsWith('ERR_J')) {
    return new EciHttpError(
      ErrorCode.INVALID_RESPONSE,
      `${context}: the provider's signed response failed verification`,
      {
        status: 0,
        cause: error,
      },
    )
  }
  return new EciError(ErrorCode.INTERNAL, `${context} failed unexpectedly`, { cause: error })
}
