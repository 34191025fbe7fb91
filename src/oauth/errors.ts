/**
 * The OAuth half of the error boundary: turns openid-client / oauth4webapi failures into SDK
 * errors, matching the classes openid-client exports. Their errors may hold the authorization
 * response (with the code) or the raw response body as `cause`, so only names, codes and OAuth
 * error fields cross over — never the original object.
 * @module
 */
import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client'
import {
  EciConfigError,
  EciConsentError,
  EciError,
  EciHttpError,
  EciNetworkError,
  ErrorCode,
  redact,
  toEciError,
} from '../errors.js'
import { oauthErrorBody } from '../http/bounded-fetch.js'
import { requestIdOf, retryAfterSeconds } from '../http/refusal.js'

/** An OAuth step, as it appears in messages ("The token refresh failed: …"). */
export type OAuthOperation =
  | 'discovery'
  | 'pushed authorization request'
  | 'code exchange'
  | 'token refresh'
  | 'revocation'

/** How to read a failure of one OAuth step. */
export interface OAuthErrorContext {
  /** `invalid_grant` means the customer must consent again (code exchange, refresh). */
  consentOnInvalidGrant: boolean
  /** Secrets of this request, scrubbed from anything the provider echoes. */
  secrets?: readonly (string | undefined)[]
  /** The host the request went to. */
  host?: string | undefined
}

const TEXT_LIMIT = 300

/** The first SDK error in a cause chain: our own `fetch` wrapper's errors pass through openid-client. */
function ownError(error: unknown): EciError | undefined {
  let current = error
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof EciError) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function clean(value: unknown, secrets: readonly (string | undefined)[], limit: number): string | undefined {
  return typeof value === 'string' && value.length > 0 ? redact(value, secrets).slice(0, limit) : undefined
}

function fromResponseBody(e: ResponseBodyError, operation: OAuthOperation, ctx: OAuthErrorContext, safe: Error) {
  const secrets = ctx.secrets ?? []
  const error = clean(e.error, secrets, 64)
  const errorDescription = clean(e.error_description, secrets, TEXT_LIMIT)
  if (error === 'invalid_grant' && ctx.consentOnInvalidGrant) {
    return new EciConsentError(
      ErrorCode.INVALID_GRANT,
      `The provider refused the ${operation} (invalid_grant): the customer must consent again`,
      { error, errorDescription, cause: safe },
    )
  }
  return refusal(operation, e.response, { error, errorDescription }, ctx, safe)
}

/**
 * The {@link EciHttpError} for an OAuth error response: the provider's `error` and
 * `error_description` (scrubbed), its request id and `Retry-After`.
 */
function refusal(
  operation: OAuthOperation,
  response: Response,
  said: { error: string | undefined; errorDescription: string | undefined },
  ctx: OAuthErrorContext,
  safe: Error,
): EciHttpError {
  const { error, errorDescription } = said
  const requestId = requestIdOf(response.headers, ctx.secrets ?? [])
  const retryAfter = retryAfterSeconds(response.headers)
  return new EciHttpError(
    ErrorCode.HTTP_ERROR,
    `The ${operation} failed: HTTP ${response.status}${error ? ` ${error}` : ''}${errorDescription ? ` (${errorDescription})` : ''}` +
      (retryAfter !== undefined ? `; retry after ${retryAfter} s` : '') +
      (requestId ? ` [request id ${requestId}]` : ''),
    { status: response.status, error, errorDescription, requestId, retryAfter, cause: safe },
  )
}

/**
 * A redirect of an OAuth request (openid-client never follows one): the token and PAR requests
 * carry the client assertion and the code or refresh token, which must reach only the endpoint
 * the metadata names. Names where it pointed (origin only, never the query).
 */
