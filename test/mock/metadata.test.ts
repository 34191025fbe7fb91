import { describe, expect, it } from 'vitest'
import { EciConfigError } from '../../src/errors.js'
import { createMockProvider } from '../../src/mock/index.js'
import { CLIENT_ID, ISSUER, REDIRECT, RESOURCE, send, setup } from './helpers.js'

describe('mock provider metadata and JWKS', () => {
  it('serves RFC 8414 metadata with the ECIS members', async () => {
    const { provider } = await setup({ requirePushedAuthorizationRequests: true })
    const res = await send(provider, `${ISSUER}/.well-known/oauth-authorization-server`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(await res.json()).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      pushed_authorization_request_endpoint: `${ISSUER}/par`,
      require_pushed_authorization_requests: true,
      revocation_endpoint: `${ISSUER}/revoke`,
      jwks_uri: `${ISSUER}/jwks`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'],
      revocation_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
      authorization_response_iss_parameter_supported: true,
      authorization_details_types_supported: ['eci'],
      scopes_supported: ['eci:basic', 'eci:invoice', 'eci:invoice_detail'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      eci_resource: RESOURCE,
      eci_request_types_supported: ['basic', 'invoice', 'invoice_detail'],
      eci_request_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'],
    })
  })

  it('serves the same document as OIDC discovery', async () => {
    const { provider } = await setup()
    const a = await (await send(provider, `${ISSUER}/.well-known/oauth-authorization-server`)).json()
    const b = await (await send(provider, `${ISSUER}/.well-known/openid-configuration`)).json()
    expect(b).toEqual(a)
    expect(a.require_pushed_authorization_requests).toBe(false)
  })

  it('serves path issuers at the RFC 8414 location and the suffixed one', async () => {
    const provider = createMockProvider({ issuer: 'https://auth.utility.example/tenant-1', clients: [] })
    for (const url of [
      'https://auth.utility.example/.well-known/oauth-authorization-server/tenant-1',
      'https://auth.utility.example/tenant-1/.well-known/oauth-authorization-server',
    ]) {
      const res = await send(provider, url)
      expect((await res.json()).issuer).toBe('https://auth.utility.example/tenant-1')
    }
    expect(provider.resource).toBe('https://auth.utility.example/tenant-1/eci/v1')
  })

  it('serves a JWKS with one public ES256 key and no private part', async () => {
    const { provider } = await setup()
    const jwks = await (await send(provider, `${ISSUER}/jwks`)).json()
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(jwks.keys[0].kid).toEqual(expect.any(String))
    expect(jwks.keys[0]).not.toHaveProperty('d')
    expect(await provider.jwks()).toEqual(jwks)
  })

  it('puts X-Request-Id, CORS and a Date on every response, and records the call', async () => {
    const { provider } = await setup()
    const a = await send(provider, `${ISSUER}/.well-known/openid-configuration`)
    const b = await send(provider, `${ISSUER}/jwks`)
    expect(a.headers.get('X-Request-Id')).toMatch(/^req_/)
    expect(b.headers.get('X-Request-Id')).not.toBe(a.headers.get('X-Request-Id'))
    expect(a.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(a.headers.get('Access-Control-Expose-Headers')).toContain('X-Request-Id')
    expect(Math.abs(Date.parse(a.headers.get('Date')!) - Date.now())).toBeLessThan(5000)
    expect(provider.calls).toEqual([
      { endpoint: 'metadata', at: expect.any(Number), method: 'GET', status: 200, client: undefined },
      { endpoint: 'jwks', at: expect.any(Number), method: 'GET', status: 200, client: undefined },
    ])
  })

  it('answers CORS preflights for its endpoints without logging them', async () => {
    const { provider } = await setup()
    const res = await send(provider, RESOURCE, { method: 'OPTIONS' })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Headers')).toContain('DPoP')
    expect(provider.calls).toEqual([])
  })

  it('moves its Date header and clock with setClockOffset', async () => {
    const { provider } = await setup()
    provider.setClockOffset(3600)
    const res = await send(provider, `${ISSUER}/jwks`)
    expect(Date.parse(res.headers.get('Date')!) - Date.now()).toBeGreaterThan(3590_000)
    expect(provider.now() - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(3599)
  })

  it('refuses invalid options with EciConfigError', () => {
    expect(() => createMockProvider({ issuer: 'not a url', clients: [] })).toThrow(EciConfigError)
    expect(() =>
      createMockProvider({ issuer: ISSUER, clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT] }] }),
    ).toThrow(/private_key_jwt needs `jwks`/)
    expect(() => createMockProvider({ issuer: ISSUER, clients: [], owners: [] })).toThrow(/at least one owner/)
    expect(() => createMockProvider({ issuer: ISSUER, clients: [], consent: { owner: 'nobody' } })).toThrow(
      /consent.owner/,
    )
    expect(() =>
      createMockProvider({
        issuer: ISSUER,
        clients: [{ clientId: 'x', redirectUris: [], jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }],
      }),
    ).toThrow(/public keys only/)
  })

  it.each([
    ['clockTolerance over 60 s', { clockTolerance: 61 }, /clockTolerance/],
    ['a negative clockTolerance', { clockTolerance: -1 }, /clockTolerance/],
    ['a NaN clockTolerance', { clockTolerance: Number.NaN }, /clockTolerance/],
    ['an unknown tokenResponse', { tokenResponse: 'json' }, /tokenResponse/],
  ])('refuses %s with EciConfigError', (_name, extra, message) => {
    const make = () => createMockProvider({ issuer: ISSUER, clients: [], ...(extra as object) })
    expect(make).toThrow(EciConfigError)
    expect(make).toThrow(message)
  })

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number])(
    'refuses setClockOffset(%s) with EciConfigError',
    async (value) => {
      const { provider } = await setup()
      expect(() => provider.setClockOffset(value)).toThrow(EciConfigError)
      expect(Math.abs(provider.now() - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(1)
    },
  )
})
