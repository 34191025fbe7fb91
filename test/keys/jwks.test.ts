// publicJwks and jwksHandler: the JWKS of the very keys the SDK signs with, served at a jwks_uri.
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK, exportPKCS8 } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { describe, expect, it } from 'vitest'
import {
  EciConfigError,
  ErrorCode,
  jwksHandler,
  publicJwks,
  type RemoteSigner,
  signRequestJwt,
} from '../../src/index.js'

const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi']

async function keyForms() {
  const ec = await generateKeyPair('ES256', { extractable: true })
  const ed = await generateKeyPair('EdDSA', { extractable: true, crv: 'Ed25519' })
  const rsa = await generateKeyPair('PS256', { extractable: true, modulusLength: 2048 })
  const pair = (await generateKeyPair('ES384', { extractable: false })) as CryptoKeyPair
  const remotePair = await generateKeyPair('ES256')
  const signer: RemoteSigner = {
    alg: 'ES256',
    kid: 'kms-1',
    publicJwk: await exportJWK(remotePair.publicKey),
    sign: async (data) =>
      new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, remotePair.privateKey, data as BufferSource),
      ),
  }
  return {
    jwk: { ...(await exportJWK(ec.privateKey)), kid: 'ec-1' },
    pem: await exportPKCS8(ed.privateKey),
    rsa: await exportJWK(rsa.privateKey),
    pair,
    signer,
  }
}

describe('publicJwks', () => {
  it('publishes JWKs, PEMs, key pairs and remote signers with the kid and alg the SDK signs with', async () => {
    const k = await keyForms()
    const jwks = await publicJwks([k.jwk, k.pem, k.rsa, k.pair, k.signer])
    expect(jwks.keys.map((key) => [key.kty, key.alg, key.use])).toEqual([
      ['EC', 'ES256', 'sig'],
      ['OKP', 'EdDSA', 'sig'],
      ['RSA', 'PS256', 'sig'],
      ['EC', 'ES384', 'sig'],
      ['EC', 'ES256', 'sig'],
    ])
    for (const key of jwks.keys) for (const member of PRIVATE) expect(key).not.toHaveProperty(member)
    expect(jwks.keys[0]?.kid).toBe('ec-1')
    expect(jwks.keys[4]?.kid).toBe('kms-1')
    expect(jwks.keys[3]?.kid).toBe(await calculateJwkThumbprint(await exportJWK(k.pair.publicKey)))
    // The kid in the JWKS is the kid of the request JWTs each key signs.
    for (const [i, key] of [k.jwk, k.pem, k.rsa, k.signer].entries()) {
      const jwt = await signRequestJwt({
        key,
        clientId: 'c',
        audience: 'https://api.utility.example/eci/v1',
        accessToken: 'at',
        claims: { eci_request_type: 'basic', system_account_id: 'a' },
      })
      const header = JSON.parse(atob((jwt.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/')))
      expect(header.kid).toBe([0, 1, 2, 4].map((j) => jwks.keys[j]?.kid)[i])
    }
  })

  it('refuses two keys with one kid, a public key, a lone non-extractable CryptoKey and an empty list', async () => {
    const k = await keyForms()
    const same = { ...k.jwk }
    for (const keys of [[k.jwk, same], [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }], [k.pair.privateKey], []]) {
      const error = await publicJwks(keys as never).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EciConfigError)
      expect(error).toMatchObject({ code: ErrorCode.INVALID_KEY })
      expect(JSON.stringify(error)).not.toContain(k.jwk.d as string)
    }
  })
})

describe('jwksHandler', () => {
  it('serves the JWKS with caching headers, answers 304 to its ETag and 405 to other methods', async () => {
    const k = await keyForms()
    const serve = await jwksHandler([k.jwk, k.signer], { maxAge: 600 })
    const ok = serve(new Request('https://acme.example/jwks.json'))
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('application/jwk-set+json')
    expect(ok.headers.get('cache-control')).toBe('public, max-age=600')
    const body = await ok.json()
    expect(body).toEqual(await publicJwks([k.jwk, k.signer]))
    const etag = ok.headers.get('etag') as string
    expect(etag).toMatch(/^"[\w-]+"$/)
    const head = serve(new Request('https://acme.example/jwks.json', { method: 'HEAD' }))
    expect([head.status, await head.text()]).toEqual([200, ''])
    const cached = serve(new Request('https://acme.example/jwks.json', { headers: { 'if-none-match': `W/${etag}` } }))
    expect(cached.status).toBe(304)
    const stale = serve(new Request('https://acme.example/jwks.json', { headers: { 'if-none-match': '"old"' } }))
    expect(stale.status).toBe(200)
    const post = serve(new Request('https://acme.example/jwks.json', { method: 'POST', body: '{}' }))
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
    expect(JSON.stringify(body)).not.toContain(k.jwk.d as string)
  })

  it('refuses a bad maxAge when it is made, not at the first request', async () => {
    const k = await keyForms()
    await expect(jwksHandler([k.jwk], { maxAge: -1 })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
  })
})
