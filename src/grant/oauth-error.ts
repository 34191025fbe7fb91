/**
 * Turns openid-client / oauth4webapi failures into SDK errors. Their errors may hold the
 * authorization response (with the code) or the raw response body as `cause`, so only names,
 * codes and OAuth error fields cross over — never the original object.
 * @module
 */
import {
  EciConfigError,
  EciConsentError,
  type EciError,
  EciHttpError,
  ErrorCode,
  redact,
  toEciError,
} from '../errors.js'

interface OAuthLikeError {
  name?: string
  code?: string
  message?: string
  error?: string
  error_description?: string
  status?: number
  response?: Response
  cause?: unknown
}

/** Maps an OAuth library error from `operation` (e.g. "refresh") to an SDK error. */
export function fromOAuthError(
  raw: unknown,
  operation: string,
  options: { consentOnInvalidGrant: boolean; secrets?: readonly (string | undefined)[] },
): EciError {
  const e = (raw ?? {}) as OAuthLikeError
  if (raw instanceof Error && 'code' in raw && typeof e.code === 'string' && e.code.startsWith('ERR_ECI'))
    return raw as EciError
  const secrets = options.secrets ?? []
  const safe = new Error(redact(`${e.name ?? 'Error'}: ${e.message ?? ''}`, secrets).slice(0, 300))
  const errorField = typeof e.error === 'string' ? redact(e.error, secrets).slice(0, 64) : undefined
  const description =
    typeof e.error_description === 'string' ? redact(e.error_description, secrets).slice(0, 300) : undefined
  if (e.code === 'OAUTH_RESPONSE_BODY_ERROR' || (errorField && typeof e.status === 'number')) {
    if (errorField === 'invalid_grant' && options.consentOnInvalidGrant) {
      return new EciConsentError(
        ErrorCode.INVALID_GRANT,
        `The provider refused the ${operation} (invalid_grant): the customer must consent again`,
        { error: errorField, errorDescription: description, cause: safe },
      )
    }
    const requestId = e.response?.headers.get('x-request-id') ?? undefined
    return new EciHttpError(
      ErrorCode.HTTP_ERROR,
      `The ${operation} failed: HTTP ${e.status ?? '?'} ${errorField ?? ''}${description ? ` (${description})` : ''}`,
      { status: e.status ?? 0, error: errorField, errorDescription: description, requestId, cause: safe },
    )
  }
  if (e.code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') {
    return new EciConsentError(
      errorField === 'access_denied' ? ErrorCode.ACCESS_DENIED : ErrorCode.AUTHORIZATION_ERROR,
      `The provider refused the authorization: ${errorField ?? 'error'}`,
      { error: errorField, errorDescription: description, cause: safe },
    )
  }
  if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
    return new EciHttpError(ErrorCode.HTTP_ERROR, `The ${operation} was refused: HTTP ${e.status ?? '?'}`, {
      status: e.status ?? 0,
      cause: safe,
    })
  }
  if (e.name === 'TypeError' && /fetch|network/i.test(e.message ?? '')) return toEciError(raw, `The ${operation}`)
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return toEciError(raw, `The ${operation}`)
  const response = e.response ?? (typeof Response !== 'undefined' && e.cause instanceof Response ? e.cause : undefined)
  if (response && response.status >= 400) {
    return new EciHttpError(ErrorCode.HTTP_ERROR, `The ${operation} failed: HTTP ${response.status}`, {
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
      cause: safe,
    })
  }
  if (typeof e.code === 'string' && (e.code.startsWith('OAUTH_') || e.code.startsWith('ERR_'))) {
    // Protocol checks that failed on the provider's side: bad metadata, bad token response, …
    if (e.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' || e.code === 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN') {
      return new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `The ${operation} needs https:// (or allowInsecureRequests for a local provider)`,
        {
          cause: safe,
        },
      )
    }
    if (e.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && operation === 'discovery') {
      return new EciConfigError(
        ErrorCode.INVALID_METADATA,
        'The provider metadata names another issuer than the one configured',
        {
          cause: safe,
        },
      )
    }
    return new EciHttpError(
      ErrorCode.INVALID_RESPONSE,
      `The ${operation} got an invalid response from the provider (${e.code})`,
      {
        status: e.status ?? 0,
        cause: safe,
      },
    )
  }
  return toEciError(safe, `The ${operation}`)
}
