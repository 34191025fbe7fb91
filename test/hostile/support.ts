import { inspect } from 'node:util'
import { expect } from 'vitest'
import { createEciClient, EciConsumer, type Grant } from '../../src/index.js'
import { ACCESS_TOKEN, CLIENT_ID, makeKeys } from '../support/eci-endpoint.js'
import { type HostileServer, json } from '../support/hostile-server.js'

/** Every printable form of an error and its cause chain, as one string. */
export function printable(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 10 && current; depth++) {
    const e = current as Error
    parts.push(String(e), e.message ?? '', e.stack ?? '', JSON.stringify(e) ?? '', inspect(e, { depth: 10 }))
    current = (e as { cause?: unknown }).cause
  }
  return parts.join('\n')
}

export function expectNoSecret(error: unknown, secrets: string[]) {
  const text = printable(error)
  for (const secret of secrets) expect(text).not.toContain(secret)
}

/** Serves conformant metadata pointing every endpoint at the hostile server. */
export function hostileProvider(server: HostileServer) {
  server.on(
    '/.well-known/oauth-authorization-server',
    json(200, {
      issuer: server.url,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/token`,
      revocation_endpoint: `${server.url}/revoke`,
      eci_resource: `${server.url}/eci`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    }),
  )
}

export async function hostileConsumer(
  server: HostileServer,
  options: { timeout?: number; refreshReuseWindow?: number } = {},
) {
  const keys = await makeKeys('ES256')
  hostileProvider(server)
  return EciConsumer.discover({
    issuer: server.url,
    clientId: CLIENT_ID,
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: 'http://127.0.0.1/callback',
    allowInsecureRequests: true,
    retry: { limit: 2, backoffLimit: 20 },
    timeout: options.timeout ?? 1000,
    ...(options.refreshReuseWindow !== undefined ? { refreshReuseWindow: options.refreshReuseWindow } : {}),
  })
}

export const REFRESH_TOKEN = 'rt-0123456789abcdef-SECRET'

/** An expired grant for the hostile provider, so the first call refreshes. */
export function expiredGrant(server: HostileServer): Grant {
  const now = Math.floor(Date.now() / 1000)
  return {
    issuer: server.url,
    clientId: CLIENT_ID,
    resource: `${server.url}/eci`,
    accessToken: ACCESS_TOKEN,
    tokenType: 'Bearer',
    expiresAt: now - 10,
    issuedAt: now - 3610,
    refreshToken: REFRESH_TOKEN,
    scopes: ['eci:basic'],
    accounts: ['0018-102'],
  }
}

export async function hostileClient(server: HostileServer, timeout = 1000, fetch?: typeof globalThis.fetch) {
  const keys = await makeKeys('ES256')
  return createEciClient({
    resource: `${server.url}/eci`,
    allowInsecureRequests: true,
    clientId: CLIENT_ID,
    signingKey: keys.privateJwk,
    accessToken: ACCESS_TOKEN,
    timeout,
    retry: { limit: 2, backoffLimit: 20 },
    fetch,
  })
}

/** A loopback port nothing listens on (a real one: fetch refuses "bad ports" such as 9 itself). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}
