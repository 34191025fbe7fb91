/**
 * The 64 kB request body limit is enforced while streaming: an oversized (even endless) body is
 * refused after reading a little over the limit, never buffered whole.
 */
import { describe, expect, it } from 'vitest'
import { MAX_BODY, readBody } from '../../src/mock/http.js'
import { grant, ISSUER, RESOURCE, send, setup } from './helpers.js'

const CHUNK = 16 * 1024

/** A body stream of `total` bytes in 16 kB chunks that counts what was pulled from it. */
function countingStream(total = Number.POSITIVE_INFINITY): {
  stream: ReadableStream<Uint8Array>
  pulled: () => number
} {
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) {
          controller.close()
          return
        }
        pulled += CHUNK
        controller.enqueue(new Uint8Array(CHUNK).fill(0x61))
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, pulled: () => pulled }
}

function streamingRequest(url: string, stream: ReadableStream<Uint8Array>, headers: Record<string, string>): Request {
  return new Request(url, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit)
}

describe('mock provider request body limit', () => {
  it('stops reading an endless body just past 64 kB and refuses it', async () => {
    const { stream, pulled } = countingStream()
    const text = await readBody(streamingRequest(RESOURCE, stream, {}))
    expect(text).toBeUndefined()
    expect(pulled()).toBeGreaterThan(MAX_BODY)
    expect(pulled()).toBeLessThanOrEqual(MAX_BODY + 2 * CHUNK)
  })

  it('reads a body of exactly 64 kB', async () => {
    const { stream } = countingStream(MAX_BODY)
    expect(await readBody(streamingRequest(RESOURCE, stream, {}))).toHaveLength(MAX_BODY)
  })

  it('refuses a declared Content-Length over 64 kB without reading the body', async () => {
    const { stream, pulled } = countingStream()
    const request = streamingRequest(RESOURCE, stream, { 'Content-Length': String(10 * 1024 * 1024) })
    expect(await readBody(request)).toBeUndefined()
    expect(pulled()).toBe(0)
  })

  it('refuses an endless ECI request body with 400 invalid_request without buffering it', async () => {
    const s = await setup()
    const { access_token } = await grant(s)
    const { stream, pulled } = countingStream()
    const res = await send(s.provider, RESOURCE, {
      method: 'POST',
      headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/jwt' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_request')
    expect(pulled()).toBeLessThanOrEqual(MAX_BODY + 4 * CHUNK)
  })

  it('refuses an endless token request body with 400 invalid_request', async () => {
    const s = await setup()
    const { stream, pulled } = countingStream()
    const res = await send(s.provider, `${ISSUER}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(400)
    expect(pulled()).toBeLessThanOrEqual(MAX_BODY + 4 * CHUNK)
  })
})
