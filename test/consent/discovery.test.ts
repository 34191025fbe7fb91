import { describe, expect, it } from 'vitest'
import { fetchAuthorizationServerMetadata, metadataUrls } from '../../src/consent/discovery.js'
import { EciConfigError, EciHttpError, EciNetworkError, ErrorCode } from '../../src/errors.js'
import { caught, fakeFetch, ISSUER, metadataFetch, providerMetadata } from './helpers.js'

const RFC8414 = `${ISSUER}/.well-known/oauth-authorization-server`
const OIDC = `${ISSUER}/.well-known/openid-configuration`

describe('metadataUrls', () => {
  it.each([
    [
      'https://as.example',
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ],
    [
      'https://as.example/tenant/1',
      'https://as.example/.well-known/oauth-authorization-server/tenant/1',
      'https://as.example/tenant/1/.well-known/openid-configuration',
    ],
    [
      'https://as.example/tenant/',
      'https://as.example/.well-known/oauth-authorization-server/tenant',
      'https://as.example/tenant/.well-known/openid-configuration',
    ],
  ])('for %s inserts the RFC 8414 suffix before the path and appends the OIDC one', (issuer, rfc8414, oidc) => {
    expect(metadataUrls(new URL(issuer))).toEqual([rfc8414, oidc])
  })
})

describe('fetchAuthorizationServerMetadata', () => {
  it('reads RFC 8414 metadata with the injected fetch', async () => {
    const f = metadataFetch()
    const metadata = await fetchAuthorizationServerMetadata(ISSUER, { fetch: f })
    expect(metadata.authorization_endpoint).toBe(providerMetadata().authorization_endpoint)
    expect(metadata.eci_resource).toBe(providerMetadata().eci_resource)
    expect(f.calls).toEqual([RFC8414])
  })

  it('falls back to OpenID Connect discovery when RFC 8414 metadata is missing', async () => {
    const f = fakeFetch({ [OIDC]: () => Response.json(providerMetadata()) })
    const metadata = await fetchAuthorizationServerMetadata(ISSUER, { fetch: f })
    expect(metadata.issuer).toBe(ISSUER)
    expect(f.calls).toEqual([RFC8414, OIDC])
  })

  it('rejects metadata for another issuer with INVALID_METADATA', async () => {
    const f = metadataFetch({ issuer: 'https://evil.example' })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
  })

  it('refuses an http issuer before any request unless allowInsecureRequests', async () => {
    const insecure = 'http://127.0.0.1:4000'
    const f = fakeFetch({
      [`${insecure}/.well-known/oauth-authorization-server`]: () =>
        Response.json(providerMetadata({ issuer: insecure, authorization_endpoint: `${insecure}/authorize` })),
    })
    const error = await caught(() => fetchAuthorizationServerMetadata(insecure, { fetch: f }))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_OPTION)
    expect(f.calls).toEqual([])
    const metadata = await fetchAuthorizationServerMetadata(insecure, { fetch: f, allowInsecureRequests: true })
    expect(metadata.authorization_endpoint).toBe(`${insecure}/authorize`)
  })

  it('rejects an http authorization endpoint of an https issuer', async () => {
    const f = metadataFetch({ authorization_endpoint: 'http://auth.utility.example/authorize' })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
  })

  it.each([
    ['no authorization_endpoint', { authorization_endpoint: undefined }],
    ['a non-URL authorization_endpoint', { authorization_endpoint: 'authorize' }],
    ['a string require_pushed_authorization_requests', { require_pushed_authorization_requests: 'true' }],
    ['a non-list authorization_details_types_supported', { authorization_details_types_supported: 'eci' }],
  ])('rejects metadata with %s with INVALID_METADATA', async (_name, overrides) => {
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: metadataFetch(overrides) }))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
  })

  it('turns a failed fetch into EciNetworkError NETWORK', async () => {
    const f = async () => {
      throw new TypeError('Failed to fetch')
    }
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.NETWORK)
  })

  it('turns an aborted fetch into EciNetworkError ABORTED', async () => {
    const controller = new AbortController()
    controller.abort()
    const f = async (_url: string, init: RequestInit) => {
      init.signal?.throwIfAborted()
      return new Response('{}')
    }
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f, signal: controller.signal }))
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.ABORTED)
  })

  it('reports EciHttpError with the status when neither location serves metadata', async () => {
    const f = fakeFetch({ [OIDC]: () => new Response('', { status: 503 }) })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error).toBeInstanceOf(EciHttpError)
    expect((error as EciHttpError).status).toBe(503)
    expect(error.code).toBe(ErrorCode.HTTP_ERROR)
  })

  it('reports a body that is not JSON as EciHttpError INVALID_RESPONSE', async () => {
    const f = fakeFetch({ [RFC8414]: () => new Response('<html>', { headers: { 'content-type': 'text/html' } }) })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
  })

  it('rejects a JSON body that is not an object with INVALID_METADATA', async () => {
    const f = fakeFetch({ [RFC8414]: () => Response.json(['issuer']) })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: f }))
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
  })

  it('rejects a fetch option that is not a function', async () => {
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: 'no' as never }))
    expect(error.code).toBe(ErrorCode.INVALID_OPTION)
  })
})

describe('fetchAuthorizationServerMetadata time limit', () => {
  it('gives up on a provider that never answers with EciNetworkError TIMEOUT, even if fetch ignores the signal', async () => {
    const never = () => new Promise<Response>(() => {})
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: never, timeout: 50 }))
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.TIMEOUT)
  })

  it('gives up on a body that never ends with EciNetworkError TIMEOUT', async () => {
    const stalled = async () => new Response(new ReadableStream({ start() {} }), { status: 200 })
    const error = await caught(() => fetchAuthorizationServerMetadata(ISSUER, { fetch: stalled, timeout: 50 }))
    expect(error).toBeInstanceOf(EciNetworkError)
    expect(error.code).toBe(ErrorCode.TIMEOUT)
  })

  it.each([0, -1, Number.NaN, '100'])('rejects the timeout %s with INVALID_OPTION', async (timeout) => {
    const error = await caught(() =>
      fetchAuthorizationServerMetadata(ISSUER, { fetch: metadataFetch(), timeout: timeout as number }),
    )
    expect(error.code).toBe(ErrorCode.INVALID_OPTION)
  })
})
