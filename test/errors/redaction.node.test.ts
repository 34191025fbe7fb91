import { inspect } from 'node:util'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEciClient, EciError } from '../../src/index.js'
import { ACCESS_TOKEN, CLIENT_ID, makeKeys, RESOURCE } from '../support/eci-endpoint.js'

// Real interception of globalThis.fetch (no `fetch` option): the SDK's default path in Node.
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

describe('no secret in any printable form of an error', () => {
  it.each([
    [
      'a 400 echoing the token',
      () => HttpResponse.json({ error: 'invalid_request', error_description: ACCESS_TOKEN }, { status: 400 }),
    ],
    [
      'a 401',
      () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }),
    ],
    [
      'malformed JSON',
      () => new HttpResponse(`{"token":"${ACCESS_TOKEN}`, { headers: { 'content-type': 'application/json' } }),
    ],
    ['a network error', () => HttpResponse.error()],
  ])('%s', async (_name, respond) => {
    let jwt = ''
    server.use(
      http.post(RESOURCE, async ({ request }) => {
        jwt = await request.text()
        return respond()
      }),
    )
    const { privateJwk } = await makeKeys('ES256')
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: privateJwk,
      accessToken: ACCESS_TOKEN,
      retry: 0,
    })
    const error = await client.basic('0018-102').catch((e) => e)
    expect(error).toBeInstanceOf(EciError)
    expect(jwt.length).toBeGreaterThan(50)
    const printed = [
      error.message,
      error.stack,
      String(error),
      JSON.stringify(error),
      inspect(error),
      inspect(error, { depth: 6, showHidden: false }),
    ]
    for (const text of printed) {
      expect(text).not.toContain(ACCESS_TOKEN)
      expect(text).not.toContain(jwt)
      expect(text).not.toContain(privateJwk.d)
    }
  })
})

describe('provider text is scrubbed before it is cut', () => {
  it('leaves no prefix of a token that straddles the length limit, and no echoed JWT', async () => {
    let jwt = ''
    server.use(
      http.post(RESOURCE, async ({ request }) => {
        jwt = await request.text()
        return HttpResponse.json(
          { error: 'invalid_request_jwt', error_description: `${'x'.repeat(290)}${ACCESS_TOKEN} and ${jwt}` },
          { status: 400 },
        )
      }),
    )
    const { privateJwk } = await makeKeys('ES256')
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: privateJwk,
      accessToken: ACCESS_TOKEN,
      retry: 0,
    })
    const error = await client.basic('0018-102').catch((e) => e)
    expect(error.errorDescription).not.toContain(ACCESS_TOKEN.slice(0, 8))
    expect(error.message).not.toContain(jwt.slice(0, 40))
  })
})
