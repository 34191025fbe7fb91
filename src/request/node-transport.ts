/**
 * The ECI POST over `node:http` / `node:https` on Node. Node's `fetch` (undici) costs two to
 * three times the main-thread time of a `node:http` request for a small POST (its WHATWG
 * `Request`, streams and fetch algorithm), and on a busy sync worker the main thread is what
 * limits calls per second — so on Node, when the app gave no `fetch` of its own and nobody has
 * replaced `globalThis.fetch` (MSW, instrumentation), ky's per-call `fetch` sends through here.
 * Everywhere else, or for any other request shape, `globalThis.fetch` serves.
 *
 * It keeps `fetch`'s contract for this one request: a real `Response` (status, headers, body),
 * never a followed redirect, `gzip`/`deflate`/`br` bodies decoded, abort by `signal` with its
 * reason, and a failure without a response as `TypeError('fetch failed')` with the system error
 * as `cause`. A small body with a declared length and no encoding is read before the `Response`
 * is made (one buffer, no stream); any other body streams. Connections are Node's global
 * keep-alive agents, so proxies and agents the app configured apply.
 * @module
 */
import { MAX_RESPONSE_BYTES } from '../http/body.js'
import { nodeBuiltin } from '../node-builtin.js'
import { defaultFetch } from '../resolve.js'

/** The slice of a Node stream used here. */
interface NodeStream {
  on(event: 'error', listener: (error: Error) => void): this
  pipe<T>(destination: T): T
  destroy(error?: unknown): void
}
/** The slice of Node's `IncomingMessage` used here. */
interface NodeResponse extends NodeStream {
  readonly statusCode?: number
  readonly statusMessage?: string
  readonly rawHeaders: string[]
  readonly complete: boolean
  on(event: 'data', listener: (chunk: Uint8Array) => void): this
  on(event: 'end' | 'close', listener: () => void): this
  on(event: 'error', listener: (error: Error) => void): this
  pipe<T>(destination: T): T
  resume(): void
  destroy(error?: unknown): void
}
/** The slice of Node's `ClientRequest` used here. */
interface NodeRequest {
  on(event: 'response', listener: (response: NodeResponse) => void): this
  on(event: 'error', listener: (error: Error) => void): this
  end(body: string): void
  destroy(error?: unknown): void
}
interface NodeHttp {
  request(url: string, options: { method: string; headers: Record<string, string> }): NodeRequest
}
interface NodeStreams {
  Readable: { toWeb(stream: unknown): ReadableStream<Uint8Array> }
}
interface NodeZlib {
  createGunzip(): NodeStream
  createInflate(): NodeStream
  createBrotliDecompress(): NodeStream
}
interface NodeBuffer {
  Buffer: { concat(chunks: Uint8Array[], length: number): Uint8Array }
}

interface Node {
  http: NodeHttp
  https: NodeHttp
  stream: NodeStreams
  zlib: NodeZlib
  buffer: NodeBuffer
}

let modules: Node | null | undefined
function node(): Node | undefined {
  if (modules === undefined) {
    const http = nodeBuiltin<NodeHttp>('http')
    const https = nodeBuiltin<NodeHttp>('https')
    const stream = nodeBuiltin<NodeStreams>('stream')
    const zlib = nodeBuiltin<NodeZlib>('zlib')
    const buffer = nodeBuiltin<NodeBuffer>('buffer')
    modules = http && https && stream && zlib && buffer ? { http, https, stream, zlib, buffer } : null
  }
  return modules ?? undefined
}

/** `globalThis.fetch` as this module found it: a different one later means someone intercepts. */
const fetchAtLoad = globalThis.fetch

/** Statuses whose response has no body (the `Response` constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** The decoder of one `Content-Encoding` token, or `undefined` to pass the bytes through as `fetch` does. */
function decoder(z: NodeZlib, coding: string): NodeStream | undefined {
  if (coding === 'gzip' || coding === 'x-gzip') return z.createGunzip()
  if (coding === 'deflate') return z.createInflate()
  if (coding === 'br') return z.createBrotliDecompress()
  return undefined
}

function headersOf(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
  return headers
}

/** What `fetch` rejects with when there is no (complete) response. */
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause })

/**
 * Sends one request and settles like `fetch`. `headers` is a plain object, `body` a string.
 */
