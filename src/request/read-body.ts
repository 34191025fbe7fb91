/**
 * Reading a response body with a deadline and a size cap: a provider that sends headers and then
 * trickles (or never ends) the body must not hang a call, and a huge body must not exhaust memory.
 * @module
 */
import { EciError, EciHttpError, EciNetworkError, ErrorCode, toEciError } from '../errors.js'
import { requestIdOf } from './http-error.js'
import type { ResponseVerifier } from './response-jwt.js'

/** Largest ECI response body accepted, in bytes (an InvoiceDetail is ~2 kB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** Reads `response` as UTF-8 text within `timeoutMs` and `maxBytes`. */
export async function readBodyText(
  response: Response,
  options: { timeoutMs: number; maxBytes?: number; signal?: AbortSignal | undefined; what: string },
): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_RESPONSE_BYTES
  const declared = Number(response.headers.get('content-length'))
  const tooLarge = () =>
    new EciHttpError(ErrorCode.INVALID_RESPONSE, `${options.what}: the response body exceeds ${maxBytes} bytes`, {
      status: response.status,
    })
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EciNetworkError(ErrorCode.TIMEOUT, `${options.what}: reading the response body timed out`)),
      options.timeoutMs,
    )
    onAbort = () => {
      const reason = options.signal?.reason as { name?: unknown } | undefined
      // A deadline signal (AbortSignal.timeout) is a timeout, not the caller's abort.
      const timedOut = reason?.name === 'TimeoutError'
      reject(
        new EciNetworkError(
          timedOut ? ErrorCode.TIMEOUT : ErrorCode.ABORTED,
          `${options.what} ${timedOut ? 'timed out reading the response body' : 'was aborted'}`,
          { cause: reason },
        ),
      )
    }
    if (options.signal?.aborted) onAbort()
    else options.signal?.addEventListener('abort', onAbort, { once: true })
  })
  stop.catch(() => {})
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), stop])
      if (done) break
      size += value.byteLength
      if (size > maxBytes) throw tooLarge()
      chunks.push(value)
    }
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  } finally {
    clearTimeout(timer)
    if (onAbort) options.signal?.removeEventListener('abort', onAbort)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(all)
}

/** What {@link readEciBody} needs to know. */
export interface EciBodyOptions {
  /** Verifies `application/jwt` responses; without it a signed response is refused. */
  verifier: ResponseVerifier | undefined
  timeoutMs: number
  signal?: AbortSignal | undefined
  /** What the request was, for messages ("ECI basic request"). */
  what: string
  /** The request's secrets, scrubbed from the request id. */
  secrets?: readonly string[]
}

/**
 * Reads an ECI response body (bounded in time and size) as the content type says: JSON, or a
 * signed `application/jwt` verified against the provider's keys. Returns the unvalidated value.
 */
export async function readEciBody(response: Response, options: EciBodyOptions): Promise<unknown> {
  const { what, verifier } = options
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  const invalid = (reason: string, cause?: unknown) =>
    new EciHttpError(ErrorCode.INVALID_RESPONSE, `${what}: ${reason}`, {
      status: response.status,
      requestId: requestIdOf(response.headers, options.secrets),
      response,
      cause,
    })
  let text: string
  try {
    text = await readBodyText(response, options)
  } catch (error) {
    throw toEciError(error, what, { network: true })
  }
  if (type === 'application/jwt') {
    if (!verifier)
      throw invalid('the provider sent a signed (application/jwt) response but no provider JWKS is configured')
    try {
      return await verifier.verify(text.trim())
    } catch (error) {
      if (error instanceof EciError) throw error
      throw invalid('the signed response failed verification', error)
    }
  }
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw invalid(`expected an application/json response, got ${type ? `"${type.slice(0, 60)}"` : 'no content type'}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw invalid('the response body is not valid JSON', error)
  }
}
