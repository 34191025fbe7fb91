/** Discovery and the token endpoint against a provider that really misbehaves on a real socket. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EciConsumer, EciHttpError, EciNetworkError, ErrorCode } from '../../src/index.js'
import { ACCESS_TOKEN, CLIENT_ID, makeKeys } from '../support/eci-endpoint.js'
import {
  endless,
  gzipBomb,
  type HostileServer,
  json,
  resetAfterHeaders,
  startHostileServer,
  trickle,
} from '../support/hostile-server.js'
import { expectNoSecret, expiredGrant, hostileConsumer, hostileProvider, REFRESH_TOKEN } from './support.js'

let server: HostileServer
beforeEach(async () => {
  server = await startHostileServer()
})
afterEach(() => server.close())

const CODE = 'code-0123456789abcdef-SECRET'
const VERIFIER = 'v'.repeat(43)
const tokenBody = (over: Record<string, unknown> = {}) => ({
  access_token: 'new-access-token-0123456789',
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: 'new-refresh-token-0123456789',
  system_account_ids: ['0018-102'],
  ...over,
})

async function exchange(consumer: EciConsumer) {
  return consumer.exchangeCode({ code: CODE, codeVerifier: VERIFIER }).catch((e: unknown) => e)
}

describe('OAuth timeouts are network timeouts', () => {
  it('a token request that never answers is EciNetworkError ERR_ECI_TIMEOUT', async () => {
    const consumer = await hostileConsumer(server)
    server.on('/token', () => {})
    const error = await exchange(consumer)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect((error as EciNetworkError).code).toBe(ErrorCode.TIMEOUT)
    expectNoSecret(error, [CODE, VERIFIER])
  })

  it('a token response whose body trickles past the deadline is ERR_ECI_TIMEOUT', async () => {
    const consumer = await hostileConsumer(server)
    server.on('/token', trickle(50))
    const error = await exchange(consumer)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect((error as EciNetworkError).code).toBe(ErrorCode.TIMEOUT)
  })

  it('a metadata request that never answers is ERR_ECI_TIMEOUT', async () => {
    server.on('/.well-known/oauth-authorization-server', () => {})
    server.on('/.well-known/openid-configuration', () => {})
    const keys = await makeKeys('ES256')
    const error = await EciConsumer.discover({
      issuer: server.url,
      clientId: CLIENT_ID,
      clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
      allowInsecureRequests: true,
      timeout: 500,
      retry: 0,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect((error as EciNetworkError).code).toBe(ErrorCode.TIMEOUT)
  })
})

describe('OAuth response bodies are bounded', () => {
  it('an endless metadata document fails with the size cap', async () => {
    server.on('/.well-known/oauth-authorization-server', endless)
    server.on('/.well-known/openid-configuration', endless)
    const keys = await makeKeys('ES256')
    const rss = process.memoryUsage().rss
    const error = await EciConsumer.discover({
      issuer: server.url,
      clientId: CLIENT_ID,
      clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
      allowInsecureRequests: true,
      timeout: 5000,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect((error as EciHttpError).code).toBe(ErrorCode.INVALID_RESPONSE)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024)
  })

  it('a gzip-bomb token response fails with the size cap', async () => {
    const consumer = await hostileConsumer(server, { timeout: 5000 })
    server.on('/token', gzipBomb())
    const rss = process.memoryUsage().rss
    const error = await exchange(consumer)
    expect((error as EciHttpError).code).toBe(ErrorCode.INVALID_RESPONSE)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024)
  }, 30_000)
})

describe('token responses are checked before they become a Grant', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['an access token with CR/LF', { access_token: 'abc\r\nX-Evil: 1' }],
    ['a refresh token with a space', { refresh_token: 'abc def' }],
    ['a negative expires_in', { expires_in: -5 }],
    ['a non-numeric expires_in', { expires_in: 'soon' }],
  ]
  for (const [name, over] of bad) {
    it(`refuses ${name}`, async () => {
      const consumer = await hostileConsumer(server)
      server.on('/token', json(200, tokenBody(over)))
      const error = await exchange(consumer)
      expect(error).toBeInstanceOf(EciHttpError)
      expect((error as EciHttpError).code).toBe(ErrorCode.INVALID_RESPONSE)
      expectNoSecret(error, ['abc\r\nX-Evil', CODE])
    })
  }

  it('expires_in: 0 means expired now, not one hour', async () => {
    const consumer = await hostileConsumer(server)
    server.on('/token', json(200, tokenBody({ expires_in: 0 })))
    const grant = (await exchange(consumer)) as { expiresAt: number }
    expect(grant.expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000))
  })
})

describe('the token endpoint is retried only when that is safe', () => {
  it('a 503 with Retry-After during a refresh is retried and the data call succeeds', async () => {
    const consumer = await hostileConsumer(server)
    let n = 0
    server.on('/token', (req, res, body) => {
      n++
      if (n === 1) return json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '0' })(req, res, body)
      return json(200, tokenBody())(req, res, body)
    })
    server.on('/eci', json(200, { system_account_id: '0018-102' }))
    const session = consumer.session(expiredGrant(server))
    await session.basic('0018-102').catch(() => {})
    expect(server.hits('/token')).toBe(2)
    expect(session.grant.accessToken).toBe('new-access-token-0123456789')
  })

  it('a refresh reset after sending is not resent without a reuse window', async () => {
    const consumer = await hostileConsumer(server)
    server.on('/token', resetAfterHeaders)
    const error = await consumer
      .session(expiredGrant(server))
      .basic('0018-102')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(server.hits('/token')).toBe(1)
    expectNoSecret(error, [REFRESH_TOKEN, ACCESS_TOKEN])
  })

  it('with refreshReuseWindow, a refresh whose outcome is unknown is sent once more', async () => {
    const consumer = await hostileConsumer(server, { refreshReuseWindow: 30 })
    let n = 0
    server.on('/token', (req, res, body) => {
      n++
      if (n === 1) return resetAfterHeaders(req, res, body)
      return json(200, tokenBody())(req, res, body)
    })
    server.on('/eci', json(200, { system_account_id: '0018-102' }))
    const session = consumer.session(expiredGrant(server))
    await session.basic('0018-102').catch(() => {})
    expect(server.hits('/token')).toBe(2)
    expect(session.grant.refreshToken).toBe('new-refresh-token-0123456789')
  })

  it('a metadata request that gets a 503 is retried', async () => {
    let n = 0
    hostileProvider(server)
    const good = json(200, {
      issuer: server.url,
      authorization_endpoint: `${server.url}/authorize`,
      token_endpoint: `${server.url}/token`,
      eci_resource: `${server.url}/eci`,
    })
    server.on('/.well-known/oauth-authorization-server', (req, res, body) => {
      n++
      if (n === 1) return json(503, {}, { 'retry-after': '0' })(req, res, body)
      return good(req, res, body)
    })
    const consumer = await hostileConsumer(server).catch((e: unknown) => e)
    expect(consumer).toBeInstanceOf(EciConsumer)
  })

  it('an X-Request-Id echoing the code is redacted in the OAuth error', async () => {
    const consumer = await hostileConsumer(server)
    server.on('/token', json(400, { error: 'invalid_request' }, { 'x-request-id': `id-${CODE}` }))
    const error = (await exchange(consumer)) as EciHttpError
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.requestId).toContain('[redacted]')
    expectNoSecret(error, [CODE, VERIFIER])
  })
})
