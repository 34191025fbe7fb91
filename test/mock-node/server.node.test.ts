import { SignJWT } from 'jose/jwt/sign'
import * as oidc from 'openid-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockProviderServer, startMockProviderServer } from '../../src/mock/node/index.js'
import { parseBasic } from '../../src/schemas/index.js'
import { type ClientKey, makeKey, pkce, randomString, s256 } from '../mock/helpers.js'

const REDIRECT = 'http://127.0.0.1:9/callback'
let running: MockProviderServer | undefined

afterEach(async () => {
  await running?.close()
  running = undefined
})

async function start(key: ClientKey, options: Parameters<typeof startMockProviderServer>[0] = {}) {
  running = await startMockProviderServer({
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] } }],
    ...options,
  })
  return running
}

describe('startMockProviderServer', () => {
  it('listens on a free loopback port and uses http://127.0.0.1:PORT as issuer', async () => {
    const server = await start(await makeKey())
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.issuer).toBe(server.url)
    expect(server.resource).toBe(`${server.url}/eci/v1`)
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect((await res.json()).eci_resource).toBe(server.resource)
    expect(server.provider.calls).toEqual([
      { endpoint: 'metadata', at: expect.any(Number), method: 'GET', status: 200, client: undefined },
    ])
  })

  it('lets a browser page on another loopback origin read metadata (CORS)', async () => {
    const server = await start(await makeKey())
    const preflight = await fetch(`${server.url}/eci/v1`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    const res = await fetch(`${server.url}/.well-known/openid-configuration`, {
      headers: { Origin: 'http://localhost:5173' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('serves the whole flow to openid-client over real HTTP (allowInsecureRequests)', async () => {
    const key = await makeKey()
    const server = await start(key)
    const config = await oidc.discovery(
      new URL(server.issuer),
      'acme-solar',
      {},
      oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }),
      { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
    )
    const { verifier, challenge } = await pkce()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'eci:basic',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'abc_4fQm0HrT3yZp7WfXk2N5b',
      resource: server.resource,
    })
    const redirect = await fetch(url, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    const tokens = await oidc.authorizationCodeGrant(config, new URL(redirect.headers.get('location')!), {
      pkceCodeVerifier: verifier,
      expectedState: 'abc_4fQm0HrT3yZp7WfXk2N5b',
    })
    const jwt = await new SignJWT({
      eci_request_type: 'basic',
      system_account_id: '0018-102',
      ath: await s256(tokens.access_token),
    })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'eci-request+jwt' })
      .setIssuer('acme-solar')
      .setAudience(server.resource)
      .setIssuedAt()
      .setExpirationTime('60s')
      .setJti(randomString(16))
      .sign(key.privateKey)
    const res = await fetch(server.resource, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/jwt' },
      body: jwt,
    })
    expect(res.status).toBe(200)
    expect(parseBasic(await res.json())).toEqual(server.provider.fixtures.basic('0018-102'))
  })

  it('serves the interactive consent page and its form over HTTP', async () => {
    const server = await start(await makeKey(), { consent: 'interactive' })
    const { challenge } = await pkce()
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'acme-solar',
      redirect_uri: REDIRECT,
      state: 's1_4fQm0HrT3yZp7WfXk2N5b',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'eci:basic',
      resource: server.resource,
    })
    const page = await fetch(`${server.issuer}/authorize?${query}`)
    const html = await page.text()
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(html).toContain(`action="${server.issuer}/authorize"`)
    const txn = /name="txn" value="([^"]+)"/.exec(html)![1]!
    const res = await fetch(`${server.issuer}/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ txn, decision: 'approve', account: '0018-102' }),
      redirect: 'manual',
    })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    expect(location.origin + location.pathname).toBe(REDIRECT)
    expect(location.searchParams.get('code')).toBeTruthy()
    expect(location.searchParams.get('iss')).toBe(server.issuer)
  })

  it('refuses GET at the ECI endpoint over HTTP with 400 invalid_request and Allow: POST', async () => {
    const server = await start(await makeKey())
    const res = await fetch(server.resource)
    expect(res.status).toBe(400)
    expect(res.headers.get('allow')).toBe('POST')
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/POST/) })
  })

  it('refuses a body over 64 kB over HTTP with 400 invalid_request', async () => {
    const server = await start(await makeKey())
    const res = await fetch(server.resource, {
      method: 'POST',
      headers: { 'Content-Type': 'application/jwt' },
      body: 'x'.repeat(70 * 1024),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_request')
    // The server keeps serving.
    expect((await fetch(`${server.issuer}/jwks`)).status).toBe(200)
  })

  it('drops the connection for a network reset fault', async () => {
    const server = await start(await makeKey())
    server.provider.fault({ endpoint: 'jwks', network: 'reset' })
    await expect(fetch(`${server.issuer}/jwks`)).rejects.toThrow()
    expect((await fetch(`${server.issuer}/jwks`)).status).toBe(200)
  })

  it('answers unknown paths with 404 and shows an index page at /', async () => {
    const server = await start(await makeKey())
    expect((await fetch(`${server.url}/nope`)).status).toBe(404)
    const index = await fetch(`${server.url}/`)
    expect(await index.text()).toContain('0018-102')
  })

  it('uses a given issuer and port', async () => {
    const probe = await startMockProviderServer()
    const port = Number(new URL(probe.url).port)
    await probe.close()
    const server = await start(await makeKey(), { port, issuer: `http://localhost:${port}` })
    expect(server.url).toBe(`http://127.0.0.1:${port}`)
    const res = await fetch(`${server.url}/.well-known/openid-configuration`)
    expect((await res.json()).issuer).toBe(`http://localhost:${port}`)
  })

  it('stops accepting connections after close()', async () => {
    const server = await startMockProviderServer()
    await server.close()
    await expect(fetch(`${server.url}/jwks`)).rejects.toThrow()
  })

  it('refuses invalid provider options and frees the port', async () => {
    await expect(startMockProviderServer({ consent: { owner: 'nobody' } })).rejects.toThrow(/consent.owner/)
  })
})
