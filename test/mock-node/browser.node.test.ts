/**
 * A real Chromium clicks through the standalone server's consent page, and a page on another
 * loopback origin reads the provider's metadata (CORS).
 */
import { type Browser, chromium } from 'playwright'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MockProviderServer, startMockProviderServer } from '../../src/mock/node/index.js'
import { makeKey, pkce } from '../mock/helpers.js'

let browser: Browser
let server: MockProviderServer
let redirectUri: string

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  })
  const key = await makeKey()
  // The redirect target is the server's own index page, so the browser lands somewhere real.
  const probe = await startMockProviderServer()
  const port = Number(new URL(probe.url).port)
  await probe.close()
  redirectUri = `http://127.0.0.1:${port}/`
  server = await startMockProviderServer({
    port,
    consent: 'interactive',
    clients: [
      { clientId: 'acme-spa', redirectUris: [redirectUri], jwks: { keys: [key.publicJwk] }, authMethod: 'none' },
    ],
  })
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('the standalone mock provider in a real browser', () => {
  it('lets a person pick accounts on the consent page and redirects back with code, state and iss', async () => {
    const page = await browser.newPage()
    const { challenge, verifier } = await pkce()
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'acme-spa',
      redirect_uri: redirectUri,
      state: 'browser-state_4fQm0HrT3yZp7Wf',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'eci:basic eci:invoice',
      resource: server.resource,
    })
    await page.goto(`${server.issuer}/authorize?${query}`)
    expect(await page.title()).toBe('Share your utility data')
    const boxes = page.locator('input[name=account]')
    expect(await boxes.count()).toBe(server.provider.fixtures.owners[0]!.accounts.length)
    await boxes.nth(1).uncheck()
    await Promise.all([page.waitForURL((url) => url.searchParams.has('code')), page.click('button[value=approve]')])
    const landed = new URL(page.url())
    expect(landed.searchParams.get('state')).toBe('browser-state_4fQm0HrT3yZp7Wf')
    expect(landed.searchParams.get('iss')).toBe(server.issuer)
    // Only the account left checked is granted.
    const token = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: landed.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        client_id: 'acme-spa',
      }),
    })
    const first = server.provider.fixtures.owners[0]!.accounts[0]!.systemAccountId
    expect((await token.json()).system_account_ids).toEqual([first])
    const grantPending = server.provider.calls.filter((c) => c.endpoint === 'authorize')
    expect(grantPending.map((c) => [c.method, c.status])).toEqual([
      ['GET', 200],
      ['POST', 302],
    ])
    await page.close()
  })

  it('redirects access_denied when the person presses Deny', async () => {
    const page = await browser.newPage()
    const { challenge } = await pkce()
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'acme-spa',
      redirect_uri: redirectUri,
      state: 's2_4fQm0HrT3yZp7WfXk2N5b',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'eci:basic',
      resource: server.resource,
    })
    await page.goto(`${server.issuer}/authorize?${query}`)
    await Promise.all([page.waitForURL((url) => url.searchParams.has('error')), page.click('button[value=deny]')])
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied')
    await page.close()
  })

  it('lets a page on another loopback origin fetch the metadata', async () => {
    const page = await browser.newPage()
    const port = new URL(server.url).port
    await page.goto(`http://localhost:${port}/`)
    const issuer = await page.evaluate(async (url) => {
      const res = await fetch(url)
      return ((await res.json()) as { issuer: string }).issuer
    }, `${server.issuer}/.well-known/oauth-authorization-server`)
    expect(issuer).toBe(server.issuer)
    await page.close()
  })
})
