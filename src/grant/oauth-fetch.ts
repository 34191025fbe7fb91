/**
 * The `fetch` openid-client gets: every OAuth response body bounded (decompressed bytes and a
 * deadline; oauth4webapi would otherwise read any size with `response.json()`), and requests
 * retried where that is safe — a 429/503 that came with a response (honouring `Retry-After`), a
 * connection refused before anything was sent, and any failure of a GET. A POST whose outcome is
 * unknown (reset after sending, timeout) is never resent here: a token request may have rotated
 * the refresh token.
 * @module
 */
import { MAX_OAUTH_RESPONSE_BYTES, readBodyText } from '../bounded-body.js'
import { EciHttpError, ErrorCode, rootCauseCode, toEciError } from '../errors.js'
import { retryAfterSeconds } from '../request/http-error.js'
import { type ResolvedRetry, retryDelay, sleep } from '../request/retry.js'
import { hostOf } from '../resolve.js'

export { MAX_OAUTH_RESPONSE_BYTES } from '../bounded-body.js'

/** The OAuth error members of an error response's body (RFC 6749 §5.2), as the provider sent them. */
export interface OAuthErrorBody {
  error?: unknown
  error_description?: unknown
}

/**
 * Error bodies of the responses this wrapper buffered, by response: openid-client reads the body
 * of a 400/401 itself, but reports any other status (a 503 with `temporarily_unavailable`) as
 * "unexpected status" and drops what the body said.
 */
const errorBodies = new WeakMap<Response, OAuthErrorBody>()

/** The `error` / `error_description` an error response of {@link oauthFetch} carried, if any. */
export function oauthErrorBody(response: Response): OAuthErrorBody | undefined {
  return errorBodies.get(response)
}

function rememberErrorBody(response: Response, text: string): void {
  if (response.status < 400) return
  try {
    const body: unknown = JSON.parse(text)
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const { error, error_description } = body as OAuthErrorBody
      errorBodies.set(response, { error, error_description })
    }
  } catch {}
}

/** Options of {@link oauthFetch}. */
export interface OAuthFetchOptions {
  retry: ResolvedRetry
  /** Deadline of each body read, ms. */
  timeout: number
  /** `User-Agent` of every OAuth request (instead of openid-client's own). */
  userAgent?: string | undefined
  maxBytes?: number
}

/** Statuses that mean the request was not processed and may be sent again. */
const RETRYABLE = new Set([429, 503])

function what(url: string): string {
  try {
    const u = new URL(url)
    return `The request to ${u.host}${u.pathname}`
  } catch {
    return 'The OAuth request'
  }
}

/** Whether a failed send may be repeated: the request is a GET, or nothing was sent. */
function safeToResend(error: unknown, method: string): boolean {
  return method === 'GET' || rootCauseCode(error) === 'ECONNREFUSED'
}

async function buffered(response: Response, url: string, o: OAuthFetchOptions, signal: AbortSignal | undefined) {
  const text = await readBodyText(response, {
    timeoutMs: o.timeout,
    maxBytes: o.maxBytes ?? MAX_OAUTH_RESPONSE_BYTES,
    signal,
    what: what(url),
  })
  const headers = new Headers(response.headers)
  // The body is decoded now; its old length and encoding no longer describe it.
  headers.delete('content-encoding')
  headers.delete('content-length')
  const copy = new Response(response.status === 204 || response.status === 304 ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers,
  })
  rememberErrorBody(copy, text)
  return copy
}

/** Wraps `fetch` for openid-client as the module describes. */
export function oauthFetch(fetch: typeof globalThis.fetch, o: OAuthFetchOptions): typeof globalThis.fetch {
  return async (input, given) => {
    let init = given
    if (o.userAgent) {
      const headers = new Headers(given?.headers)
      headers.set('user-agent', o.userAgent)
      init = { ...given, headers }
    }
    const url = String(input instanceof Request ? input.url : input)
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    const signal = init?.signal ?? undefined
    // openid-client gives the whole call (retries and their waits included) `timeout` in whole
    // seconds: a wait that would outlast it is not started (the refusal is the answer).
    const deadline = performance.now() + Math.ceil(o.timeout / 1000) * 1000
    const fits = (wait: number | undefined) => wait !== undefined && performance.now() + wait < deadline
    for (let retries = 0; ; retries++) {
      let response: Response
      try {
        response = await fetch(input, init)
      } catch (error) {
        const failure = toEciError(error, what(url), { network: true, host: hostOf(url) })
        const wait = safeToResend(error, method) ? retryDelay(failure, retries, o.retry) : undefined
        if (!fits(wait) || signal?.aborted) throw failure
        await sleep(wait as number, signal)
        continue
      }
      if (RETRYABLE.has(response.status) && retries < o.retry.limit) {
        const after = retryAfterSeconds(response.headers)
        const refusal = new EciHttpError(ErrorCode.HTTP_ERROR, 'retryable', {
          status: response.status,
          retryAfter: after,
        })
        const wait = retryDelay(refusal, retries, o.retry)
        if (fits(wait)) {
          await response.body?.cancel().catch(() => {})
          await sleep(wait as number, signal)
          continue
        }
      }
      return buffered(response, url, o, signal)
    }
  }
}
