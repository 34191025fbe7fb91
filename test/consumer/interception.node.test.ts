/**
 * The real SDK against the shipped mock provider behind MSW's `setupServer` in Node: no `fetch`
 * option, global fetch is intercepted, unhandled requests fail.
 */
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { EciConsumer } from '../../src/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { ISSUER, REDIRECT } from '../support/consumer.js'
import { makeKeys } from '../support/eci-endpoint.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterAll(() => server.close())

it('discovers, consents, exchanges the code, reads data, survives two 503s, refreshes and revokes through setupServer', async () => {
  const keys = await makeKeys('ES256')
  const mock = createMockProvider({
    issuer: ISSUER,
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] } }],
  })
  server.use(...mock.handlers)
  const consumer = await EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: REDIRECT,
    retry: { limit: 2, backoffLimit: 10 },
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice'] })
  const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
  const grant = await consumer.completeConsent(callback, transaction)
  const session = consumer.session({ ...grant, expiresAt: 1 })
  const account = session.accounts[0]
  mock.fault({ endpoint: 'eci', status: 503, times: 2 })
  expect(await session.basic(account)).toEqual(mock.fixtures.basic(account))
  expect(mock.calls.filter((c) => c.endpoint === 'eci').map((c) => c.status)).toEqual([503, 503, 200])
  await session.revoke()
  expect(mock.grants().every((g) => g.revoked)).toBe(true)
})
