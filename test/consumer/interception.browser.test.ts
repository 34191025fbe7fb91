/**
 * The real SDK against the shipped mock provider behind MSW's Service Worker (`setupWorker`) in
 * Chromium: no `fetch` option, the page's own fetch is intercepted, unhandled requests fail.
 */
import { HttpResponse, http } from 'msw'
import { setupWorker } from 'msw/browser'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { EciConsumer } from '../../src/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { ISSUER, REDIRECT } from '../support/consumer.js'
import { makeKeys } from '../support/eci-endpoint.js'

const worker = setupWorker()
afterAll(() => worker.stop())
beforeAll(async () => {
  await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledFrame: 'error', quiet: true })
})

it('discovers, consents, exchanges the code, reads data, refreshes and revokes through setupWorker', async () => {
  const keys = await makeKeys('ES256')
  const mock = createMockProvider({
    issuer: ISSUER,
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] } }],
  })
  // Page script cannot read a manual redirect, so the app's callback route answers with the URL
  // the browser was sent to, as a navigation would land there.
  worker.use(
    ...mock.handlers,
    http.get(REDIRECT, ({ request }) => HttpResponse.json({ callback: request.url })),
  )
  const consumer = await EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: REDIRECT,
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const { callback } = (await (await fetch(url)).json()) as { callback: string }
  const grant = await consumer.completeConsent(callback, transaction)
  const session = consumer.session({ ...grant, expiresAt: 1 })
  const account = session.accounts[0]
  expect(await session.basic(account)).toEqual(mock.fixtures.basic(account))
  const ids = mock.fixtures.basic(account)?.system_invoice_ids ?? []
  const last = ids.at(-1) as string
  expect(await session.invoiceDetail(account, last)).toEqual(mock.fixtures.invoiceDetail(account, last))
  await session.revoke()
  expect(mock.grants().every((g) => g.revoked)).toBe(true)
  expect(mock.calls.map((c) => c.endpoint)).toEqual(
    expect.arrayContaining(['metadata', 'par', 'authorize', 'token', 'eci', 'revocation']),
  )
})
