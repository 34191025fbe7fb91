/**
 * Hostile Data Custodians: XML bombs, giant feeds, endless bodies, wrong content types, redirects
 * and token responses without resourceURI end in typed errors, in bounded time and memory, with no
 * token or secret in them; the notify handler stays bounded too.
 */
import { describe, expect, it } from 'vitest'
import {
  EciHttpError,
  EciNetworkError,
  EciValidationError,
  ErrorCode,
  greenButtonConsumer,
  greenButtonNotifications,
  parseBatchList,
} from '../../../src/green-button/index.js'
import { gbWorld, SECRET } from './world.js'

async function session(consumerOptions = {}) {
  const w = await gbWorld({}, consumerOptions)
  const grant = await w.consent()
  return { ...w, grant, session: w.gb.session(grant) }
}

function expectNoSecret(error: unknown, secrets: (string | undefined)[]) {
  const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).message} ${(error as Error).stack}`
  for (const secret of secrets) if (secret) expect(shown).not.toContain(secret)
}

describe('a hostile Data Custodian', () => {
  it('an XML bomb is refused (no DTD), not expanded', async () => {
    const { session: s, custodian, grant } = await session()
    custodian.fault({ endpoint: 'subscription', body: 'xml-bomb' })
    const error = await s.feed().catch((e) => e)
    expect(error).toBeInstanceOf(EciValidationError)
    expect(error.message).toMatch(/DOCTYPE/)
    expectNoSecret(error, [grant.accessToken, grant.refreshToken, SECRET])
  })

  it('a giant feed stops at limits.maxBytes, cancelled without being read to its end', async () => {
    const { session: s, custodian } = await session({ limits: { maxBytes: 2 * 1024 * 1024 } })
    custodian.fault({ endpoint: 'subscription', body: 'giant' })
    const started = performance.now()
    const error = await s.feed().catch((e) => e)
    expect(error).toBeInstanceOf(EciValidationError)
    expect(error.message).toMatch(/larger than 2097152 bytes/)
    expect(performance.now() - started).toBeLessThan(5000)
    // A size refusal is not retried.
    expect(custodian.calls.filter((c) => c.endpoint === 'subscription')).toHaveLength(1)
  })

  it('an endless body ends at the deadline of each attempt, retried by the one policy', async () => {
    const { session: s, custodian } = await session({ timeout: 300, retry: { limit: 1, backoffLimit: 10 } })
    custodian.fault({ endpoint: 'subscription', body: 'endless', times: 2 })
    const started = performance.now()
    const error = await s.feed().catch((e) => e)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.TIMEOUT)
    expect(performance.now() - started).toBeLessThan(3000)
    expect(custodian.calls.filter((c) => c.endpoint === 'subscription')).toHaveLength(2)
  })

  it('an HTML page with status 200 is a typed error, not a parse of HTML', async () => {
    const { session: s, custodian } = await session()
    custodian.fault({ endpoint: 'subscription', body: 'html' })
    const error = await s.feed().catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
    expect(error.message).toMatch(/expected an XML response, got "text\/html/)
  })

  it('a redirect of a resource read is refused: the token never follows it', async () => {
    const w = await gbWorld()
    const grant = await w.consent()
    const seen: string[] = []
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      seen.push(url)
      if (url.includes('/Batch/Subscription/')) {
        return new Response(null, { status: 302, headers: { location: 'https://evil.example/steal' } })
      }
      return w.fetch(input, init)
    }
    const other = greenButtonConsumer({
      ...w.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      fetch,
    })
    const error = await other
      .session(grant)
      .feed()
      .catch((e) => e)
    expect(error).toMatchObject({ code: ErrorCode.UNEXPECTED_REDIRECT })
    expect(error.message).toContain('https://evil.example')
    expect(seen.some((u) => u.startsWith('https://evil.example'))).toBe(false)
    expectNoSecret(error, [grant.accessToken])
  })

  it('a connection cut mid-feed is a network error, retried by the one policy', async () => {
    const w = await gbWorld()
    const grant = await w.consent()
    let reads = 0
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (!url.includes('/Batch/Subscription/') || reads++ > 0) return w.fetch(input, init)
      const head = new TextEncoder().encode('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x')
      let sent = false
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent)
            return c.error(
              new TypeError('terminated', {
                cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
              }),
            )
          sent = true
          c.enqueue(head)
        },
      })
      return new Response(body, { headers: { 'content-type': 'application/atom+xml' } })
    }
    const gb = greenButtonConsumer({
      ...w.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      fetch,
      retry: { limit: 1, backoffLimit: 10 },
    })
    const feed = await gb.session(grant).feed()
    expect(reads).toBe(2)
    expect(feed.usagePoints).toHaveLength(2)
    const once = greenButtonConsumer({
      ...w.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      fetch,
      retry: 0,
    })
    reads = 0
    const error = await once
      .session(grant)
      .feed()
      .catch((e) => e)
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.NETWORK)
  })

  it('a refusal with a huge error body is read only to its cap and typed', async () => {
    const w = await gbWorld()
    const grant = await w.consent()
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (!url.includes('/Batch/Subscription/')) return w.fetch(input, init)
      const chunk = new TextEncoder().encode(`{"error":"server_error","pad":"${'x'.repeat(65_536)}`)
      let sent = 0
      const body = new ReadableStream({
        pull(c) {
          if (sent++ > 10_000) return c.close()
          c.enqueue(chunk)
        },
      })
      return new Response(body, { status: 500, headers: { 'content-type': 'application/json' } })
    }
    const gb = greenButtonConsumer({
      ...w.custodian.endpoints,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: SECRET },
      fetch,
      retry: 0,
    })
    const error = await gb
      .session(grant)
      .feed()
      .catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.status).toBe(500)
  })
})

