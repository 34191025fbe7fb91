/**
 * Response helpers shared by every endpoint: JSON bodies, OAuth error bodies, and the headers
 * every response carries.
 * @module
 */

/** Headers a browser page on another origin may read. */
const EXPOSED =
  'X-Request-Id, WWW-Authenticate, Retry-After, DPoP-Nonce, Date, Location, RateLimit, RateLimit-Policy, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset'

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/** An RFC 6749 error body `{ error, error_description }`. */
export function oauthError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): Response {
  return json({ error, error_description: description }, status, headers)
}

/** `WWW-Authenticate` value for an RFC 6750 / RFC 9449 challenge. */
export function challenge(scheme: 'Bearer' | 'DPoP', params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\]/g, '')}"`)
  return parts.length ? `${scheme} ${parts.join(', ')}` : scheme
}

/** A 400 HTML page, for authorization errors that must not be redirected. */
export function errorPage(status: number, error: string, description: string): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head><body><h1>Authorization error</h1><p><code>${escapeHtml(error)}</code>: ${escapeHtml(description)}</p></body></html>`
  return new Response(body, { status, headers: { 'Content-Type': 'text/html; charset=utf-8' } })
}

/** Escapes text for HTML element and attribute content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A 302 to `location` (a plain Response: `Response.redirect` has immutable headers). */
export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location } })
}

/**
 * Copies `response` with the headers every answer carries: `X-Request-Id`, `Date` (the
 * provider's clock), `Cache-Control: no-store` and CORS.
 */
export function finish(
  response: Response,
  requestId: string,
  date: Date,
  extra: Record<string, string> = {},
): Response {
  const headers = new Headers(response.headers)
  for (const [name, value] of Object.entries(extra)) headers.set(name, value)
  headers.set('X-Request-Id', requestId)
  headers.set('Date', date.toUTCString())
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store')
  headers.set('Access-Control-Allow-Origin', '*')
  headers.set('Access-Control-Expose-Headers', EXPOSED)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/** The answer to a CORS preflight. */
export function preflight(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, DPoP, Accept',
      'Access-Control-Expose-Headers': EXPOSED,
      'Access-Control-Max-Age': '600',
    },
  })
}

/** Largest request body any endpoint reads, in bytes. */
export const MAX_BODY = 64 * 1024

/**
 * Reads a request body as UTF-8 text, refusing anything over 64 kB. The limit is enforced while
 * streaming: a `Content-Length` over the limit is refused before reading, and reading stops
 * (and the stream is cancelled) as soon as the bytes received pass it, so an oversized or
 * endless body is never buffered. Returns `undefined` when the body is too large or unreadable;
 * `''` when there is none.
 */
export async function readBody(request: Request): Promise<string | undefined> {
  const declared = request.headers.get('Content-Length')
  if (declared !== null && (!/^\d+$/.test(declared.trim()) || Number(declared) > MAX_BODY)) return undefined
  if (request.body === null) return ''
  let reader: ReadableStreamDefaultReader<Uint8Array>
  try {
    reader = request.body.getReader()
  } catch {
    return undefined // locked or already read
  }
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > MAX_BODY) {
        // Not awaited: cancelling one branch of a tee'd (cloned) body settles only when the
        // other branch is cancelled too.
        reader.cancel().catch(() => {})
        return undefined
      }
      chunks.push(value)
    }
  } catch {
    return undefined
  } finally {
    reader.releaseLock()
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined // not UTF-8
  }
}

/** True when the request's media type is `type` (parameters ignored). */
export function hasMediaType(request: Request, type: string): boolean {
  const value = request.headers.get('Content-Type') ?? ''
  return value.split(';')[0]!.trim().toLowerCase() === type
}

/** Reads an `application/x-www-form-urlencoded` body; `undefined` when it is not one. */
export async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  if (!hasMediaType(request, 'application/x-www-form-urlencoded')) return undefined
  const text = await readBody(request)
  return text === undefined ? undefined : new URLSearchParams(text)
}
