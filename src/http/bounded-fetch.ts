/**
 * The `fetch` the SDK hands to libraries that read bodies themselves (openid-client for OAuth,
 * jose for a provider's JWKS): one deadline per request over the response headers and its body
 * (their own timeouts cover only the headers, and both would read any size with
 * `response.json()`), every body bounded (decompressed bytes; 64 KiB for an error status) and
 * buffered before they see it, and the SDK's `User-Agent`. No retries here: a call is retried as
 * a whole by its caller (`withRetries`), so every attempt carries a new client assertion and
 * DPoP proof.
 * @module
 */

import { toEciError } from '../errors.js'
import { hostOf } from '../resolve.js'
import { MAX_ERROR_BODY_BYTES, MAX_OAUTH_RESPONSE_BYTES, readBodyText } from './body.js'
import { Deadline } from './deadline.js'

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

/** The `error` / `error_description` an error response of {@link boundedFetch} carried, if any. */
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

/** Options of {@link boundedFetch}. */
export interface BoundedFetchOptions {
  /** Deadline of each request, headers and body, ms. */
  timeout: number
  /** `User-Agent` of every OAuth request (instead of openid-client's own). */
  userAgent?: string | undefined
  maxBytes?: number
}

function what(url: string): string {
  try {
    const u = new URL(url)
    return `The request to ${u.host}${u.pathname}`
  } catch {
    return 'The OAuth request'
  }
}

/** The response with its body read (bounded) into memory, so openid-client reads no further. */
async function buffered(response: Response, url: string, o: BoundedFetchOptions, deadline: Deadline) {
  const text = await deadline.race(
    readBodyText(response, {
      timeoutMs: Number.POSITIVE_INFINITY,
      maxBytes: response.status >= 400 ? MAX_ERROR_BODY_BYTES : (o.maxBytes ?? MAX_OAUTH_RESPONSE_BYTES),
      signal: deadline.signal,
      what: what(url),
    }),
  )
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

/** Wraps `fetch` as the module describes. */
export function boundedFetch(fetch: typeof globalThis.fetch, o: BoundedFetchOptions): typeof globalThis.fetch {
  return async (input, given) => {
    const headers = new Headers(given?.headers)
    if (o.userAgent) headers.set('user-agent', o.userAgent)
    const url = String(input instanceof Request ? input.url : input)
    const deadline = new Deadline(o.timeout, given?.signal ?? undefined)
    try {
      const response = await deadline.race(fetch(input, { ...given, headers, signal: deadline.signal }))
      try {
        return await buffered(response, url, o, deadline)
      } catch (error) {
        // An abandoned body releases its connection.
        await response.body?.cancel().catch(() => {})
        throw error
      }
    } catch (error) {
      throw toEciError(error, what(url), { network: true, host: hostOf(url) })
    } finally {
      deadline.done()
    }
  }
}
