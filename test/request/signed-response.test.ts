import { SignJWT } from 'jose/jwt/sign'
import { HttpResponse, http } from 'msw'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createEciClient, EciError, EciHttpError, ErrorCode } from '../../src/index.js'
import {
  ACCESS_TOKEN,
  CLIENT_ID,
  eciEndpoint,
  handlerFetch,
  invoiceBody,
  makeKeys,
  RESOURCE,
} from '../support/eci-endpoint.js'

const ISSUER = 'https://auth.utility.example'
const JWKS_URI = `${ISSUER}/jwks`
let consumerKeys: Awaited<ReturnType<typeof makeKeys>>
let providerKeys: Awaited<ReturnType<typeof makeKeys>>
beforeAll(async () => {
  consumerKeys = await makeKeys('ES256')
  providerKeys = await makeKeys('EdDSA')
})

async function signedBody(payload: Record<string, unknown>, key = providerKeys, audience = CLIENT_ID) {
  const jwt = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.publicJwk.kid, typ: 'eci-response+jwt' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .sign(key.privateKey)
  return new HttpResponse(jwt, { headers: { 'content-type': 'application/jwt' } })
}

function setup(respond: () => Promise<Response>, jwks: () => unknown = () => ({ keys: [providerKeys.publicJwk] })) {
  let jwksFetches = 0
  const endpoint = eciEndpoint(consumerKeys.publicJwk, respond)
  const jwksHandler = http.get(JWKS_URI, () => {
    jwksFetches++
    return HttpResponse.json(jwks() as Record<string, unknown>)
  })
  const client = createEciClient({
    resource: RESOURCE,
    clientId: CLIENT_ID,
    signingKey: consumerKeys.privateJwk,
    accessToken: ACCESS_TOKEN,
    fetch: handlerFetch([endpoint.handler, jwksHandler]),
    providerJwks: JWKS_URI,
    providerIssuer: ISSUER,
    retry: 0,
  })
  return { client, jwksFetches: () => jwksFetches }
}

describe('signed (application/jwt) responses', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('verifies the signature against the provider JWKS and validates the payload', async () => {
    const { client, jwksFetches } = setup(() => signedBody(invoiceBody('0018-102', 'inv-1')))
    const invoice = await client.invoice('0018-102', 'inv-1')
    expect(invoice.service_period_end).toBe('2026-10-31')
    expect(Object.keys(invoice)).not.toContain('iss')
    await client.invoice('0018-102', 'inv-1')
    expect(jwksFetches()).toBe(1)
  })

  it('refuses a response signed by another key', async () => {
    const stranger = await makeKeys('EdDSA')
    const { client } = setup(() => signedBody(invoiceBody('0018-102', 'inv-1'), stranger))
    const error = await client.invoice('0018-102', 'inv-1').catch((e) => e)
    expect(error).toBeInstanceOf(EciHttpError)
    expect(error.code).toBe(ErrorCode.INVALID_RESPONSE)
  })

  it('refetches the JWKS when the provider rotated its key, once its cooldown has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    const rotated = await makeKeys('EdDSA')
    const next = { ...rotated, publicJwk: { ...rotated.publicJwk, kid: 'rotated' } }
    let keys = [providerKeys.publicJwk]
    let signer = providerKeys
    const { client, jwksFetches } = setup(
      () => signedBody(invoiceBody('0018-102', 'inv-1'), signer),
      () => ({ keys }),
    )
    await client.invoice('0018-102', 'inv-1')
    keys = [next.publicJwk]
    signer = next
    // A provider publishes a new key ahead of signing with it; the SDK refetches at most every 30 s.
    vi.setSystemTime(Date.now() + 31_000)
    const invoice = await client.invoice('0018-102', 'inv-1')
    expect(invoice.system_invoice_id).toBe('inv-1')
    expect(jwksFetches()).toBe(2)
  })

  it('fetches the JWKS once for 20 concurrent responses, and at most once per cooldown for 40 with an unknown kid', async () => {
    const stranger = await makeKeys('EdDSA')
    const concurrent = setup(() => signedBody(invoiceBody('0018-102', 'inv-1')))
    await Promise.all(Array.from({ length: 20 }, () => concurrent.client.invoice('0018-102', 'inv-1')))
    expect(concurrent.jwksFetches()).toBe(1)
    const unknown = setup(() => signedBody(invoiceBody('0018-102', 'inv-1'), stranger))
    for (let i = 0; i < 40; i++) {
      await expect(unknown.client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({
        code: ErrorCode.INVALID_RESPONSE,
      })
    }
    expect(unknown.jwksFetches()).toBe(1)
    await Promise.all(
      Array.from({ length: 20 }, () => unknown.client.invoice('0018-102', 'inv-1').catch((e: unknown) => e)),
    )
    expect(unknown.jwksFetches()).toBe(1)
  })

  it('refuses a signed response addressed to another client', async () => {
    const { client } = setup(() => signedBody(invoiceBody('0018-102', 'inv-1'), providerKeys, 'someone-else'))
    await expect(client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({ code: ErrorCode.INVALID_RESPONSE })
  })

  it('refuses a signed response when no provider JWKS is configured', async () => {
    const endpoint = eciEndpoint(consumerKeys.publicJwk, () => signedBody(invoiceBody('0018-102', 'inv-1')))
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: consumerKeys.privateJwk,
      accessToken: ACCESS_TOKEN,
      fetch: handlerFetch([endpoint.handler]),
    })
    await expect(client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({ code: ErrorCode.INVALID_RESPONSE })
  })
})

describe('signed responses: claims and the JWKS fetch', () => {
  it('refuses a signed response without iat, or from another issuer', async () => {
    const noIat = async () => {
      const jwt = await new SignJWT(invoiceBody('0018-102', 'inv-1'))
        .setProtectedHeader({ alg: 'EdDSA', kid: providerKeys.publicJwk.kid })
        .setIssuer(ISSUER)
        .setAudience(CLIENT_ID)
        .sign(providerKeys.privateKey)
      return new HttpResponse(jwt, { headers: { 'content-type': 'application/jwt' } })
    }
    await expect(setup(noIat).client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({
      code: ErrorCode.INVALID_RESPONSE,
    })
    const otherIssuer = async () => {
      const jwt = await new SignJWT(invoiceBody('0018-102', 'inv-1'))
        .setProtectedHeader({ alg: 'EdDSA', kid: providerKeys.publicJwk.kid })
        .setIssuer('https://evil.example')
        .setAudience(CLIENT_ID)
        .setIssuedAt()
        .sign(providerKeys.privateKey)
      return new HttpResponse(jwt, { headers: { 'content-type': 'application/jwt' } })
    }
    await expect(setup(otherIssuer).client.invoice('0018-102', 'inv-1')).rejects.toMatchObject({
      code: ErrorCode.INVALID_RESPONSE,
    })
  })

  it('does not hang when the JWKS endpoint never answers', async () => {
    const endpoint = eciEndpoint(consumerKeys.publicJwk, () => signedBody(invoiceBody('0018-102', 'inv-1')))
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: consumerKeys.privateJwk,
      accessToken: ACCESS_TOKEN,
      fetch: handlerFetch([endpoint.handler, http.get(JWKS_URI, () => new Promise<Response>(() => {}))]),
      providerJwks: JWKS_URI,
      timeout: 100,
      retry: 0,
    })
    await expect(client.invoice('0018-102', 'inv-1')).rejects.toBeInstanceOf(EciError)
  })
})
