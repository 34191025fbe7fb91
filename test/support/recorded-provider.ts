/**
 * The mock provider server behind a recording HTTP front (the issuer is the front's URL, so every
 * client, in this process or another, goes through it): it notes every refresh token presented at
 * the token endpoint and every refresh token issued in return, so a test can check reuse (a token
 * presented twice) and lineage (which token a stored grant descends from).
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type MockProviderServer,
  type MockProviderServerOptions,
  startMockProviderServer,
} from '../../src/mock/node/index.js'

export interface TokenLedger {
  /** Refresh tokens presented, in arrival order. */
  readonly presented: string[]
  /** Issued refresh token → the refresh token it was issued for (absent for a code exchange). */
  readonly parentOf: Map<string, string>
  /** How many times `token` was presented. */
  times(token: string): number
  /** Tokens presented more than once. */
  reused(): string[]
  /** Whether `token` is `ancestor` or descends from it. */
  descends(token: string | undefined, ancestor: string | undefined): boolean
}

export interface RecordedProvider {
  readonly issuer: string
  readonly mock: MockProviderServer
  readonly ledger: TokenLedger
  close(): Promise<void>
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const HOP = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding', 'host'])

export async function startRecordedProvider(
  options: Omit<MockProviderServerOptions, 'issuer' | 'port'>,
): Promise<RecordedProvider> {
  const presented: string[] = []
  const parentOf = new Map<string, string>()
  let target = ''
  const front = createServer(async (req, res) => {
    try {
      const payload = await body(req)
      const form = req.method === 'POST' ? new URLSearchParams(payload.toString('utf8')) : undefined
      const refreshToken = form?.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null
      if (refreshToken) presented.push(refreshToken)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP.has(name)) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
      }
      const response = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: payload.length > 0 ? new Uint8Array(payload) : undefined,
        redirect: 'manual',
      })
      const answer = Buffer.from(await response.arrayBuffer())
      if (refreshToken && response.status === 200) {
        const issued = (JSON.parse(answer.toString('utf8')) as { refresh_token?: string }).refresh_token
        if (issued) parentOf.set(issued, refreshToken)
      }
      const out: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        if (!HOP.has(name)) out[name] = value
      })
      res.writeHead(response.status, out)
      res.end(answer)
    } catch {
      // The mock dropped the connection (a `network: 'reset'` fault): so does the front.
      req.socket.destroy()
    }
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`
  const mock = await startMockProviderServer({ ...options, issuer })
  target = mock.url
  const ledger: TokenLedger = {
    presented,
    parentOf,
    times: (token) => presented.filter((t) => t === token).length,
    reused: () => [...new Set(presented.filter((t, i) => presented.indexOf(t) !== i))],
    descends(token, ancestor) {
      for (let t = token; t !== undefined; t = parentOf.get(t)) if (t === ancestor) return true
      return false
    },
  }
  return {
    issuer,
    mock,
    ledger,
    async close() {
      front.closeAllConnections()
      await new Promise<void>((resolve) => front.close(() => resolve()))
      await mock.close()
    },
  }
}
