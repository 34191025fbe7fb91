/**
 * The defects the hostile-provider suite found in the error and OAuth layers, each pinned by a
 * test named after the behaviour, through the public API against real loopback sockets.
 */
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { beginConsent, memoryStore } from '../../src/consent/index.js'
import { createEciClient, EciConsumer, EciHttpError, EciNetworkError, ErrorCode } from '../../src/index.js'
import {
  cutOff,
  echo,
  endless,
  giant,
  gzipBomb,
  type HostileServer,
  json,
  startHostileServer,
} from '../support/hostile-server.js'
import { printableForms } from './collector.js'
import { makeKeys } from './harness.js'
import { CLIENT_ID, CODE, metadataAt, VERIFIER } from './provider.js'

let server: HostileServer
beforeEach(async () => {
  server = await startHostileServer()
})
afterEach(() => server.close())

/** An ECI client for the hostile server's `/eci`, no retries. */
async function clientWith(accessToken = 'at-0123456789abcdef') {
  const keys = await makeKeys()
  return createEciClient({
    resource: `${server.url}/eci`,
    allowInsecureRequests: true,
    clientId: CLIENT_ID,
    signingKey: keys.privateJwk,
    accessToken,
    retry: 0,
  })
}

async function discover(options: Partial<Parameters<typeof EciConsumer.discover>[0]> = {}) {
  const keys = await makeKeys()
  return EciConsumer.discover({
    issuer: server.url,
    clientId: CLIENT_ID,
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: 'http://127.0.0.1/callback',
    allowInsecureRequests: true,
    timeout: 1000,
    retry: { limit: 2, backoffLimit: 20 },
    ...options,
  })
}

const metadata = () => server.on('/.well-known/oauth-authorization-server', json(200, metadataAt(server.url)))

describe('OAuth refusals say what the provider said', () => {
  it('a token-endpoint 503 carries the provider error and Retry-After, and one beyond maxRetryAfter is not waited for', async () => {
    metadata()
    const consumer = await discover()
    server.on(
      '/token',
      json(503, { error: 'temporarily_unavailable', error_description: 'maintenance' }, { 'retry-after': '3600' }),
    )
    const error = (await consumer.exchangeCode({ code: CODE, codeVerifier: VERIFIER }).catch((e) => e)) as EciHttpError
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.HTTP_ERROR)
    expect(error.status).toBe(503)
    expect(error.error).toBe('temporarily_unavailable')
    expect(error.errorDescription).toBe('maintenance')
    expect(error.retryAfter).toBe(3600)
    expect(server.hits('/token')).toBe(1)
  })

  it('a token-endpoint 429 with a JSON error carries Retry-After', async () => {
    metadata()
    const consumer = await discover()
    server.on('/token', json(429, { error: 'slow_down' }, { 'retry-after': '120' }))
    const error = (await consumer.exchangeCode({ code: CODE, codeVerifier: VERIFIER }).catch((e) => e)) as EciHttpError
    expect(error.error).toBe('slow_down')
    expect(error.retryAfter).toBe(120)
  })

  it('a metadata 503 carries Retry-After', async () => {
    server.on('/.well-known/oauth-authorization-server', json(503, {}, { 'retry-after': '3600' }))
    server.on('/.well-known/openid-configuration', json(503, {}, { 'retry-after': '3600' }))
    const error = (await discover().catch((e) => e)) as EciHttpError
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.retryAfter).toBe(3600)
  })
})

describe('OAuth requests are never redirected', () => {
  it('refuses a token request redirected to another origin with UNEXPECTED_REDIRECT, naming only the origin', async () => {
    const other = await startHostileServer()
    try {
      metadata()
      const consumer = await discover()
      server.on('/token', (_req, res) => res.writeHead(307, { location: `${other.url}/token?code=${CODE}` }).end())
      const error = (await consumer
        .exchangeCode({ code: CODE, codeVerifier: VERIFIER })
        .catch((e) => e)) as EciHttpError
      expect(error).toBeInstanceOf(EciHttpError)
      expect(error.code).toBe(ErrorCode.UNEXPECTED_REDIRECT)
      expect(error.status).toBe(307)
      expect(error.message).toContain(other.url)
      expect(printableForms(error)).not.toContain(CODE)
      expect(other.total()).toBe(0)
    } finally {
      await other.close()
    }
  })
})