function redirected(operation: OAuthOperation, response: Response, ctx: OAuthErrorContext, safe: Error) {
  let origin: string | undefined
  try {
    origin = new URL(response.headers.get('location') ?? '').origin
  } catch {}
  const to = origin && origin !== 'null' ? ` to ${origin}` : ''
  return new EciHttpError(
    ErrorCode.UNEXPECTED_REDIRECT,
    `The ${operation} was redirected (HTTP ${response.status}${to}); the SDK never follows redirects of OAuth requests`,
    { status: response.status, requestId: requestIdOf(response.headers, ctx.secrets ?? []), cause: safe },
  )
}

function fromClientError(e: ClientError, operation: OAuthOperation, ctx: OAuthErrorContext, safe: Error): EciError {
  switch (e.code) {
    case 'OAUTH_TIMEOUT':
      return new EciNetworkError(ErrorCode.TIMEOUT, `The ${operation} timed out`, { cause: safe, host: ctx.host })
    case 'OAUTH_ABORT':
      return new EciNetworkError(ErrorCode.ABORTED, `The ${operation} was aborted`, { cause: safe, host: ctx.host })
    case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
    case 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN':
      return new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `The ${operation} needs https:// (allowInsecureRequests is for local test providers)`,
        { cause: safe },
      )
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      if (operation === 'discovery') {
        return new EciConfigError(
          ErrorCode.INVALID_METADATA,
          'The provider metadata names another issuer than the one configured',
          { cause: safe },
        )
      }
  }
  const response = e.cause instanceof Response ? e.cause : undefined
  if (response && response.status >= 300 && response.status < 400) return redirected(operation, response, ctx, safe)
  if (response && response.status >= 400) {
    // A status openid-client does not expect (5xx, 429 without a JSON error): what the body said.
    const body = oauthErrorBody(response)
    const secrets = ctx.secrets ?? []
    const said = {
      error: clean(body?.error, secrets, 64),
      errorDescription: clean(body?.error_description, secrets, TEXT_LIMIT),
    }
    return refusal(operation, response, said, ctx, safe)
  }
  if (e.code === undefined) return toEciError(e.cause, `The ${operation}`, { network: true, host: ctx.host })
  return new EciHttpError(
    ErrorCode.INVALID_RESPONSE,
    `The ${operation} got an invalid response from the provider (${e.code})`,
    { status: response?.status ?? 0, cause: safe },
  )
}

/**
 * Maps a failure of the OAuth step `operation` to exactly one SDK error.
 * Our own errors (from the SDK's `fetch` wrapper) pass through unchanged.
 */
export function fromOAuthError(raw: unknown, operation: OAuthOperation, ctx: OAuthErrorContext): EciError {
  const own = ownError(raw)
  if (own) return own
  const secrets = ctx.secrets ?? []
  const e = raw as Error | undefined
  // What we keep as `cause`: the class name and a scrubbed message, never the original object.
  const safe = new Error(redact(`${e?.name ?? 'Error'}: ${e?.message ?? ''}`, secrets).slice(0, TEXT_LIMIT))
  if (raw instanceof ResponseBodyError) return fromResponseBody(raw, operation, ctx, safe)
  if (raw instanceof AuthorizationResponseError) {
    const error = clean(raw.error, secrets, 64)
    return new EciConsentError(
      error === 'access_denied' ? ErrorCode.ACCESS_DENIED : ErrorCode.AUTHORIZATION_ERROR,
      `The provider refused the authorization: ${error ?? 'error'}`,
      { error, errorDescription: clean(raw.error_description, secrets, TEXT_LIMIT), cause: safe },
    )
  }
  if (raw instanceof WWWAuthenticateChallengeError) {
    const error = clean(raw.cause[0]?.parameters.error, secrets, 64)
    return new EciHttpError(
      ErrorCode.HTTP_ERROR,
      `The ${operation} was refused: HTTP ${raw.status}${error ? ` ${error}` : ''}`,
      { status: raw.status, error, requestId: requestIdOf(raw.response.headers, secrets), cause: safe },
    )
  }
  if (raw instanceof ClientError) return fromClientError(raw, operation, ctx, safe)
  // TypeError from fetch, DOMException timeouts and anything else: the general boundary.
  return toEciError(raw, `The ${operation}`, { network: raw instanceof TypeError, host: ctx.host })
}
