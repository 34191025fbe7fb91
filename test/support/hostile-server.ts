/**
 * A loopback HTTP server that misbehaves on purpose (node:http, real sockets: MSW cannot cut a
 * socket mid-body). Each request is answered by the behaviour armed for its path, else 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { constants, createBrotliCompress, createDeflate, gzipSync } from 'node:zlib'

export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** One request as the hostile server received it: what the SDK really sent (secrets included). */
export interface RecordedRequest {
  method: string
  path: string
  /** Path and query. */
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface HostileServer {
  url: string
  /** Arms `behaviour` for requests to `path`. */
  on(path: string, behaviour: Behaviour): void
  /** Requests seen, by path. */
  hits(path: string): number
  /** Requests seen on every path. */
  total(): number
  /** Every request received, in order (method, path, headers, body). */
  readonly requests: readonly RecordedRequest[]
  close(): Promise<void>
}

export async function startHostileServer(): Promise<HostileServer> {
  const routes = new Map<string, Behaviour>()
  const seen = new Map<string, number>()
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    seen.set(path, (seen.get(path) ?? 0) + 1)
    const record: RecordedRequest = {
      method: req.method ?? '',
      path,
      url: req.url ?? '',
      headers: req.headers,
      body: '',
    }
    requests.push(record)
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      record.body = body
      const behaviour = routes.get(path)
      if (behaviour) behaviour(req, res, body)
      else res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    on: (path, behaviour) => routes.set(path, behaviour),
    hits: (path) => seen.get(path) ?? 0,
    total: () => requests.length,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Answers the n-th request (from 0) with `behaviours[n]`, and every later one with the last. */
export function sequence(...behaviours: Behaviour[]): Behaviour {
  let n = 0
  return (req, res, body) => behaviours[Math.min(n++, behaviours.length - 1)]!(req, res, body)
}

/** Headers promising `length` bytes, a few sent, then the socket closed. */
export const cutOff =
  (length = 5000): Behaviour =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(length) })
    res.write('{"system_account_id":')
    setTimeout(() => res.socket?.destroy(), 20)
  }

/** Headers, then a socket reset. */
export const resetAfterHeaders: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.flushHeaders()
  setTimeout(() => res.socket?.resetAndDestroy(), 20)
}

/** A gzip body that does not inflate. */
export const corruptGzip: Behaviour = (_req, res) => {
  const good = gzipSync(Buffer.from('{"ok":true}'))
  good[good.length - 6] ^= 0xff
  good[12] ^= 0xff
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  res.end(good.subarray(0, good.length - 4))
}

/** One byte every `everyMs`, forever (until the client gives up). */
export const trickle =
  (everyMs = 50, contentType = 'application/json'): Behaviour =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': contentType })
    res.write('{')
    const timer = setInterval(() => res.write(' '), everyMs)
    res.on('close', () => clearInterval(timer))
  }

/** An endless JSON body with no Content-Length. */
export const endless: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const pump = () => {
    while (res.write(chunk)) {}
  }
  res.on('drain', pump)
  res.write('{"x":"')
  pump()
}

const MiB = 1024 * 1024
let gzipBombBytes: Buffer | undefined

/**
 * 256 MB of spaces in about 270 kB of gzip: 256 concatenated gzip members of 1 MiB each (a valid
 * multi-member stream, RFC 1952 §2.2), so making it never holds 256 MB in the test process.
 */
export function gzipBomb(status = 200): Behaviour {
  gzipBombBytes ??= Buffer.concat(Array(256).fill(gzipSync(Buffer.alloc(MiB, 0x20), { level: 9 })))
  const bomb = gzipBombBytes
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    res.end(bomb)
  }
}

/** Compresses `mebibytes` MiB of spaces through `stream`, one reused 1 MiB chunk at a time. */
async function compressSpaces(stream: NodeJS.ReadWriteStream, mebibytes: number): Promise<Buffer> {
  const chunk = Buffer.alloc(MiB, 0x20)
  const out: Buffer[] = []
  stream.on('data', (c: Buffer) => out.push(c))
  const done = new Promise((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  for (let i = 0; i < mebibytes; i++) {
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve))
  }
  stream.end()
  await done
  return Buffer.concat(out)
}

const bombCache = new Map<string, Promise<Buffer>>()

