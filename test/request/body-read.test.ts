/**
 * The body read stays bounded on its buffered path (a declared, small, uncompressed
 * Content-Length) as on its streamed one, and one deadline covers an attempt: headers and body.
 */
import { HttpResponse } from 'msw'
import { beforeAll, describe, expect, it } from 'vitest'
import { createEciClient, type EciClientOptions, ErrorCode } from '../../src/index.js'
import {
  ACCESS_TOKEN,
  basicBody,
  CLIENT_ID,
  eciEndpoint,
  handlerFetch,
  makeKeys,
  RESOURCE,
  type Responder,
} from '../support/eci-endpoint.js'

let keys: Awaited<ReturnType<typeof makeKeys>>
beforeAll(async () => {
  keys = await makeKeys('ES256')
})

function setup(respond: Responder, extra: Partial<EciClientOptions> = {}) {
  const endpoint = eciEndpoint(keys.publicJwk, respond)
  const client = createEciClient({
    resource: RESOURCE,
    clientId: CLIENT_ID,
    signingKey: keys.privateJwk,
    accessToken: ACCESS_TOKEN,
    fetch: handlerFetch([endpoint.handler]),
    retry: 0,
    ...extra,
  })
  return { client, seen: endpoint.seen }
}

const encoder = new TextEncoder()
/** A body that sends `first` and then nothing, declared `length` bytes long. */
function stalled(first: string, length: number) {
  return new HttpResponse(new ReadableStream({ start: (c) => c.enqueue(encoder.encode(first)) }), {
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
  })
}

describe('the buffered body read', () => {
  it('reads a body whose Content-Length declares it', async () => {
    const text = JSON.stringify(basicBody('0018-102'))
    const { client } = setup(
      () =>
        new HttpResponse(text, {
          headers: { 'content-type': 'application/json', 'content-length': String(encoder.encode(text).length) },
        }),
    )
    await expect(client.basic('0018-102')).resolves.toMatchObject({ system_account_id: '0018-102' })
  })

  it('still refuses a body that outgrows a small declared length', async () => {
    const big = `{"pad":"${'x'.repeat(1_200_000)}"}`
    const { client } = setup(
      () => new HttpResponse(big, { headers: { 'content-type': 'application/json', 'content-length': '64' } }),
    )
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciHttpError', code: ErrorCode.INVALID_RESPONSE })
  })

  it('refuses a declared length over the cap without reading', async () => {
    const { client } = setup(() => stalled('{', 2 * 1024 * 1024))
    await expect(client.basic('a')).rejects.toMatchObject({ code: ErrorCode.INVALID_RESPONSE, message: /exceeds/ })
  })

  it('times out a declared body that stalls, and retries the attempt with a new JWT', async () => {
    const { client, seen } = setup((_s, n) => (n === 1 ? stalled('{"sys', 400) : undefined), {
      timeout: 100,
      retry: { limit: 1, backoffLimit: 5 },
    })
    await expect(client.basic('0018-102')).resolves.toMatchObject({ system_account_id: '0018-102' })
    expect(seen).toHaveLength(2)
    expect(seen[0]?.claims.jti).not.toBe(seen[1]?.claims.jti)
  })

  it('reports the caller aborting mid-body as ABORTED', async () => {
    const { client } = setup(() => stalled('{"sys', 400))
    const controller = new AbortController()
    const pending = client.basic('a', { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(pending).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.ABORTED })
  })
})

describe('one deadline per attempt', () => {
  it('covers the headers and the body together', async () => {
    // 70 ms to the headers, 70 ms more for the body: each within 100 ms, together not.
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 70))
      const body = encoder.encode(JSON.stringify(basicBody('a')))
      return new HttpResponse(
        new ReadableStream({
          start: (c) => {
            setTimeout(() => {
              c.enqueue(body)
              c.close()
            }, 70)
          },
        }),
        { headers: { 'content-type': 'application/json', 'content-length': String(body.length) } },
      )
    }
    const { client } = setup(slow, { timeout: 100 })
    await expect(client.basic('a')).rejects.toMatchObject({ name: 'EciNetworkError', code: ErrorCode.TIMEOUT })
    const { client: patient } = setup(slow, { timeout: 1000 })
    await expect(patient.basic('a')).resolves.toMatchObject({ system_account_id: 'a' })
  })
})
