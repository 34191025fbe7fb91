/**
 * The ECI client signs through WebCrypto on every runtime, one call at a time or many at once,
 * and jose verifies every request JWT, for every key form. Short r or s values (a leading zero
 * byte, about 1 in 128 ES256 signatures) come up across the hundreds signed here.
 */
import type { CryptoKey as JoseKey } from 'jose'
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { jwtVerify } from 'jose/jwt/verify'
import { exportJWK, exportPKCS8 } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { HttpResponse, http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createEciClient, ErrorCode, type SigningKeyInput, signRequestJwt } from '../../src/index.js'
import { ACCESS_TOKEN, basicBody, CLIENT_ID, handlerFetch, RESOURCE } from '../support/eci-endpoint.js'

/** An endpoint that verifies every request JWT with jose and counts what it verified. */
function verifyingClient(signingKey: SigningKeyInput, publicKey: JoseKey, extra: { signingKid?: string } = {}) {
  const verified: string[] = []
  const failures: string[] = []
  const handler = http.post(RESOURCE, async ({ request }) => {
    const jwt = await request.text()
    try {
      const { payload } = await jwtVerify(jwt, publicKey, {
        audience: RESOURCE,
        issuer: CLIENT_ID,
        typ: 'eci-request+jwt',
      })
      verified.push(payload.jti as string)
      return HttpResponse.json(basicBody(String(payload.system_account_id)))
    } catch (error) {
      failures.push(String(error))
      return HttpResponse.json({ error: 'invalid_request_jwt' }, { status: 400 })
    }
  })
  const client = createEciClient({
    resource: RESOURCE,
    clientId: CLIENT_ID,
    signingKey,
    accessToken: ACCESS_TOKEN,
    fetch: handlerFetch([handler]),
    retry: 0,
    ...extra,
  })
  return { client, verified, failures }
}

const KEYS = [
  ['ES256', {}],
  ['ES384', {}],
  ['ES512', {}],
  ['EdDSA', { crv: 'Ed25519' }],
] as const

describe('request JWT signatures verify for every key form', () => {
  it.each(KEYS)('%s JWK: one call at a time and 40 at once', async (alg, options) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options })
    const jwk = { ...(await exportJWK(privateKey)), kid: `k-${alg}` }
    const { client, verified, failures } = verifyingClient(jwk, publicKey)
    for (let i = 0; i < 150; i++) await client.basic(`acct-${i}`)
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.basic(`burst-${i}`)))
    expect(failures).toEqual([])
    expect(new Set(verified).size).toBe(190)
  })

  it.each(KEYS)('%s PKCS8 PEM and CryptoKeys (extractable or not)', async (alg, options) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options })
    const sealed = await generateKeyPair(alg, { extractable: false, ...options })
    for (const [key, pub, kid] of [
      [await exportPKCS8(privateKey), publicKey, undefined],
      [privateKey, publicKey, undefined],
      [sealed.privateKey, sealed.publicKey, 'sealed'],
    ] as const) {
      const { client, verified, failures } = verifyingClient(key as SigningKeyInput, pub, { signingKid: kid })
      for (let i = 0; i < 20; i++) await client.basic(`acct-${i}`)
      await Promise.all(Array.from({ length: 20 }, (_, i) => client.basic(`burst-${i}`)))
      expect(failures).toEqual([])
      expect(verified).toHaveLength(40)
    }
  })

  it('RSA keys sign through WebCrypto (PS256 by default)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true })
    const { client, verified, failures } = verifyingClient(await exportJWK(privateKey), publicKey)
    await client.basic('a')
    await Promise.all([client.basic('b'), client.basic('c'), client.basic('d')])
    expect(failures).toEqual([])
    expect(verified).toHaveLength(4)
  })

  it('refuses an RSA key under 2048 bits before signing anything', async () => {
    const { privateKey } = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const jwk = await exportJWK(privateKey)
    await expect(
      signRequestJwt({
        key: jwk,
        alg: 'RS256',
        clientId: CLIENT_ID,
        audience: RESOURCE,
        accessToken: ACCESS_TOKEN,
        claims: { eci_request_type: 'basic', system_account_id: 'a' },
      }),
    ).rejects.toMatchObject({ name: 'EciConfigError', code: ErrorCode.INVALID_KEY, message: /2048 bits/ })
  })

  it('signs with exactly the profile header { alg, kid, typ }', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    let header: unknown
    const handler = http.post(RESOURCE, async ({ request }) => {
      const jwt = await request.text()
      header = decodeProtectedHeader(jwt)
      await jwtVerify(jwt, publicKey)
      return HttpResponse.json(basicBody('a'))
    })
    const client = createEciClient({
      resource: RESOURCE,
      clientId: CLIENT_ID,
      signingKey: { ...(await exportJWK(privateKey)), kid: 'k1' },
      accessToken: ACCESS_TOKEN,
      fetch: handlerFetch([handler]),
    })
    await client.basic('a')
    expect(header).toEqual({ alg: 'ES256', kid: 'k1', typ: 'eci-request+jwt' })
  })
})
