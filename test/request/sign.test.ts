import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { decodeJwt } from 'jose/jwt/decode'
import { jwtVerify } from 'jose/jwt/verify'
import { exportJWK, exportPKCS8 } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { describe, expect, it, vi } from 'vitest'
import { EciConfigError, ErrorCode, type SignRequestJwtOptions, signRequestJwt } from '../../src/index.js'
import { ACCESS_TOKEN, CLIENT_ID, makeKeys, RESOURCE, sha256b64url } from '../support/eci-endpoint.js'

const claims = { eci_request_type: 'invoice', system_account_id: '0018-102', system_invoice_id: '09183eef267' } as const

async function sign(key: SignRequestJwtOptions['key'], extra: Partial<SignRequestJwtOptions> = {}) {
  return signRequestJwt({ key, clientId: CLIENT_ID, audience: RESOURCE, accessToken: ACCESS_TOKEN, claims, ...extra })
}

describe('signRequestJwt', () => {
  it('follows the wire profile exactly', async () => {
    const { privateJwk, publicKey } = await makeKeys('ES256')
    const jwt = await sign(privateJwk, { now: 1_800_000_000 })
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { currentDate: new Date(1_800_000_000_000) })
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'k-ES256', typ: 'eci-request+jwt' })
    expect(Object.keys(payload).sort()).toEqual(
      ['ath', 'aud', 'eci_request_type', 'exp', 'iat', 'iss', 'jti', 'system_account_id', 'system_invoice_id'].sort(),
    )
    expect(payload).toMatchObject({
      iss: CLIENT_ID,
      aud: RESOURCE,
      iat: 1_800_000_000,
      exp: 1_800_000_060,
      ath: await sha256b64url(ACCESS_TOKEN),
      ...claims,
    })
  })

  it('uses a fresh jti of at least 128 bits for every JWT', async () => {
    const { privateJwk } = await makeKeys('ES256')
    const jtis = new Set<string>()
    for (let i = 0; i < 50; i++) jtis.add(decodeJwt(await sign(privateJwk)).jti as string)
    expect(jtis.size).toBe(50)
    for (const jti of jtis) expect(atob(jti.replace(/-/g, '+').replace(/_/g, '/')).length).toBeGreaterThanOrEqual(16)
  })

  it('takes expiresIn up to 300 seconds and refuses more', async () => {
    const { privateJwk } = await makeKeys('ES256')
    const p = decodeJwt(await sign(privateJwk, { expiresIn: 300 }))
    expect((p.exp as number) - (p.iat as number)).toBe(300)
    await expect(sign(privateJwk, { expiresIn: 301 })).rejects.toBeInstanceOf(EciConfigError)
    await expect(sign(privateJwk, { expiresIn: 0 })).rejects.toBeInstanceOf(EciConfigError)
  })

  it('requires system_invoice_id for invoice and invoice_detail and refuses it for basic', async () => {
    const { privateJwk } = await makeKeys('ES256')
    for (const type of ['invoice', 'invoice_detail'] as const) {
      await expect(
        sign(privateJwk, { claims: { eci_request_type: type, system_account_id: 'a' } as never }),
      ).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
    }
    await expect(
      sign(privateJwk, {
        claims: { eci_request_type: 'basic', system_account_id: 'a', system_invoice_id: 'x' } as never,
      }),
    ).rejects.toBeInstanceOf(EciConfigError)
    const basic = decodeJwt(await sign(privateJwk, { claims: { eci_request_type: 'basic', system_account_id: 'a' } }))
    expect('system_invoice_id' in basic).toBe(false)
  })

  it('refuses unknown request types', async () => {
    const { privateJwk } = await makeKeys('ES256')
    await expect(
      sign(privateJwk, { claims: { eci_request_type: 'usage', system_account_id: 'a' } as never }),
    ).rejects.toBeInstanceOf(EciConfigError)
  })

  it.each([
    ['ES256', undefined, 'ES256'],
    ['EdDSA', undefined, 'EdDSA'],
    ['PS256', undefined, 'PS256'],
    ['RS256', 'RS256', 'RS256'],
  ])('signs with a %s JWK (alg option %s)', async (keyAlg, alg, expected) => {
    const { privateKey, publicKey } = await generateKeyPair(keyAlg, {
      extractable: true,
      crv: keyAlg === 'EdDSA' ? 'Ed25519' : undefined,
    })
    const { alg: _a, ...jwk } = await exportJWK(privateKey)
    const jwt = await sign(jwk, { alg })
    expect(decodeProtectedHeader(jwt).alg).toBe(expected)
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeTruthy()
  })

  it('signs with a PKCS8 PEM and derives the kid from the key thumbprint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const pem = await exportPKCS8(privateKey)
    const jwt = await sign(pem)
    const header = decodeProtectedHeader(jwt)
    expect(header.alg).toBe('ES256')
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeTruthy()
  })

  it('signs with an Ed25519 PKCS8 PEM', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' })
    const jwt = await sign(await exportPKCS8(privateKey), { kid: 'ed' })
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'EdDSA', kid: 'ed' })
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeTruthy()
  })

  it('signs with a non-extractable CryptoKey when a kid is given, and asks for one otherwise', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwt = await sign(privateKey, { kid: 'hsm-1' })
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: 'hsm-1' })
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeTruthy()
    await expect(sign(privateKey)).rejects.toMatchObject({ code: ErrorCode.INVALID_KEY })
  })

  it('imports a key once and reuses it', async () => {
    const { privateJwk } = await makeKeys('ES256')
    const spy = vi.spyOn(crypto.subtle, 'importKey')
    try {
      for (let i = 0; i < 5; i++) await sign(privateJwk)
      expect(spy).toHaveBeenCalledTimes(1)
    } finally {
      spy.mockRestore()
    }
  })

  it.each([
    ['a public key', async () => (await makeKeys('ES256')).publicJwk],
    ['a symmetric key', async () => ({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' })],
    ['an SPKI PEM', async () => '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----'],
    ['garbage', async () => 42],
    ['a P-256 key with alg PS256', async () => ({ ...(await makeKeys('ES256')).privateJwk, alg: 'PS256' })],
  ])('refuses %s with EciConfigError INVALID_KEY and no key material in the message', async (_n, make) => {
    const key = (await make()) as SignRequestJwtOptions['key']
    const error = await sign(key).catch((e) => e)
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_KEY)
    if (typeof key === 'object' && key && 'd' in key) expect(error.message).not.toContain((key as { d: string }).d)
  })

  it('refuses an unsupported algorithm', async () => {
    const { privateJwk } = await makeKeys('ES256')
    await expect(sign(privateJwk, { alg: 'HS256' })).rejects.toMatchObject({ code: ErrorCode.INVALID_KEY })
  })
})
