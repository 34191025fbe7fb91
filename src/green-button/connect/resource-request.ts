/**
 * A Connect My Data resource read (`GET` with the customer's access token) through the SDK's data
 * plane: one deadline per attempt over headers and body, the body bounded (parsed as it streams
 * for feeds), the one retry policy (`withRetries`), the one refusal mapping, no redirect
 * followed (the bearer token is addressed to the resource server), and one refresh on a 401.
 * @module
 */
import { toEciError } from '../../error-boundary.js'
import { EciHttpError, EciNetworkError, ErrorCode } from '../../errors.js'
import type { GrantTokens } from '../../grant/grant-tokens.js'
import { MAX_ERROR_BODY_BYTES, readBodyText, releaseBody } from '../../http/body.js'
import { Deadline } from '../../http/deadline.js'
import { httpErrorFromResponse, isRedirect, redirectRefused } from '../../http/refusal.js'
import { withRetries } from '../../http/retry.js'
import { callHook, type RequestState, reportResponse, retryHook, traced } from '../../telemetry.js'
import type { ResolvedGreenButtonOptions } from './options.js'

/** A call's own abort signal. */
export interface ResourceCallOptions {
  /** Ends the call (and its retries). */
  signal?: AbortSignal | undefined
}

/** Which Green Button resource a read is for: its hooks' `requestType` is `green_button.<kind>`. */
export type ResourceKind = 'subscription' | 'usage_point' | 'authorization'

/** How a read is named in errors. */
export const RESOURCE_WHAT: Readonly<Record<ResourceKind, string>> = {
  subscription: 'The subscription read',
  usage_point: 'The usage point read',
  authorization: 'The authorization read',
}

/** Reads a response body that passed the status and content-type checks. */
export type BodyReader<T> = (body: ReadableStream<Uint8Array>, signal: AbortSignal) => Promise<T>

const XML_TYPE = /^(application\/(atom\+)?xml|text\/xml|application\/[\w.+-]+\+xml)\s*(;|$)/i

const ACCEPT = 'application/atom+xml, application/xml;q=0.9, text/xml;q=0.8'

async function refusal(response: Response, what: string, accessToken: string, deadline: Deadline) {
  let data: unknown
  try {
    const text = await deadline.race(
      readBodyText(response, { timeoutMs: Number.POSITIVE_INFINITY, maxBytes: MAX_ERROR_BODY_BYTES, what }),
    )
    data = JSON.parse(text)
  } catch (error) {
    // A refusal whose body is cut, too large or not JSON is still the refusal; a deadline is not.
    if (deadline.signal.aborted) throw error
  }
  return httpErrorFromResponse(response, data, { what, secrets: [accessToken] })
}

async function attempt<T>(
  o: ResolvedGreenButtonOptions,
  url: string,
  accessToken: string,
  what: string,
  read: BodyReader<T>,
  signal: AbortSignal | undefined,
  state: RequestState,
): Promise<T> {
  const deadline = new Deadline(o.timeout, signal)
  let response: Response | undefined
  try {
    const headers = { authorization: `Bearer ${accessToken}`, accept: ACCEPT, 'user-agent': o.telemetry.userAgent }
    const init: RequestInit = { method: 'GET', headers, redirect: 'manual', signal: deadline.signal }
    callHook(o.telemetry.onRequest, state)
    const sentAt = performance.now()
    response = await deadline.race(o.fetch(url, init)).catch((error: unknown) => {
      throw toEciError(error, what, { network: true, host: new URL(url).host })
    })
    reportResponse(o.telemetry, state, response, sentAt, [accessToken])
    if (isRedirect(response)) {
      throw redirectRefused(what, response, {
        secrets: [accessToken],
        requestUrl: url,
        why: 'the access token is sent only to the resource server',
      })
    }
    if (!response.ok) throw await refusal(response, what, accessToken, deadline)
    const type = response.headers.get('content-type') ?? ''
    if (!XML_TYPE.test(type)) {
      throw new EciHttpError(
        ErrorCode.INVALID_RESPONSE,
        `${what}: expected an XML response, got ${JSON.stringify(type.slice(0, 60) || 'no content type')}`,
        { status: response.status },
      )
    }
    if (!response.body) {
      throw new EciHttpError(ErrorCode.INVALID_RESPONSE, `${what}: the response has no body`, {
        status: response.status,
      })
    }
    return await deadline.race(read(response.body, deadline.signal))
  } catch (error) {
    if (signal?.aborted) throw new EciNetworkError(ErrorCode.ABORTED, `${what} was aborted`, { cause: signal.reason })
    throw toEciError(error, what)
  } finally {
    deadline.done()
    // A body not read is cancelled: its connection is released, not left open while the
    // provider keeps writing.
    releaseBody(response)
  }
}

/**
 * `GET url` with the grant's access token: retried by the SDK's policy (a GET may be resent),
 * refreshed and sent again once when the resource server refuses the token (401). The consumer's
 * `onRequest`, `onResponse` and `onRetry` hooks see each attempt as `green_button.<kind>`.
 * @throws {EciError} typed: `EciHttpError` for refusals and unusable responses, `EciNetworkError`,
 *   `EciValidationError` from `read`, `EciConsentError` when the refresh needs consent.
 */
export function getResource<T>(
  o: ResolvedGreenButtonOptions,
  tokens: GrantTokens,
  url: string,
  kind: ResourceKind,
  read: BodyReader<T>,
  call: ResourceCallOptions = {},
): Promise<T> {
  const attributes = { 'server.address': new URL(url).host, 'http.request.method': 'GET' }
  return traced(o.telemetry, 'ecis.green_button.request', attributes, () =>
    readWithToken(o, tokens, url, kind, read, call),
  )
}

async function readWithToken<T>(
  o: ResolvedGreenButtonOptions,
  tokens: GrantTokens,
  url: string,
  kind: ResourceKind,
  read: BodyReader<T>,
  call: ResourceCallOptions,
): Promise<T> {
  const what = RESOURCE_WHAT[kind]
  const { telemetry } = o
  // The path names the customer's subscription and usage point: only with `accountIds`.
  const { origin, pathname } = new URL(url)
  const shown = telemetry.accountIds ? origin + pathname : origin
  const state = (attempt: number): RequestState => ({ requestType: `green_button.${kind}`, url: shown, attempt })
  let accessToken = await tokens.accessToken()
  for (let refreshed = false; ; refreshed = true) {
    try {
      return await withRetries((n) => attempt(o, url, accessToken, what, read, call.signal, state(n)), {
        policy: o.retry,
        signal: call.signal,
        what,
        onRetry: retryHook(telemetry, state, what),
      })
    } catch (error) {
      // Data Custodians often send a bare 401 (no `WWW-Authenticate` error): any refused token
      // but a scope refusal is refreshed once.
      const refused = error instanceof EciHttpError && error.status === 401 && error.error !== 'insufficient_scope'
      if (refused && !refreshed) {
        const next = await tokens.onInvalidToken({ error, accessToken })
        if (typeof next === 'string' && next.length > 0) {
          accessToken = next
          continue
        }
      }
      throw error
    }
  }
}
