/**
 * Reading a response body with a deadline and a size cap (decompressed bytes): a provider that
 * sends headers and then trickles (or never ends) the body must not hang a call, and a huge or
 * compressed-huge body must not exhaust memory. Every reader of the SDK uses it — the ECI call,
 * OAuth responses, the provider JWKS and the consent entry's metadata fetch — so it depends on
 * nothing but the error classes (the browser consent bundle includes it).
 * @module
 */
import { EciHttpError, EciNetworkError, ErrorCode } from './errors.js'

/** Largest ECI response body accepted, in bytes (an InvoiceDetail is ~2 kB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** Largest OAuth response body read (metadata, JWKS, PAR, token, revocation): a few kB in practice. */
export const MAX_OAUTH_RESPONSE_BYTES = 256 * 1024

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