/** A `Content-Encoding: deflate` (zlib) body of 64 MiB of spaces (about 64 kB on the wire). */
export async function deflateBomb(): Promise<Behaviour> {
  if (!bombCache.has('deflate')) bombCache.set('deflate', compressSpaces(createDeflate({ level: 9 }), 64))
  const bomb = await bombCache.get('deflate')!
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' })
    res.end(bomb)
  }
}

/** A `Content-Encoding: br` body of 256 MiB of spaces (a few hundred bytes on the wire). */
export async function brotliBomb(): Promise<Behaviour> {
  if (!bombCache.has('br')) {
    const brotli = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })
    bombCache.set('br', compressSpaces(brotli, 256))
  }
  const bomb = await bombCache.get('br')!
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' })
    res.end(bomb)
  }
}

/** A JSON answer. */
export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }

/** A body of `status` with `contentType` (none when `undefined`). */
export const text =
  (status: number, contentType: string | undefined, body: string, headers: Record<string, string> = {}): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { ...(contentType ? { 'content-type': contentType } : {}), ...headers })
    res.end(body)
  }

/** Reads the request and never answers (the socket stays open until the client gives up). */
export const never: Behaviour = () => {}

/** Closes the connection with a TCP reset before any byte of a response. */
export const resetBeforeHeaders: Behaviour = (_req, res) => {
  res.socket?.resetAndDestroy()
}

/** Bytes that are not HTTP, then close. */
export const notHttp: Behaviour = (_req, res) => {
  res.socket?.end('SSH-2.0-OpenSSH_9.6\r\nthis is not an HTTP response\r\n\r\n')
}

/** The status line and headers one byte every `everyMs` (slowloris in reverse), never finishing. */
export const trickleHeaders =
  (everyMs = 50): Behaviour =>
  (_req, res) => {
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${'x-pad: 1\r\n'.repeat(10_000)}`
    let i = 0
    const timer = setInterval(() => {
      if (i < head.length && res.socket?.writable) res.socket.write(head[i++]!)
    }, everyMs)
    res.socket?.on('close', () => clearInterval(timer))
  }

/**
 * A body of `bytes` bytes, sent as fast as the client reads; with `declare`, announced by
 * Content-Length (the client can refuse it before reading), else chunked.
 */
export const giant =
  (bytes: number, { declare = true, status = 200 }: { declare?: boolean; status?: number } = {}): Behaviour =>
  (_req, res) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(declare ? { 'content-length': String(bytes) } : {}),
    })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let left = bytes - 1
    res.write('[')
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
        left -= piece.length
        if (!res.write(piece)) return
      }
      res.end()
    }
    res.on('drain', pump)
    pump()
  }

/** A redirect to `location`. */
export const redirect =
  (status: number, location: string): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { location, 'content-type': 'text/plain' }).end('moved')
  }

/** A 200 JSON answer with a response header of `bytes` bytes. */
export const hugeHeader =
  (bytes: number, body: unknown): Behaviour =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-padding': 'p'.repeat(bytes) })
    res.end(JSON.stringify(body))
  }

/**
 * Everything secret the request carried — its `Authorization` and `DPoP` headers and its whole
 * body (request JWT, client assertion, code, verifier, refresh token) — as one string, the way a
 * careless or hostile provider echoes a request back.
 */
export function echoOf(req: IncomingMessage, body: string): string {
  return [req.headers.authorization, req.headers.dpop, body]
    .filter(Boolean)
    .join(' ')
    .replace(/[\r\n"]/g, ' ')
}

/** Where {@link echo} puts what the request carried. */
export type EchoPlace = 'body' | 'request-id' | 'www-authenticate'

/** An error response (`status`, `error`) that echoes the request's secrets at `places`. */
export const echo =
  (status: number, error: string, places: readonly EchoPlace[]): Behaviour =>
  (req, res, body) => {
    const echoed = echoOf(req, body)
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (places.includes('request-id')) headers['x-request-id'] = `req-${echoed}`
    if (places.includes('www-authenticate')) {
      headers['www-authenticate'] = `Bearer error="${error}", error_description="you sent ${echoed}"`
    }
    res.writeHead(status, headers)
    res.end(JSON.stringify(places.includes('body') ? { error, error_description: `you sent ${echoed}` } : { error }))
  }