function send(
  n: Node,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string,
  signal?: AbortSignal,
) {
  return new Promise<Response>((resolve, reject) => {
    // Already aborted: no request at all (one destroyed at once would emit its error unheard).
    if (signal?.aborted) return reject(signal.reason)
    const client = url.startsWith('https:') ? n.https : n.http
    // undici's default, so a provider sees the request it saw through `fetch`.
    const request = client.request(url, { method, headers: { 'accept-encoding': 'gzip, deflate', ...headers } })
    let response: NodeResponse | undefined
    let settled = false
    const settle = (error: unknown, value?: Response) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      if (value) resolve(value)
      else reject(error)
    }
    const onAbort = () => {
      const reason = signal?.reason
      request.destroy(reason)
      response?.destroy(reason)
      settle(reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    request.on('error', (error) => settle(fetchFailed(error)))
    request.on('response', (res) => {
      response = res
      const status = res.statusCode ?? 0
      const init = { status, statusText: res.statusMessage ?? '', headers: headersOf(res.rawHeaders) }
      if (NULL_BODY.has(status)) {
        // No body to report a later socket error to: the Response is out already.
        res.on('error', () => {})
        res.resume()
        return settle(undefined, new Response(null, init))
      }
      const coding = (init.headers.get('content-encoding') ?? '').trim().toLowerCase()
      const length = Number(init.headers.get('content-length') ?? Number.NaN)
      if ((coding === '' || coding === 'identity') && length >= 0 && length <= MAX_RESPONSE_BYTES) {
        buffered(n, res, length, init, settle)
        return
      }
      // Streamed: decoded in order (the last coding applied is undone first), bounded by the reader.
      // `pipe` forwards no errors: each stage's error destroys the next, so the reader sees it.
      let stream: NodeStream = res
      for (const c of coding.split(',').reverse()) {
        const d = decoder(n.zlib, c.trim())
        if (!d) continue
        const from = stream
        from.on('error', (error) => d.destroy(error))
        stream = from.pipe(d)
      }
      const webBody = n.stream.Readable.toWeb(stream)
      settle(undefined, new Response(webBody, init))
    })
    request.end(body)
  })
}

/** Reads a body of known length into one buffer, then settles with its `Response`. */
function buffered(
  n: Node,
  res: NodeResponse,
  length: number,
  init: ResponseInit,
  settle: (error: unknown, value?: Response) => void,
) {
  const chunks: Uint8Array[] = []
  let size = 0
  res.on('data', (chunk) => {
    chunks.push(chunk)
    size += chunk.byteLength
  })
  res.on('error', (error) => settle(fetchFailed(error)))
  res.on('end', () => {
    // Node ends a cut-off body as if complete; `fetch` says "terminated".
    if (!res.complete || size !== length) return settle(fetchFailed(new Error('terminated')))
    settle(undefined, new Response(n.buffer.Buffer.concat(chunks, size) as Uint8Array<ArrayBuffer>, init))
  })
  res.on('close', () => {
    if (!res.complete) settle(fetchFailed(Object.assign(new Error('other side closed'), { code: 'ECONNRESET' })))
  })
}

/**
 * The default `fetch` of the ECI POST: over `node:http(s)` on Node while `globalThis.fetch` is
 * the runtime's own, `globalThis.fetch` otherwise. Takes `fetch`'s arguments; a request it does
 * not handle (not a string URL, body or plain headers) goes to `globalThis.fetch`.
 */
const eciFetch: typeof fetch = (input, init) => {
  const n = node()
  const headers = init?.headers
  if (
    n &&
    globalThis.fetch === fetchAtLoad &&
    typeof input === 'string' &&
    /^https?:/.test(input) &&
    typeof init?.body === 'string' &&
    init.redirect === 'manual' &&
    headers !== null &&
    typeof headers === 'object' &&
    Object.getPrototypeOf(headers) === Object.prototype
  ) {
    return send(n, input, init.method ?? 'GET', headers as Record<string, string>, init.body, init.signal ?? undefined)
  }
  return globalThis.fetch(input, init)
}

/**
 * The `fetch` the ECI POST goes through: the app's own when it gave one, else {@link eciFetch}.
 * @internal
 */
export function eciTransport(appFetch: typeof fetch): typeof fetch {
  return appFetch === defaultFetch ? eciFetch : appFetch
}
