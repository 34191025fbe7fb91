/**
 * The one place that maps an ECI endpoint's HTTP error response to an SDK error.
 * @module
 */
import { EciHttpError, ErrorCode, redact } from '../errors.js'

const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-correlation-id', 'x-amzn-requestid']

/** Longest request id kept; real ones (UUIDs, trace ids) are far shorter. */
const REQUEST_ID_LIMIT = 128

/**
 * The provider's request id, from the usual headers: scrubbed of the request's secrets and of
 * anything JWT-shaped (a hostile provider may echo a token there), and capped, so it is safe to
 * print. The id lands in messages and logs.
 */
export function requestIdOf(headers: Headers, secrets: readonly (string | undefined)[] = []): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name)
    if (value) return redact(value, secrets).slice(0, REQUEST_ID_LIMIT)
  }
  return undefined
}

/** Reads `error` and `error_description` from a `WWW-Authenticate: Bearer …` / `DPoP …` challenge. */
export function parseAuthenticateChallenge(header: string | null): { error?: string; errorDescription?: string } {
  if (!header) return {}
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`, 'i').exec(header)?.[1]
  const out: { error?: string; errorDescription?: string } = {}
  const error = param('error')
  const errorDescription = param('error_description')
  if (error) out.error = error
  if (errorDescription) out.errorDescription = errorDescription
  return out
}

/** `Retry-After` in seconds (delta-seconds or HTTP-date), when present and sensible. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

const TEXT_LIMIT = 300

function cleanText(value: unknown, secrets: readonly (string | undefined)[]): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined
  // Redact before truncating, so a secret cut in half cannot leave its prefix behind.
  return redact(value, secrets).slice(0, TEXT_LIMIT)
}

/**
 * Builds the {@link EciHttpError} for an error response: `error`/`error_description` from the
 * JSON body or the `WWW-Authenticate` challenge, the request id and `Retry-After`. Provider text
 * is truncated and scrubbed of the request's secrets.
 */
export function httpErrorFromResponse(
  response: Response,
  data: unknown,
  context: { what: string; secrets: readonly (string | undefined)[] },
): EciHttpError {
  const body = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  const challenge = parseAuthenticateChallenge(response.headers.get('www-authenticate'))
  const error = cleanText(body.error, context.secrets) ?? cleanText(challenge.error, context.secrets)
  const errorDescription =
    cleanText(body.error_description, context.secrets) ?? cleanText(challenge.errorDescription, context.secrets)
  const requestId = requestIdOf(response.headers, context.secrets)
  const retryAfter = retryAfterSeconds(response.headers)
  const detail = [error, errorDescription && `(${errorDescription})`].filter(Boolean).join(' ')
  const message =
    `${context.what} failed: HTTP ${response.status}${detail ? ` ${detail}` : ''}` +
    (retryAfter !== undefined ? `; retry after ${retryAfter} s` : '') +
    (requestId ? ` [request id ${requestId}]` : '')
  return new EciHttpError(ErrorCode.HTTP_ERROR, message, {
    status: response.status,
    error,
    errorDescription,
    requestId,
    retryAfter,
    response,
  })
}
