/**
 * Reading a response body with a deadline and a size cap (decompressed bytes): a provider that
 * sends headers and then trickles (or never ends) the body must not hang a call, and a huge or
 * compressed-huge body must not exhaust memory. Every reader of the SDK uses it — the ECI call,
 * OAuth responses, the provider JWKS and the consent entry's metadata fetch — so it depends on
 * nothing but the error classes (the browser consent bundle includes it).
 * @module
 */
import { EciHttpError, EciNetworkError, ErrorCode } from '../errors.js'

/** Largest ECI response body accepted, in bytes (an InvoiceDetail is ~2 kB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * Largest error body read (an ECI or OAuth error status): `{ error, error_description }` is a
 * few hundred bytes; a provider's HTML error page is cut, not buffered.
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

/** Largest OAuth response body read (metadata, JWKS, PAR, token, revocation): a few kB in practice. */
export const MAX_OAUTH_RESPONSE_BYTES = 256 * 1024

/** What {@link readBodyText} takes. */
interface ReadOptions {
  /** Deadline of the read, ms; `Infinity` when `signal` carries it, or the caller races the read itself. */
  timeoutMs: number
  maxBytes?: number
  signal?: AbortSignal | undefined
  what: string
}

/**
 * A promise that rejects when the read must stop: after `timeoutMs`, or when `signal` aborts (a
 * deadline signal — reason `TimeoutError` — is a timeout, any other reason the caller's abort).
 * `done()` releases the timer and the listener.
 */
function readDeadline(options: ReadOptions): { stop: Promise<never>; done(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_, reject) => {
    if (Number.isFinite(options.timeoutMs)) {
      timer = setTimeout(
        () => reject(new EciNetworkError(ErrorCode.TIMEOUT, `${options.what}: reading the response body timed out`)),
        options.timeoutMs,
      )
    }
    onAbort = () => {
      const reason = options.signal?.reason as { name?: unknown } | undefined
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
  return {
    stop,
    done() {
      clearTimeout(timer)
      if (onAbort) options.signal?.removeEventListener('abort', onAbort)
    },
  }
}

/**
 * Whether the body can be read in one go: its size is declared and within the cap, and it is
 * not compressed (a compressed body's decoded size is not bounded by its Content-Length). The
 * transport delivers no more than the declared length, so the read stays bounded.
 */
function boundedByLength(response: Response, maxBytes: number): boolean {
  const length = response.headers.get('content-length')
  return length !== null && Number(length) <= maxBytes && !response.headers.has('content-encoding')
}

/** Reads `response` as UTF-8 text within `timeoutMs` (or until `signal` aborts) and `maxBytes`. */
export async function readBodyText(response: Response, options: ReadOptions): Promise<string> {
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
  // No deadline here when the caller races the whole read against its own.
  const deadline = Number.isFinite(options.timeoutMs) || options.signal ? readDeadline(options) : undefined
  try {
    if (boundedByLength(response, maxBytes)) {
      const text = await (deadline ? Promise.race([response.text(), deadline.stop]) : response.text())
      // A body that outgrew its declared length (possible only with a custom fetch) is still refused.
      if (text.length > maxBytes) throw tooLarge()
      return text
    }
    return await streamed(response.body, maxBytes, deadline?.stop, tooLarge)
  } finally {
    deadline?.done()
  }
}

/** Reads a stream chunk by chunk, refusing it past `maxBytes`. */
async function streamed(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  stop: Promise<never> | undefined,
  tooLarge: () => EciHttpError,
): Promise<string> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await (stop ? Promise.race([reader.read(), stop]) : reader.read())
      if (done) break
      size += value.byteLength
      if (size > maxBytes) throw tooLarge()
      chunks.push(value)
    }
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(all)
}

/**
 * Releases the connection of a response whose body was not read: cancels an untouched body (a
 * refusal, a redirect, an attempt that ended first). A body already read, or being read, is left
 * alone — its reader cancels it on failure, and the attempt's deadline aborts the transfer — so
 * nothing is thrown and caught on the common path.
 */
export function releaseBody(response: Response | undefined): void {
  if (response?.body && !response.bodyUsed) response.body.cancel().catch(() => {})
}
