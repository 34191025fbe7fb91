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

/** A system or TLS error code anywhere in a cause chain (undici nests them), e.g. `ECONNREFUSED`. */
export function rootCauseCode(error: unknown): string | undefined {
  let current = error
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (
      typeof code === 'string' &&
      /^(E[A-Z]+|UND_ERR_[A-Z_]+|ERR_TLS_[A-Z_]+|ERR_SSL_[A-Z_]+|[A-Z_]*CERT[A-Z_]*)$/.test(code)
    ) {
      return code
    }
    const errors = (current as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = rootCauseCode(errors[0])
      if (inner) return inner
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * Whether a `fetch` failure means no (complete) response: a failed connection, or a body cut off
 * after the headers (undici's `TypeError: terminated`), or the browser's opaque network error.
 */
function isNetworkFailure(error: unknown, name: string): boolean {
  if (name === 'NetworkError') return true
  if (!(error instanceof TypeError)) return false
  return /fetch|network|load failed|socket|terminated|other side closed|ECONN|EPIPE/i.test(error.message)
}

/** Where a foreign error came from, for {@link toEciError}. */
export interface ForeignErrorContext {
  /** The error came out of `fetch` itself (or reading a body): anything but an abort is a network failure. */
  network?: boolean
  /** The host the request went to. */
  host?: string | undefined
}

function networkError(error: unknown, context: string, where: ForeignErrorContext): EciNetworkError {
  const rootCause = rootCauseCode(error)
  const to = where.host ? ` from ${where.host}` : ''
  return new EciNetworkError(
    ErrorCode.NETWORK,
    `${context} failed: no response${to}${rootCause ? ` (${rootCause})` : ''}`,
    { cause: error, host: where.host, rootCause },
  )
}

/** The `name` of a thrown value, when it has one. */
function nameOf(error: unknown): string {
  return error instanceof Error || (typeof error === 'object' && error !== null) ? String((error as Error).name) : ''
}

/** A timeout, an abort or a failed `fetch` as an {@link EciNetworkError}; `undefined` for anything else. */
function asNetworkError(error: unknown, context: string, where: ForeignErrorContext): EciNetworkError | undefined {
  const name = nameOf(error)
  if (name === 'TimeoutError') {
    return new EciNetworkError(ErrorCode.TIMEOUT, `${context} timed out`, { cause: error, host: where.host })
  }
  if (name === 'AbortError') {
    return new EciNetworkError(ErrorCode.ABORTED, `${context} was aborted`, { cause: error, host: where.host })
  }
  if (isNetworkFailure(error, name) || (where.network && error instanceof Error)) {
    return networkError(error, context, where)
  }
  return undefined
}

function internalError(error: unknown, context: string): EciError {
  return new EciError(ErrorCode.INTERNAL, `${context} failed unexpectedly`, { cause: error })
}

/**
 * The boundary for a plain `fetch` of a request that carries no credential (the consent
 * entry's metadata request): our own errors pass through, an abort or timeout is an
 * {@link EciNetworkError} `ABORTED` / `TIMEOUT`, any other `Error` is a network failure with its
 * root cause, and a thrown non-`Error` is `ERR_ECI_INTERNAL`. {@link toEciError} is this plus
 * the HTTP client's, zod's and jose's errors, which a plain `fetch` never throws.
 */
export function fetchFailure(foreign: unknown, context: string): EciError {
  if (foreign instanceof EciError) return foreign
  return asNetworkError(foreign, context, { network: true }) ?? internalError(foreign, context)
}

/**
 * The one boundary that turns foreign errors into SDK errors, keeping the original in `cause`:
 * our own errors pass through; aborts and timeouts (DOMException) become {@link EciNetworkError};
 * a failed or cut-off `fetch` becomes a network error with its root cause; zod and jose errors
 * keep their meaning; anything else is `ERR_ECI_INTERNAL`.
 */
export function toEciError(foreign: unknown, context = 'ECIS call', where: ForeignErrorContext = {}): EciError {
  if (foreign instanceof EciError) return foreign
  const error = withoutRequest(foreign)
  const network = asNetworkError(error, context, where)
  if (network) return network
  if (nameOf(error) === 'ZodError') {
    return new EciValidationError(`${context}: invalid data`, [], { cause: error })
  }
  const joseCode = (error as { code?: unknown } | null)?.code
  if (typeof joseCode === 'string' && joseCode.startsWith('ERR_J')) {
    return new EciHttpError(
      ErrorCode.INVALID_RESPONSE,
      `${context}: the provider's signed response failed verification`,
      { status: 0, cause: error },
    )
  }
  return internalError(error, context)
}
