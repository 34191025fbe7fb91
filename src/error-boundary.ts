/**
 * The error boundary: foreign errors (fetch's TypeError, DOMException timeouts and aborts, zod's
 * and jose's errors, anything thrown) become SDK errors, the original kept as `cause`. One
 * function, {@link toEciError}, with small adapters; OAuth failures go through
 * `oauth/errors.ts` first, which maps openid-client's classes and then defers to this.
 * @module
 */
import { EciError, EciHttpError, EciNetworkError, EciValidationError, ErrorCode } from './errors.js'

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
