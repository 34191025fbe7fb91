/** The ECI call against a provider that really misbehaves on a real socket. */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciHttpError, EciNetworkError, EciValidationError, ErrorCode } from '../../src/index.js'
import { ACCESS_TOKEN, basicBody } from '../support/eci-endpoint.js'
import {
  brotliBomb,
  corruptGzip,
  cutOff,
  deflateBomb,
  endless,
  gzipBomb,
  type HostileServer,
  json,
  resetAfterHeaders,
  startHostileServer,
  trickle,
} from '../support/hostile-server.js'
import { closedPort, expectNoSecret, hostileClient } from './support.js'

let server: HostileServer
beforeAll(async () => {
  server = await startHostileServer()
})
afterAll(() => server.close())

// One data plane: every ECI POST goes through `fetch` (the app's, or globalThis.fetch at call time).
const TRANSPORTS = [['globalThis.fetch', undefined]] as const

describe.each(TRANSPORTS)('over %s', (_transport, fetch) => {
  describe('a body cut off after the headers is a network failure, retried', () => {
    const cases = [
      ['Content-Length larger than what was sent, then close', cutOff()],
      ['a reset mid-body', resetAfterHeaders],
      ['a corrupt gzip body', corruptGzip],
    ] as const
    for (const [name, behaviour] of cases) {
      it(name, async () => {
        const path = `/eci`
        server.on(path, behaviour)
        const before = server.hits(path)
        const client = await hostileClient(server, 1000, fetch)
        const error = await client.basic('0018-102').catch((e: unknown) => e)
        expect(error).toBeInstanceOf(EciNetworkError)
        expect((error as EciNetworkError).code).toBe(ErrorCode.NETWORK)
        expect(server.hits(path) - before).toBe(3) // the first attempt and two retries
        expectNoSecret(error, [ACCESS_TOKEN])
      })
    }
  })

  describe('bodies are bounded', () => {
    it('an endless body stops at the size cap', async () => {
      server.on('/eci', endless)
      const client = await hostileClient(server, 1000, fetch)
      const error = await client.basic('0018-102').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EciHttpError)
      expect((error as EciHttpError).code).toBe(ErrorCode.INVALID_RESPONSE)
    })

    it('a gzip bomb stops at the size cap of decompressed bytes', async () => {
      server.on('/eci', gzipBomb())
      const client = await hostileClient(server, 1000, fetch)
      const rss = process.memoryUsage().rss
      const error = await client.basic('0018-102').catch((e: unknown) => e)
      expect((error as EciHttpError).code).toBe(ErrorCode.INVALID_RESPONSE)
      expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024)
    }, 30_000)
  })

  describe('what the provider echoes never leaks', () => {
    it('an X-Request-Id that echoes the access token is redacted and capped', async () => {
      server.on(
        '/eci',
        json(400, { error: 'invalid_request' }, { 'x-request-id': `${ACCESS_TOKEN}${'x'.repeat(5000)}` }),
      )
      const client = await hostileClient(server, 1000, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciHttpError
      expect(error.requestId?.length).toBeLessThanOrEqual(128)
      expect(error.requestId).toContain('[redacted]')
      expectNoSecret(error, [ACCESS_TOKEN])
    })
  })

  describe('the ECI POST never follows a redirect', () => {
    it('a relative Location is named by the endpoint origin it resolves to', async () => {
      server.on('/eci', (_req, res) => {
        res.writeHead(302, { location: `/elsewhere?token=${ACCESS_TOKEN}` }).end()
      })
      const client = await hostileClient(server, 1000, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciHttpError
      expect(error.code).toBe(ErrorCode.UNEXPECTED_REDIRECT)
      expect(error.message).toContain(`to ${server.url}`)
      expectNoSecret(error, [ACCESS_TOKEN])
    })

    for (const status of [302, 307, 308]) {
      it(`a ${status} is refused with the Location origin, and nothing is sent there`, async () => {
        server.on('/eci', (_req, res) => {
          res.writeHead(status, { location: `${server.url}/elsewhere?token=${ACCESS_TOKEN}` }).end()
        })
        server.on('/elsewhere', json(200, basicBody('0018-102')))
        const before = server.hits('/elsewhere')
        const client = await hostileClient(server, 1000, fetch)
        const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciHttpError
        expect(error).toBeInstanceOf(EciHttpError)
        expect(error.code).toBe(ErrorCode.UNEXPECTED_REDIRECT)
        expect(error.message).toContain(server.url)
        expect(error.message).not.toContain('elsewhere')
        expect(server.hits('/elsewhere')).toBe(before)
        expectNoSecret(error, [ACCESS_TOKEN])
      })
    }
  })

  describe('a validation error is bounded and says which response broke', () => {
    it('500k bad invoice ids yield at most 100 issues, a short message, and the request id', async () => {
      const body = { ...basicBody('0018-102'), system_invoice_ids: Array.from({ length: 500_000 }, () => 1) }
      server.on('/eci', json(200, body, { 'x-request-id': 'req-777' }))
      const client = await hostileClient(server, 5000, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciValidationError
      expect(error).toBeInstanceOf(EciValidationError)
      expect(error.issues.length).toBeLessThanOrEqual(100)
      expect(error.issueCount).toBe(500_000)
      expect(error.message.length).toBeLessThan(1200)
      expect(error.requestId).toBe('req-777')
      expect(error.status).toBe(200)
      expect(error.requestType).toBe('basic')
      expect(error.systemAccountId).toBe('0018-102')
    }, 30_000)
  })

  describe('root causes are shown', () => {
    it('a refused connection names the host and ECONNREFUSED', async () => {
      const { createEciClient } = await import('../../src/index.js')
      const { makeKeys } = await import('../support/eci-endpoint.js')
      const keys = await makeKeys('ES256')
      const port = await closedPort()
      const client = createEciClient({
        resource: `http://127.0.0.1:${port}/eci`,
        allowInsecureRequests: true,
        clientId: 'acme-solar',
        signingKey: keys.privateJwk,
        accessToken: ACCESS_TOKEN,
        retry: 0,
        fetch,
      })
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciNetworkError
      expect(error).toBeInstanceOf(EciNetworkError)
      expect(error.rootCause).toBe('ECONNREFUSED')
      expect(error.host).toBe(`127.0.0.1:${port}`)
      expect(error.message).toContain('ECONNREFUSED')
    })
  })

  describe('bodies are decoded, timed and abortable', () => {
    const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }
    for (const [coding, encode] of Object.entries(encoders)) {
      it(`a ${coding} body is decoded`, async () => {
        server.on('/eci', (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding })
          res.end(encode(Buffer.from(JSON.stringify(basicBody('0018-102')))))
        })
        const client = await hostileClient(server, 1000, fetch)
        expect((await client.basic('0018-102')).system_invoice_ids).toEqual(basicBody('0018-102').system_invoice_ids)
      })
    }

    it('deflate and brotli bombs stop at the size cap of decompressed bytes', async () => {
      for (const bomb of [await deflateBomb(), await brotliBomb()]) {
        server.on('/eci', bomb)
        const client = await hostileClient(server, 5000, fetch)
        const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciHttpError
        expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
      }
    }, 30_000)

    it('a trickled body times out within the attempt and is retried', async () => {
      server.on('/eci', trickle(20))
      const before = server.hits('/eci')
      const client = await hostileClient(server, 300, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciNetworkError
      expect(error).toBeInstanceOf(EciNetworkError)
      expect(error.code).toBe(ErrorCode.TIMEOUT)
      expect(server.hits('/eci') - before).toBe(3)
    })

    it("the caller's abort ends a call mid-body, with no retry", async () => {
      server.on('/eci', trickle(20))
      const before = server.hits('/eci')
      const client = await hostileClient(server, 5000, fetch)
      const error = (await client
        .basic('0018-102', { signal: AbortSignal.timeout(150) })
        .catch((e: unknown) => e)) as EciNetworkError
      expect(error).toBeInstanceOf(EciNetworkError)
      expect([ErrorCode.ABORTED, ErrorCode.TIMEOUT]).toContain(error.code)
      expect(server.hits('/eci') - before).toBe(1)
    })

    it('a signal aborted before the call sends nothing and is ABORTED', async () => {
      server.on('/eci', json(200, basicBody('0018-102')))
      const before = server.hits('/eci')
      const client = await hostileClient(server, 1000, fetch)
      const error = (await client
        .basic('0018-102', { signal: AbortSignal.abort() })
        .catch((e: unknown) => e)) as EciNetworkError
      expect(error).toBeInstanceOf(EciNetworkError)
      expect(error.code).toBe(ErrorCode.ABORTED)
      expect(server.hits('/eci') - before).toBe(0)
    })

    it('a gzip body reset midway is a network failure, retried', async () => {
      const zipped = gzipSync(Buffer.from(JSON.stringify({ ...basicBody('0018-102'), pad: 'x'.repeat(50_000) })))
      server.on('/eci', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        res.write(zipped.subarray(0, 100))
        setTimeout(() => res.socket?.destroy(), 20)
      })
      const before = server.hits('/eci')
      const client = await hostileClient(server, 1000, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciNetworkError
      expect(error).toBeInstanceOf(EciNetworkError)
      expect(error.code).toBe(ErrorCode.NETWORK)
      expect(server.hits('/eci') - before).toBe(3)
    })

    it('an error body is read: 401 invalid_token with its description', async () => {
      server.on('/eci', json(401, { error: 'invalid_token', error_description: 'expired' }))
      const client = await hostileClient(server, 1000, fetch)
      const error = (await client.basic('0018-102').catch((e: unknown) => e)) as EciHttpError
      expect(error).toBeInstanceOf(EciHttpError)
      expect(error.status).toBe(401)
      expect(error.error).toBe('invalid_token')
      expectNoSecret(error, [ACCESS_TOKEN])
    })
  })
})

describe('the ECI POST goes through fetch', () => {
  it('globalThis.fetch as it is at call time, even when replaced after import (MSW, instrumentation)', async () => {
    server.on('/eci', json(200, basicBody('0018-102')))
    const original = globalThis.fetch
    let seen = 0
    globalThis.fetch = (input, init) => {
      seen++
      return original(input, init)
    }
    try {
      await (await hostileClient(server)).basic('0018-102')
    } finally {
      globalThis.fetch = original
    }
    expect(seen).toBe(1)
  })
})
