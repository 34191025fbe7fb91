/** Wires a real EciConsumer to the shipped mock provider, without network, in Node and Chromium. */

import { EciConsumer, type EciConsumerOptions } from '../../src/index.js'
import { createMockProvider, type MockProviderOptions } from '../../src/mock/index.js'
import { handlerFetch, makeKeys } from './eci-endpoint.js'

export const ISSUER = 'https://auth.utility.example'
export const API = 'https://api.utility.example/eci/v1'
export const REDIRECT = 'https://acme.example/eci/callback'

export async function world(
  provider: Partial<MockProviderOptions> = {},
  consumer: Partial<EciConsumerOptions> = {},
  wrapFetch: (f: typeof fetch) => typeof fetch = (f) => f,
) {
  const keys = await makeKeys('ES256')
  const mock = createMockProvider({
    issuer: ISSUER,
    resource: API,
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] } }],
    ...provider,
  })
  const fetch = handlerFetch(mock.handlers)
  const ecis = await EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri: REDIRECT,
    fetch: wrapFetch(fetch),
    retry: { limit: 2, backoffLimit: 10 },
    ...consumer,
  })
  /** Follows the authorization URL like a browser would and returns where the provider redirected. */
  const authorize = async (url: string) => {
    const res = await fetch(url, { redirect: 'manual' })
    const location = res.headers.get('location')
    if (!location) throw new Error(`authorize answered ${res.status} without a redirect`)
    return location
  }
  return { keys, mock, fetch, consumer: ecis, authorize }
}
