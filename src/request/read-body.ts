/**
 * Reading an ECI response body: bounded in time and size (`http/body.ts`), then JSON or a
 * signed `application/jwt` as the content type says.
 * @module
 */

import { EciError, EciHttpError, ErrorCode, toEciError } from '../errors.js'
import { readBodyText } from '../http/body.js'
import { requestIdOf } from '../http/refusal.js'
import type { ResponseVerifier } from './response-jwt.js'

export { MAX_RESPONSE_BYTES, readBodyText } from '../http/body.js'

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