describe('an echoed Authorization credential is redacted from provider text', () => {
  it('redacts Basic credentials (they carry the client secret) echoed by the token endpoint', async () => {
    metadata()
    const secret = 'client-secret-0123456789-SECRET'
    const consumer = await discover({
      clientAuth: { method: 'client_secret_basic', secret },
      signingKey: (await makeKeys()).privateJwk,
    })
    server.on('/token', echo(401, 'invalid_client', ['body', 'request-id']))
    const error = (await consumer.exchangeCode({ code: CODE, codeVerifier: VERIFIER }).catch((e) => e)) as EciHttpError
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.errorDescription).toContain('Basic [redacted]')
    const credentials = Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')
    const text = printableForms(error)
    expect(text).not.toContain(credentials)
    expect(text).not.toContain(secret)
  })

  it('redacts a Bearer token the request did not carry (a token the provider echoes from elsewhere)', async () => {
    const other = 'another-token-0123456789abcdef'
    server.on('/eci', json(400, { error: 'invalid_request', error_description: `token Bearer ${other} is stale` }))
    const client = await clientWith()
    const error = (await client.basic('0018-102').catch((e) => e)) as EciHttpError
    expect(error.errorDescription).toBe('token Bearer [redacted] is stale')
    expect(printableForms(error)).not.toContain(other)
  })

  it('keeps an echoed token out of util.inspect even with showHidden (the raw response is not an inspectable property)', async () => {
    const token = 'at-0123456789abcdef-SECRET'
    server.on('/eci', (req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': String(req.headers.authorization) })
      res.end('{"error":"invalid_request"}')
    })
    const client = await clientWith(token)
    const error = (await client.basic('0018-102').catch((e) => e)) as EciHttpError
    expect(error.response?.status).toBe(400)
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token)
  })

  it('keeps prose such as "Bearer token expired"', async () => {
    server.on('/eci', json(400, { error: 'invalid_request', error_description: 'Bearer token expired' }))
    const client = await clientWith()
    const error = (await client.basic('0018-102').catch((e) => e)) as EciHttpError
    expect(error.errorDescription).toBe('Bearer token expired')
  })
})

describe('the consent entry reads metadata bounded, like every other body', () => {
  const begin = (timeout = 5000) =>
    beginConsent({
      issuer: server.url,
      clientId: CLIENT_ID,
      redirectUri: 'http://127.0.0.1/callback',
      scopes: ['basic'],
      store: memoryStore(),
      allowInsecureRequests: true,
      timeout,
    }).catch((e: unknown) => e)

  for (const [name, behaviour] of [
    ['declares 200 MB', giant(200 * 1024 * 1024)],
    ['never ends', endless],
    ['is a gzip bomb (256 MB inflated)', gzipBomb()],
  ] as const) {
    it(`refuses a metadata document that ${name} at 256 KiB, without buffering it`, async () => {
      server.on('/.well-known/oauth-authorization-server', behaviour)
      const rss = process.memoryUsage.rss()
      const error = (await begin()) as EciHttpError
      expect(error).toBeInstanceOf(EciHttpError)
      expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
      expect(error.message).toContain('262144 bytes')
      expect(process.memoryUsage.rss() - rss).toBeLessThan(100 * 1024 * 1024)
    })
  }

  it('reports a metadata body cut off mid-way as a network failure', async () => {
    server.on('/.well-known/oauth-authorization-server', cutOff())
    const error = (await begin()) as EciNetworkError
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.NETWORK)
  })
})
