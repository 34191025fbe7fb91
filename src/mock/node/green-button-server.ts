/**
 * The mock Green Button Data Custodian on a loopback HTTP server (Node only), for the CLI
 * (`ecis mock --green-button`), examples and tests that span processes. Response bodies are
 * streamed, so the hostile faults (`giant`, `endless`) behave as they would on the wire.
 * @module
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { loadPeer } from '../../peer.js'
import type { MockGreenButtonOptions, MockGreenButtonProvider } from '../green-button/custodian-types.js'
import { readBody, tooLarge, toRequest } from './server.js'

/** Options of {@link startGreenButtonProviderServer}. */
export interface GreenButtonProviderServerOptions extends Omit<MockGreenButtonOptions, 'baseUrl'> {
  /** TCP port; `0` picks a free one. @default 0 */
  port?: number | undefined
  /** Interface to listen on; keep it on loopback. @default '127.0.0.1' */
  host?: string | undefined
}

/** A running mock Data Custodian. */
export interface GreenButtonProviderServer {
  /** Base URL, e.g. `http://127.0.0.1:4020`. */
  url: string
  /** The Data Custodian behind the server: endpoints, calls, faults, notifications. */
  custodian: MockGreenButtonProvider
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

async function stream(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  if (!response.body) return void res.end()
  const body = Readable.fromWeb(response.body as never)
  res.on('close', () => body.destroy())
  body.on('error', () => res.destroy())
  body.pipe(res)
}

/**
 * Starts the mock Data Custodian on a loopback HTTP server.
 * @example
 * ```ts
 * import { startGreenButtonProviderServer } from 'ecis-consumer/mock/node'
 *
 * const server = await startGreenButtonProviderServer({
 *   clients: [{ clientId: 'acme', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:8400/callback'] }],
 * })
 * console.log(server.custodian.endpoints) // pass to greenButtonConsumer with allowInsecureRequests: true
 * await server.close()
 * ```
 */
export async function startGreenButtonProviderServer(
  options: GreenButtonProviderServerOptions,
): Promise<GreenButtonProviderServer> {
  const { port = 0, host = '127.0.0.1', ...custodianOptions } = options
  // msw (an optional peer) and the custodian built on it load here, one after the other, as
  // startMockProviderServer does: the entry imports without msw, and this says to install it.
  const { getResponse } = await loadPeer('msw', 'ecis-consumer/mock/node', () => import('msw'))
  const { createGreenButtonProvider } = await import('../green-button/custodian.js')
  let custodian: MockGreenButtonProvider | undefined
  let origin = ''
  const server = createServer(async (req, res) => {
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req)
      if (body === 'too-large') return tooLarge(res, req)
      if (!custodian) return void res.writeHead(503).end()
      const response =
        (await getResponse(custodian.handlers, toRequest(req, origin, body))) ?? new Response(null, { status: 404 })
      // A `network: 'reset'` fault: drop the connection without an answer.
      if (response.type === 'error') return void req.socket.destroy()
      await stream(res, response)
    } catch {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address
  origin = `http://${hostPart}:${address.port}`
  try {
    custodian = createGreenButtonProvider({ ...custodianOptions, baseUrl: origin })
  } catch (error) {
    server.close()
    throw error
  }
  return {
    url: origin,
    custodian,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
