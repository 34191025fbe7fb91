/**
 * A loopback HTTP server that misbehaves on purpose (node:http, real sockets: MSW cannot cut a
 * socket mid-body). Each request is answered by the behaviour armed for its path, else 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'

export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface HostileServer {
  url: string
  /** Arms `behaviour` for requests to `path`. */
  on(path: string, behaviour: Behaviour): void
  /** Requests seen, by path. */
  hits(path: string): number
  close(): Promise<void>
}

export async function startHostileServer(): Promise<HostileServer> {
  const routes = new Map<string, Behaviour>()
  const seen = new Map<string, number>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    seen.set(path, (seen.get(path) ?? 0) + 1)
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
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
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
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

/** 256 MB of spaces in about 250 kB of gzip (made when the behaviour is made, not per request). */
export function gzipBomb(): Behaviour {
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20), { level: 9 })
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
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