describe('greenButtonNotifications', () => {
  const xml = (uris: string[]) =>
    `<?xml version="1.0"?><BatchList xmlns="http://naesb.org/espi">${uris.map((u) => `<resources>${u}</resources>`).join('')}</BatchList>`
  const post = (body: BodyInit, type = 'application/xml') =>
    new Request('https://acme.example/notify', { method: 'POST', body, headers: { 'content-type': type } })
  const URI = 'https://dc.example/espi/1_1/resource/Batch/Subscription/5'

  it('echoes the challenge of a verification GET', async () => {
    const handler = greenButtonNotifications({ onBatch: () => {} })
    const answer = await handler(new Request('https://acme.example/notify?challenge=abc123'))
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('abc123')
    expect((await handler(new Request('https://acme.example/notify?challenge=%3Cscript%3E'))).status).toBe(400)
  })

  it('hands the BatchList URIs to onBatch and answers 200', async () => {
    const batches: string[][] = []
    const handler = greenButtonNotifications({ onBatch: (uris) => void batches.push(uris) })
    const answer = await handler(post(xml([URI, `${URI}/UsagePoint/1`])))
    expect(answer.status).toBe(200)
    expect(batches).toEqual([[URI, `${URI}/UsagePoint/1`]])
    expect(parseBatchList(xml([URI]))).toEqual([URI])
  })

  it('refuses a wrong content type, an XML bomb, a huge body and an endless one, without calling onBatch', async () => {
    let called = 0
    const handler = greenButtonNotifications({ onBatch: () => void called++, maxBytes: 4096, timeoutMs: 200 })
    expect((await handler(post(JSON.stringify({ resources: [URI] }), 'application/json'))).status).toBe(415)
    const bomb = `<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaa">]><BatchList xmlns="http://naesb.org/espi"><resources>&a;</resources></BatchList>`
    expect((await handler(post(bomb))).status).toBe(400)
    expect((await handler(post(xml(Array.from({ length: 200 }, () => URI))))).status).toBe(413)
    const endless = new ReadableStream({ pull: () => new Promise<void>(() => {}) })
    const started = performance.now()
    const answer = await handler(
      new Request('https://acme.example/notify', {
        method: 'POST',
        body: endless,
        headers: { 'content-type': 'application/xml' },
        duplex: 'half',
      } as RequestInit),
    )
    expect(answer.status).toBe(408)
    expect(performance.now() - started).toBeLessThan(2000)
    expect((await handler(new Request('https://acme.example/notify', { method: 'PUT' }))).status).toBe(405)
    expect(called).toBe(0)
  })

  it('refuses URIs outside the known resource endpoints, and answers 500 when onBatch fails', async () => {
    const strict = greenButtonNotifications({
      onBatch: () => {},
      resourceEndpoints: ['https://dc.example/espi/1_1/resource'],
    })
    expect((await strict(post(xml([URI])))).status).toBe(200)
    expect((await strict(post(xml(['https://elsewhere.example/espi/1_1/resource/x'])))).status).toBe(400)
    const failing = greenButtonNotifications({
      onBatch: () => {
        throw new Error('queue down')
      },
    })
    expect((await failing(post(xml([URI])))).status).toBe(500)
  })
})
