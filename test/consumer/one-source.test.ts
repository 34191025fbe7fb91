/**
 * Options are resolved once, by `discover` itself, and the per-provider parts (signing key,
 * provider JWKS) are shared by every session of a consumer.
 */
import { describe, expect, it } from 'vitest'
import { createEciClient, EciConfigError, EciConsumer, type EciConsumerOptions } from '../../src/index.js'
import { API, ISSUER, REDIRECT, world } from '../support/consumer.js'
import { makeKeys } from '../support/eci-endpoint.js'

describe('EciConsumer.discover resolves every option before any request', async () => {
  const keys = await makeKeys('ES256')
  const bad: [string, Partial<EciConsumerOptions>, RegExp][] = [
    ['retry: -1', { retry: -1 }, /`retry` must be/],
    ['retry: { limit: 11 }', { retry: { limit: 11 } }, /`retry\.limit` must be/],
    ['requestJwtExpiresIn: 9999', { requestJwtExpiresIn: 9999 }, /`requestJwtExpiresIn` must be/],
    ['scopeNames with an unknown key', { scopeNames: { bogus: 'x' } as never }, /`scopeNames` has an unknown key/],
    ['scopeNames with a space', { scopeNames: { basic: 'a b' } }, /`scopeNames\.basic` must be/],
    ['timeout: 0', { timeout: 0 }, /`timeout` must be/],
    ['validation: "loose"', { validation: 'loose' as never }, /`validation` must be/],
    ['onDeviation: 1', { onDeviation: 1 as never }, /`onDeviation` must be a function/],
    ['consentTtl: -5', { consentTtl: -5 }, /`consentTtl` must be/],
    ['dpop: { key: 1 }', { dpop: { key: 1 } as never }, /`dpop` must be/],
    ['clientId: ""', { clientId: '' }, /`clientId` must be/],
  ]
  for (const [name, options, message] of bad) {
    it(`refuses ${name} from discover itself, naming the option, with no request made`, async () => {
      let requests = 0
      const promise = EciConsumer.discover({
        issuer: ISSUER,
        clientId: 'acme-solar',
        clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
        redirectUri: REDIRECT,
        fetch: async () => {
          requests++
          return new Response('{}')
        },
        ...options,
      })
      await expect(promise).rejects.toBeInstanceOf(EciConfigError)
      await expect(promise).rejects.toThrow(message)
      expect(requests).toBe(0)
    })
  }

  it('createEciClient applies the same rules with the same messages', () => {
    const base = { resource: API, clientId: 'acme-solar', signingKey: keys.privateJwk, accessToken: 'token-123456789' }
    expect(() => createEciClient({ ...base, retry: -1 })).toThrow(/`retry` must be/)
    expect(() => createEciClient({ ...base, requestJwtExpiresIn: 9999 })).toThrow(/`requestJwtExpiresIn` must be/)
    expect(() => createEciClient({ ...base, timeout: 0 })).toThrow(/`timeout` must be/)
    expect(() => createEciClient({ ...base, validation: 'loose' as never })).toThrow(/`validation` must be/)
  })

  it('createEciClient refuses an http:// or ftp:// resource without allowInsecureRequests, as discover does', () => {
    const base = { clientId: 'acme-solar', signingKey: keys.privateJwk, accessToken: 'token-123456789' }
    for (const resource of ['http://api.utility.example/eci/v1', 'ftp://api.utility.example/eci/v1']) {
      expect(() => createEciClient({ ...base, resource })).toThrow(EciConfigError)
      expect(() => createEciClient({ ...base, resource })).toThrow(/https:\/\//)
    }
    expect(() =>
      createEciClient({ ...base, resource: 'http://127.0.0.1:8080/eci', allowInsecureRequests: true }),
    ).not.toThrow()
    expect(() => createEciClient({ ...base, resource: 'ftp://127.0.0.1/eci', allowInsecureRequests: true })).toThrow(
      EciConfigError,
    )
  })
})

describe('per-provider parts are shared by sessions', () => {
  it('fetches the provider JWKS once for all sessions of one consumer', async () => {
    // Ask for signed responses first, so every call is verified against the provider's JWKS.
    const preferJwt =
      (f: typeof fetch): typeof fetch =>
      (input, init) => {
        const request = new Request(input, init)
        if (request.headers.get('content-type') !== 'application/jwt') return f(request)
        const headers = new Headers(request.headers)
        headers.set('accept', 'application/jwt')
        return f(new Request(request, { headers }))
      }
    const w = await world({}, {}, preferJwt)
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    w.mock.clearCalls()
    const first = w.consumer.session(grant)
    const second = w.consumer.session(grant)
    const account = grant.accounts[0]!
    await first.basic(account)
    await second.basic(account)
    await w.consumer.session(grant).basic(account)
    expect(w.mock.calls.filter((c) => c.endpoint === 'eci')).toHaveLength(3)
    expect(w.mock.calls.filter((c) => c.endpoint === 'jwks')).toHaveLength(1)
  })
})
