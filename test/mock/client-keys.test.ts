/**
 * Client keys registered without `kid`: the mock knows them by their RFC 7638 thumbprint, the
 * `kid` the SDK signs with when its key has none — in createMockProvider and on the loopback server.
 */
import { describe, expect, it } from 'vitest'
import { EciConsumer, EciHttpError } from '../../src/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { handlerFetch, makeKeys } from '../support/eci-endpoint.js'

const ISSUER = 'https://auth.utility.example'
const REDIRECT = 'https://acme.example/eci/callback'

function withoutKid<T extends { kid?: string }>(jwk: T): Omit<T, 'kid'> {
  const { kid: _, ...rest } = jwk
  return rest
}

async function consumerOf(publicJwk: object, privateJwk: object) {
  const mock = createMockProvider({
    issuer: ISSUER,
    resource: 'https://api.utility.example/eci/v1',
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [publicJwk] } }],
  })
  const fetch = handlerFetch(mock.handlers)
  const consumer = await EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT,
    fetch,
  })
  return { mock, fetch, consumer }
}

describe('client keys without kid', () => {
  it('accepts a client key registered without kid: PAR, code exchange and ECI calls succeed', async () => {
    const keys = await makeKeys('ES256')
    const { consumer, fetch, mock } = await consumerOf(withoutKid(keys.publicJwk), withoutKid(keys.privateJwk))
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    expect(mock.calls.some((c) => c.endpoint === 'par' && c.status === 201)).toBe(true)
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location')!
    const grant = await consumer.completeConsent(location, transaction)
    const account = grant.accounts[0]!
    await expect(consumer.session(grant).basic(account)).resolves.toMatchObject({ system_account_id: account })
  })

  it('refuses an assertion whose kid matches no registered key with invalid_client naming kid and the thumbprint rule', async () => {
    const registered = await makeKeys('ES256')
    const other = await makeKeys('ES256')
    const { consumer } = await consumerOf(withoutKid(registered.publicJwk), { ...other.privateJwk, kid: 'other' })
    const error = await consumer.beginConsent({ scopes: ['basic'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error).toMatchObject({ error: 'invalid_client' })
    expect((error as EciHttpError).errorDescription).toMatch(/kid.*RFC 7638 thumbprint/)
  })
})
