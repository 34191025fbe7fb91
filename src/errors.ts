/**
 * Every failure of a public call is one of the classes in this module. Each carries a stable
 * string `code` (exported below as constants) so that callers branch on codes, never on
 * message text. Messages never contain tokens, codes, verifiers, JWTs or key material.
 *
 * @module
 */

import { ErrorCode } from './error-codes.js'

export { ErrorCode } from './error-codes.js'

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

/** Codes an {@link EciConfigError} carries. */
export type ConfigErrorCode =
  | typeof ErrorCode.INVALID_OPTION
  | typeof ErrorCode.INVALID_KEY
  | typeof ErrorCode.INVALID_METADATA
  | typeof ErrorCode.GRANT_DECRYPTION

/** Bad options or arguments: a programming or configuration mistake. Retrying will not help. */
export class EciConfigError extends EciError {
  declare readonly code: ConfigErrorCode

  constructor(code: ConfigErrorCode, message: string, options?: EciErrorOptions) {
    super(code, message, options)
  }
}

/** Reasons an {@link EciConsentError} may carry. */
export type ConsentErrorCode =
  | typeof ErrorCode.ACCESS_DENIED
  | typeof ErrorCode.AUTHORIZATION_ERROR
  | typeof ErrorCode.STATE_MISMATCH
  | typeof ErrorCode.ISSUER_MISMATCH
  | typeof ErrorCode.TRANSACTION_INVALID
  | typeof ErrorCode.INVALID_GRANT
  | typeof ErrorCode.GRANT_REVOKED
  | typeof ErrorCode.NO_ACCOUNTS
  | typeof ErrorCode.REFRESH_OUTCOME_UNKNOWN

/**
 * The customer must consent again: the authorization response carried an error, `state` or
 * `iss` did not match, or the token endpoint refused the code or refresh token.
 */
export class EciConsentError extends EciError {
  declare readonly code: ConsentErrorCode
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

/** Codes an {@link EciHttpError} carries. */
export type HttpErrorCode =
  | typeof ErrorCode.HTTP_ERROR
  | typeof ErrorCode.RESPONSE_MISMATCH
  | typeof ErrorCode.INVALID_RESPONSE
  | typeof ErrorCode.UNEXPECTED_REDIRECT

/**
 * The provider refused the request (HTTP error status), or answered with something unusable.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (OAuth error responses)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (`WWW-Authenticate` challenges)
 */
export class EciHttpError extends EciError {
  declare readonly code: HttpErrorCode
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
  // A private field, not a non-enumerable property: `util.inspect(err, { showHidden: true })`
  // would print the raw response's headers, which may echo a token (X-Request-Id, challenges).
  readonly #response: Response | undefined

  constructor(code: HttpErrorCode, message: string, options: EciHttpErrorOptions) {
    super(code, message, options)
    this.status = options.status
    this.error = options.error
    this.errorDescription = options.errorDescription
    this.requestId = options.requestId
    this.retryAfter = options.retryAfter
    this.#response = options.response
  }

  /** The raw response, body possibly consumed; never serialised or inspected (it may echo secrets). */
  get response(): Response | undefined {
    return this.#response
  }
}

/** One schema problem, with the field path in the response body. */
export interface ValidationIssue {
  /** Field path, e.g. `['system_invoice_ids', 3]`. */
  path: (string | number)[]
  /** What is wrong, in words. Never contains the offending value. */
  message: string
}

/** Where a schema break was found, for reports to the provider. */
export interface EciValidationErrorOptions extends EciErrorOptions {
  /** HTTP status of the response that broke the schema. */
  status?: number | undefined
  /** The provider's request id of that response. */
  requestId?: string | undefined
  /** The ECIS request type (`basic`, `invoice`, `invoice_detail`). */
  requestType?: string | undefined
  /** The `system_account_id` asked for. */
  systemAccountId?: string | undefined
  /** How many issues there were, when `issues` is already a cut list. @default issues.length */
  issueCount?: number | undefined
}

/** At most this many issues are kept on an {@link EciValidationError} (a small body can hold 500k). */
export const MAX_VALIDATION_ISSUES = 100
const MAX_MESSAGE_LENGTH = 1000

/**
 * A response body breaks the ECIS schema. `issues` lists the first {@link MAX_VALIDATION_ISSUES}
 * problems; `issueCount` says how many there were.
 */
export class EciValidationError extends EciError {
  declare readonly code: typeof ErrorCode.VALIDATION_FAILED
  /** The first problems, each with its field path. */
  readonly issues: ValidationIssue[]
  /** How many problems the body had in all (may exceed `issues.length`). */
  readonly issueCount: number
  /** HTTP status of the response, when it came from an ECI call. */
  readonly status: number | undefined
  /** The provider's request id, when it came from an ECI call: quote it to the provider. */
  readonly requestId: string | undefined
  /** The ECIS request type, when it came from an ECI call. */
  readonly requestType: string | undefined
  /** The account asked for, when it came from an ECI call. */
  readonly systemAccountId: string | undefined

  constructor(message: string, issues: ValidationIssue[], options?: EciValidationErrorOptions) {
    super(
      ErrorCode.VALIDATION_FAILED,
      message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message,
      options,
    )
    this.issues = issues.slice(0, MAX_VALIDATION_ISSUES)
    this.issueCount = options?.issueCount ?? issues.length
    this.status = options?.status
    this.requestId = options?.requestId
    this.requestType = options?.requestType
    this.systemAccountId = options?.systemAccountId
  }
}

/** Fields of an {@link EciNetworkError}. */
export interface EciNetworkErrorOptions extends EciErrorOptions {
  /** The host the request went to. */
  host?: string | undefined
  /** The root cause's system code (`ENOTFOUND`, `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, a TLS code, …). */
  rootCause?: string | undefined
}

/** Codes an {@link EciNetworkError} carries. */
export type NetworkErrorCode =
  | typeof ErrorCode.NETWORK
  | typeof ErrorCode.TIMEOUT
  | typeof ErrorCode.ABORTED
  | typeof ErrorCode.STORE_UNAVAILABLE

/** No HTTP response arrived: network failure, timeout, the caller aborted, or a grant store did not answer. */
export class EciNetworkError extends EciError {
  declare readonly code: NetworkErrorCode
  /** The host the request went to, when known. */
  readonly host: string | undefined
  /** The root cause's system code, when the runtime reported one (`ENOTFOUND`, `ECONNREFUSED`, …). */
  readonly rootCause: string | undefined

  constructor(code: NetworkErrorCode, message: string, options?: EciNetworkErrorOptions) {
    super(code, message, options)
    this.host = options?.host
    this.rootCause = options?.rootCause
  }
}

export { redact } from './redact.js'
