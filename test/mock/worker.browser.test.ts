/**
 * The mock provider's handlers behind MSW's Service Worker (`setupWorker`) in real Chromium:
 * the browser's own `fetch` reaches the provider with no network. Browser project only.
 */
import { HttpResponse, http } from 'msw'
import { setupWorker } from 'msw/browser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMockProvider, type MockProvider } from '../../src/mock/index.js'
import { parseInvoiceDetail } from '../../src/schemas/index.js'
import {
  authorizeParams,
  authorizeUrl,
  CLIENT_ID,
  type ClientKey,
  clientAssertion,
  ISSUER,
  makeKey,
  pkce,
  REDIRECT,
  RESOURCE,
  requestJwt,
  STATE,
} from './helpers.js'

const worker = setupWorker()
let key: ClientKey
let provider: MockProvider

beforeAll(async () => {
  key = await makeKey()
  provider = createMockProvider({
    issuer: ISSUER,
    resource: RESOURCE,
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] } }],
  })
  worker.use(...provider.handlers)
  await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledFrame: 'error', quiet: true })
})
afterAll(() => worker.stop())

describe('the mock provider behind setupWorker in a browser', () => {
  it('serves discovery to the page with CORS headers', async () => {
    const res = await fetch(`${ISSUER}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    expect((await res.json()).eci_resource).toBe(RESOURCE)
    expect(res.headers.get('X-Request-Id')).toBeTruthy()
  })

  it('completes authorize → token → a signed invoice_detail request with the browser fetch', async () => {
    const { verifier, challenge } = await pkce()
    // Page script cannot read a manual redirect (it is opaque), so the app's callback route is
    // mocked too and the browser follows the provider's 302 to it, as a navigation would.
    worker.use(http.get(REDIRECT, ({ request }) => HttpResponse.json({ callback: request.url })))
    const landed = await fetch(authorizeUrl(authorizeParams(challenge)))
    const callback = new URL(((await landed.json()) as { callback: string }).callback)
    expect(callback.searchParams.get('iss')).toBe(ISSUER)
    expect(callback.searchParams.get('state')).toBe(STATE)
    const code = callback.searchParams.get('code')!
    const token = await fetch(`${ISSUER}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(key),
      }),
    })
    expect(token.status).toBe(200)
    const { access_token } = await token.json()
    const claims = {
      eci_request_type: 'invoice_detail',
      system_account_id: '0018-102',
      system_invoice_id: '09183eef267',
    }
    const res = await fetch(RESOURCE, {
      method: 'POST',
      headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/jwt' },
      body: await requestJwt({ key, accessToken: access_token, claims }),
    })
    expect(res.status).toBe(200)
    expect(parseInvoiceDetail(await res.json())).toEqual(provider.fixtures.invoiceDetail('0018-102', '09183eef267'))
    expect(provider.calls.map((c) => [c.endpoint, c.status])).toEqual(
      expect.arrayContaining([
        ['token', 200],
        ['eci', 200],
      ]),
    )
  })

  it('turns a network reset fault into a fetch TypeError in the page', async () => {
    provider.fault({ endpoint: 'jwks', network: 'reset' })
    await expect(fetch(`${ISSUER}/jwks`)).rejects.toThrow(TypeError)
    expect((await fetch(`${ISSUER}/jwks`)).status).toBe(200)
  })
})
