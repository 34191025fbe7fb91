/**
 * The mock provider on a loopback HTTP server (node:http), for the demo, the CLI and browser
 * examples: the same MSW handlers, run without interception through `getResponse`.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadPeer } from '../../peer.js'
import { escapeHtml, MAX_BODY } from '../http.js'
import type { MockClient, MockProvider, MockProviderOptions } from '../types.js'

/** Options of {@link startMockProviderServer}: the provider's options plus where to listen. */
export interface MockProviderServerOptions extends Omit<MockProviderOptions, 'issuer' | 'clients'> {
  /**
   * TCP port; `0` picks a free one.
   * @default 0
   */
  port?: number | undefined
  /**
   * Interface to listen on. Keep it on loopback: the mock has no real security.
   * @default '127.0.0.1'
   */
  host?: string | undefined
  /**
   * The issuer identifier. Requests are served whatever the `Host` header says.
   * @default `http://127.0.0.1:PORT` (the host and the port actually bound)
   */
  issuer?: string | undefined
  /** Registered clients. @default [] */
  clients?: MockClient[] | undefined
}

/** A running mock provider server. */
export interface MockProviderServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:4010`. */
  url: string
  issuer: string
  resource: string
  /** The provider behind the server: calls, faults, fixtures, clock … */
  provider: MockProvider
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

/**
 * Reads the body, streaming, up to the handlers' limit ({@link MAX_BODY}); resolves `'too-large'`
 * as soon as the declared or received size passes it, without buffering the rest.
 */
export function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_BODY) {
      resolve('too-large')
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        req.off('data', onData)
        req.pause()
        resolve('too-large')
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** The answer to an oversized body; the connection is closed after it (the rest is never read). */
export function tooLarge(res: ServerResponse, req: IncomingMessage): void {
  const body = JSON.stringify({ error: 'invalid_request', error_description: 'the body is larger than 64 kB' })
  res.on('finish', () => req.destroy())
  res.writeHead(400, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
    Connection: 'close',
  })
  res.end(body)
}

export function toRequest(req: IncomingMessage, origin: string, body: Buffer | undefined): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'host' || name === 'connection') continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD' && body !== undefined && body.length > 0
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    body: hasBody ? new Uint8Array(body) : undefined,
  })
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  const body = Buffer.from(await response.arrayBuffer())
  res.writeHead(response.status, headers)
  res.end(body)
}

function indexPage(provider: MockProvider): Response {
  const owners = provider.fixtures.owners
    .map(
      (o) =>
        `<li>${escapeHtml(o.name)} (<code>${escapeHtml(o.ownerId)}</code>): ${o.accounts
          .map((a) => `<code>${escapeHtml(a.systemAccountId)}</code> ${a.accountType}`)
          .join(', ')}</li>`,
    )
    .join('')
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ECIS mock provider</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto">
<h1>ECIS mock provider</h1>
<p>Issuer <code>${escapeHtml(provider.issuer)}</code>, ECI endpoint <code>${escapeHtml(provider.resource)}</code>.</p>
<p><a href="${escapeHtml(provider.issuer)}/.well-known/oauth-authorization-server">Metadata</a> ·
<a href="${escapeHtml(provider.issuer)}/jwks">JWKS</a></p>
<h2>Customers</h2><ul>${owners}</ul></body></html>`
  return new Response(html, { headers: { 'Content-Type': 'text/html; charset=utf-8' } })
}

function notFound(): Response {
  return new Response(JSON.stringify({ error: 'not_found', error_description: 'no such endpoint' }), {
    status: 404,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
  })
}

/**
 * Starts the mock provider on a loopback HTTP server. With `consent: 'interactive'` its
 * `/authorize` serves a consent page a person can click through in a browser.
 *
 * @example
 * ```ts
 * import { startMockProviderServer } from 'ecis-consumer/mock/node'
 *
 * const server = await startMockProviderServer({ port: 0, consent: 'interactive', clients: [myClient] })
 * console.log(`issuer: ${server.issuer}`)
 * // … point the SDK at server.issuer with allowInsecureRequests: true …
 * await server.close()
 * ```
 */
export async function startMockProviderServer(options: MockProviderServerOptions = {}): Promise<MockProviderServer> {
  const { port = 0, host = '127.0.0.1', issuer: wantedIssuer, clients = [], ...providerOptions } = options
  // msw (an optional peer) and the provider that builds on it load here, not when the entry is
  // imported: without msw this rejects with an error that says to install it. One after the
  // other: the CommonJS build's provider require()s msw, which Node refuses while an import() of
  // it is still in flight (ERR_REQUIRE_ESM_RACE_CONDITION).
  const { getResponse } = await loadPeer('msw', 'ecis-consumer/mock/node', () => import('msw'))
  const { createMockProvider } = await import('../provider.js')
  let provider: MockProvider | undefined
  let origins: string[] = []

  const server = createServer(async (req, res) => {
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req)
      if (body === 'too-large') {
        tooLarge(res, req)
        return
      }
      if (!provider) {
        res.writeHead(503).end()
        return
      }
      let response: Response | undefined
      for (const origin of origins) {
        response = await getResponse(provider.handlers, toRequest(req, origin, body))
        if (response) break
      }
      if (!response && req.method === 'GET' && (req.url === '/' || req.url === '/index.html'))
        response = indexPage(provider)
      response ??= notFound()
      if (response.type === 'error') {
        // A `network: 'reset'` fault: drop the connection without an answer.
        req.socket.destroy()
        return
      }
      await send(res, response)
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ error: 'server_error', error_description: 'the mock server failed' }))
    }
  })
  server.requestTimeout = 30_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${hostPart}:${address.port}`
  try {
    provider = createMockProvider({ ...providerOptions, issuer: wantedIssuer ?? url, clients })
  } catch (error) {
    server.close()
    throw error
  }
  origins = [...new Set([new URL(provider.issuer).origin, new URL(provider.resource).origin])]

  return {
    url,
    issuer: provider.issuer,
    resource: provider.resource,
    provider,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
