// A tiny test-only authorization server on loopback for the browser project's real-redirect
// test: metadata (with CORS), an authorize endpoint that 302-redirects back with code, state
// and iss, and a token endpoint that checks PKCE S256. Runs in the vitest main process (Node);
// the browser tests find it with inject('consentAuthServer').

import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { BROWSER_CLIENT, REFUSING_CLIENT } from './helpers.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Issuer URL of the test authorization server (http://127.0.0.1:port). */
    consentAuthServer: string
  }
}

interface Pending {
  clientId: string
  redirectUri: string
  codeChallenge: string
}

function isLoopbackRedirect(value: string | null): value is string {
  if (!value) return false
  try {
    const url = new URL(value)
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && url.hash === ''
  } catch {
    return false
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'content-type',
    'cache-control': 'no-store',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  })
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const codes = new Map<string, Pending>()
  let issuer = ''

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    if (req.method === 'OPTIONS') return send(res, 204, undefined, { 'access-control-allow-methods': 'GET, POST' })

    if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        authorization_details_types_supported: ['eci'],
        eci_resource: `${issuer}/eci`,
      })
    }

    if (req.method === 'GET' && url.pathname === '/authorize') {
      const p = url.searchParams
      const redirectUri = p.get('redirect_uri')
      const clientId = p.get('client_id')
      // An authorization server never redirects to an unvetted redirect URI: answer 400 instead.
      if (!isLoopbackRedirect(redirectUri) || (clientId !== BROWSER_CLIENT && clientId !== REFUSING_CLIENT)) {
        return send(res, 400, { error: 'invalid_request', error_description: 'unknown client or redirect_uri' })
      }
      const back = new URL(redirectUri)
      const state = p.get('state')
      if (state) back.searchParams.set('state', state)
      back.searchParams.set('iss', issuer)
      const challenge = p.get('code_challenge') ?? ''
      if (
        p.get('response_type') !== 'code' ||
        p.get('code_challenge_method') !== 'S256' ||
        !/^[A-Za-z0-9_-]{43}$/.test(challenge) ||
        !state
      ) {
        back.searchParams.set('error', 'invalid_request')
      } else if (clientId === REFUSING_CLIENT) {
        back.searchParams.set('error', 'access_denied')
        back.searchParams.set('error_description', 'The customer declined')
      } else {
        const code = randomBytes(16).toString('base64url')
        codes.set(code, { clientId, redirectUri, codeChallenge: challenge })
        back.searchParams.set('code', code)
      }
      res.writeHead(302, { location: back.href, 'cache-control': 'no-store' })
      return res.end()
    }

    if (req.method === 'POST' && url.pathname === '/token') {
      const form = new URLSearchParams(await readBody(req))
      const code = form.get('code') ?? ''
      const pending = codes.get(code)
      codes.delete(code)
      const verifier = form.get('code_verifier') ?? ''
      const ok =
        pending !== undefined &&
        form.get('grant_type') === 'authorization_code' &&
        form.get('client_id') === pending.clientId &&
        form.get('redirect_uri') === pending.redirectUri &&
        createHash('sha256').update(verifier).digest('base64url') === pending.codeChallenge
      if (!ok) return send(res, 400, { error: 'invalid_grant' })
      return send(res, 200, {
        access_token: randomBytes(16).toString('base64url'),
        token_type: 'Bearer',
        expires_in: 60,
      })
    }

    send(res, 404, { error: 'not_found' })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  project.provide('consentAuthServer', issuer)

  return async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
