/**
 * The Third Party's notify endpoint as a Web-API handler, `(request: Request) => Promise<Response>`:
 * answers a Data Custodian's verification GET (echoing its challenge), reads a POSTed
 * `espi:BatchList` bounded in size and time, and hands its resource URIs to `onBatch`.
 * @module
 */
import { EciError, ErrorCode } from '../../errors.js'
import { readBodyText } from '../../http/body.js'
import { badOption, resolveTimeout } from '../../resolve.js'
import { parseBatchList } from './documents.js'

/** Options of {@link greenButtonNotifications}. */
export interface GreenButtonNotificationOptions {
  /**
   * Receives the resource URIs of one notification (subscriptions, usage points or bulk files
   * ready to be read). Hand them to the sync (`sync.notify(provider, uris)`); answer fast: the
   * Data Custodian waits for the response. A rejection answers 500, so the Data Custodian retries.
   */
  onBatch: (resourceUris: string[], request: Request) => void | Promise<void>
  /**
   * Only URIs under these resource endpoints are handed on (a notification naming another host is
   * refused with 400): give each Data Custodian's `resourceEndpoint`.
   * @default every URI
   */
  resourceEndpoints?: readonly string[] | undefined
  /** Largest body read, bytes. @default 1 MiB */
  maxBytes?: number | undefined
  /** Deadline of reading the body, ms. @default 10_000 */
  timeoutMs?: number | undefined
}

const CHALLENGE_PARAMS = ['challenge', 'hub.challenge', 'validationToken']
const CHALLENGE = /^[\w.~+/=-]{1,256}$/
const XML_TYPE = /^(application\/xml|text\/xml|application\/atom\+xml)\s*(;|$)/i

const text = (status: number, body: string | null = null, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers } })

function underAny(uri: string, endpoints: readonly string[]): boolean {
  return endpoints.some(
    (endpoint) => uri === endpoint || uri.startsWith(endpoint.endsWith('/') ? endpoint : `${endpoint}/`),
  )
}

/**
 * A notify-URI handler for any Web-API server (Node's loopback server, Next.js route handlers,
 * Hono, Deno, Bun; Express and Fastify through a `Request` adapter — see docs/green-button.md).
 *
 * - `GET` with `challenge` (or `hub.challenge`, `validationToken`): 200 echoing it, as plain text.
 * - `POST` of an `espi:BatchList` (`application/xml`, `text/xml` or `application/atom+xml`):
 *   200 after `onBatch` resolved; 415 for another content type, 413 past `maxBytes`, 400 for a
 *   body that is no BatchList (a DTD or entity included), 500 when `onBatch` fails.
 * - Anything else: 405.
 * @throws {EciConfigError} for bad options (never from the handler, which always answers).
 * @example
 * ```ts
 * import { greenButtonNotifications } from 'ecis-consumer/green-button'
 *
 * const handler = greenButtonNotifications({ onBatch: (uris) => console.log('new data', uris) })
 * export const POST = handler // a Next.js route handler
 * export const GET = handler
 * ```
 */
export function greenButtonNotifications(
  options: GreenButtonNotificationOptions,
): (request: Request) => Promise<Response> {
  if (typeof options?.onBatch !== 'function') throw badOption('greenButtonNotifications needs an `onBatch` function')
  const maxBytes = options.maxBytes ?? 1024 * 1024
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw badOption('`maxBytes` must be a positive whole number of bytes')
  const timeoutMs = resolveTimeout(options.timeoutMs, 'timeoutMs', 10_000)
  const endpoints = options.resourceEndpoints
  if (endpoints !== undefined && (!Array.isArray(endpoints) || !endpoints.every((e) => typeof e === 'string'))) {
    throw badOption('`resourceEndpoints` must be an array of URLs')
  }
  return async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const q = new URL(request.url).searchParams
      const challenge = CHALLENGE_PARAMS.map((name) => q.get(name)).find((v) => v !== null)
      if (challenge === undefined) return text(200)
      return CHALLENGE.test(challenge) ? text(200, challenge) : text(400, 'malformed challenge')
    }
    if (request.method !== 'POST') return text(405, null, { Allow: 'GET, POST' })
    if (!XML_TYPE.test(request.headers.get('content-type') ?? '')) {
      await request.body?.cancel().catch(() => {})
      return text(415, 'expected an espi:BatchList (application/xml)')
    }
    let uris: string[]
    try {
      const body = await readBodyText(new Response(request.body, { headers: request.headers }), {
        timeoutMs,
        maxBytes,
        what: 'The notification',
      })
      uris = parseBatchList(body)
    } catch (error) {
      await request.body?.cancel().catch(() => {})
      const tooLarge = error instanceof EciError && /exceeds/.test(error.message)
      if (error instanceof EciError && error.code === ErrorCode.TIMEOUT) return text(408, 'the body took too long')
      return tooLarge ? text(413, 'the notification is too large') : text(400, 'not an espi:BatchList')
    }
    if (endpoints && !uris.every((uri) => underAny(uri, endpoints)))
      return text(400, 'a resource URI is not under a known resource endpoint')
    try {
      await options.onBatch(uris, request)
    } catch {
      return text(500, 'the notification could not be taken; send it again')
    }
    return text(200)
  }
}
