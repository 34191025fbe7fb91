// Every client assertion, request JWT and DPoP proof signed by a key in another process (a
// signing service standing in for a KMS): the SDK holds the public key only.

import { jwtVerify } from 'jose/jwt/verify'
import { importJWK } from 'jose/key/import'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciConfigError, EciError, ErrorCode, type RemoteSigner, signRequestJwt } from '../../src/index.js'
import { REDIRECT, world } from '../support/consumer.js'
import { type SigningService, startSigningService } from '../support/remote-signer.js'

const CLAIMS = { eci_request_type: 'basic', system_account_id: '0018-102' } as const
const SIGN = {
  clientId: 'acme-solar',
  audience: 'https://api.utility.example/eci/v1',
  accessToken: 'at-1',
  claims: CLAIMS,
}

/** The mock provider knows the signer's public key as the client's JWKS. */
const clientOf = (...signers: RemoteSigner[]) => ({
  clients: [
    {
      clientId: 'acme-solar',
      redirectUris: [REDIRECT],
      jwks: { keys: signers.map((s) => ({ ...s.publicJwk, kid: s.kid, alg: s.alg })) },
    },
  ],
})

/** Records unhandled rejections while `work` runs (a signer that fails late must not cause one). */
async function withoutUnhandledRejections(work: () => Promise<void>) {
  const seen: unknown[] = []
  const listener = (reason: unknown) => seen.push(reason)
  process.on('unhandledRejection', listener)
  try {
    await work()
    await new Promise((resolve) => setTimeout(resolve, 50))
  } finally {
    process.off('unhandledRejection', listener)
  }
  expect(seen).toEqual([])
}

describe('a remote signer in another process', () => {
  let der: SigningService
  beforeAll(async () => {
    der = await startSigningService('ES256', { encoding: 'der', timeoutMs: 2000 })
  }, 30_000)
  afterAll(() => der?.close())

  it('signs client assertions and request JWTs: consent, refresh and data calls, nothing refused', async () => {
    const signer = der.signer
    const before = await der.signed()
    const w = await world(clientOf(signer), { clientAuth: { method: 'private_key_jwt', key: signer } })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    const session = w.consumer.session({ ...grant, issuedAt: 0, expiresAt: 1 }) // refreshes first
    for (const account of grant.accounts) expect((await session.basic(account)).system_account_id).toBe(account)
    await session.revoke()
    expect(w.mock.calls.filter((c) => c.status >= 400)).toEqual([])
    const signedCalls = w.mock.calls.filter((c) => ['par', 'token', 'revocation', 'eci'].includes(c.endpoint))
    expect(signedCalls.length).toBeGreaterThanOrEqual(5)
    expect(await der.signed()).toBe(before + signedCalls.length)
    const eci = w.mock.calls.find((c) => c.endpoint === 'eci')
    expect(eci?.claims).toMatchObject({ iss: 'acme-solar' })
  })

  it('proves DPoP possession with the remote key on token, PAR and ECI requests', async () => {
    const dpop = await startSigningService('ES256', { encoding: 'raw' })
    try {
      const w = await world(clientOf(der.signer), {
        clientAuth: { method: 'private_key_jwt', key: der.signer },
        dpop: { key: dpop.signer },
      })
      const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
      const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
      expect(grant.tokenType).toBe('DPoP')
      const session = w.consumer.session({ ...grant, issuedAt: 0, expiresAt: 1 })
      expect((await session.basic(grant.accounts[0]!)).system_account_id).toBe(grant.accounts[0])
      expect(w.mock.calls.filter((c) => c.status >= 400)).toEqual([])
      // PAR, code exchange, refresh and the ECI call each carried a proof signed over there.
      expect(await dpop.signed()).toBe(4)
    } finally {
      await dpop.close()
    }
  })

  it.each([
    ['ES256 DER', 'ES256', 'der'],
    ['ES256 r‖s', 'ES256', 'raw'],
    ['ES384 DER', 'ES384', 'der'],
    ['PS256', 'PS256', 'der'],
    ['RS256', 'RS256', 'der'],
    ['EdDSA', 'EdDSA', 'der'],
  ] as const)('signRequestJwt through a %s signer verifies with its public key', async (_label, alg, encoding) => {
    const service = await startSigningService(alg, { encoding })
    try {
      const { signer } = service
      const jwt = await signRequestJwt({ ...SIGN, key: signer })
      const { protectedHeader } = await jwtVerify(jwt, await importJWK(signer.publicJwk, alg), {
        audience: SIGN.audience,
      })
      expect(protectedHeader).toMatchObject({ alg, kid: signer.kid, typ: 'eci-request+jwt' })
    } finally {
      await service.close()
    }
  })

  it('a signer that throws is ERR_ECI_SIGNER_FAILED naming the key id, with no unhandled rejection', async () => {
    await withoutUnhandledRejections(async () => {
      await der.fault('fail')
      const error = await signRequestJwt({ ...SIGN, key: der.signer }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EciError)
      expect(error).toMatchObject({ code: ErrorCode.SIGNER_FAILED })
      expect((error as Error).message).toContain(der.signer.kid)
      expect(JSON.stringify(error)).not.toContain('AccessDenied') // the signer's text stays in `cause`
      expect(await signRequestJwt({ ...SIGN, key: der.signer })).toMatch(/^ey/) // the next one works
    })
  })

  it('a signer that hangs fails after its timeoutMs, and its late answer is ignored', async () => {
    await withoutUnhandledRejections(async () => {
      await der.fault('hang')
      const started = performance.now()
      const error = await signRequestJwt({ ...SIGN, key: der.signer }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: ErrorCode.SIGNER_FAILED })
      expect((error as Error).message).toMatch(new RegExp(`"${der.signer.kid}" did not answer within 2000 ms`))
      expect(performance.now() - started).toBeLessThan(4000)
    })
  })

  it('a failing signer inside a consumer call (ECI, PAR) is the same typed error', async () => {
    const w = await world(clientOf(der.signer), { clientAuth: { method: 'private_key_jwt', key: der.signer } })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    await der.fault('fail')
    const error = await w.consumer
      .session(grant)
      .basic(grant.accounts[0]!)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: ErrorCode.SIGNER_FAILED })
    await der.fault('empty') // the PAR request's client assertion gets an empty signature
    const empty = await w.consumer.beginConsent({ scopes: ['basic'] }).catch((e: unknown) => e)
    expect(empty).toMatchObject({ code: ErrorCode.SIGNER_FAILED, message: expect.stringContaining(der.signer.kid) })
  })

  it('a signer whose key is not its publicJwk is refused at its first signature (EciConfigError)', async () => {
    const liar = { ...der.signer } // the same service, but the next signature is by another key
    await der.fault('other-key')
    const error = await signRequestJwt({ ...SIGN, key: liar }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error).toMatchObject({ code: ErrorCode.INVALID_KEY })
    expect((error as Error).message).toContain(der.signer.kid)
  })

  it.each([
    ['no kid', { kid: '' }],
    ['a private publicJwk', { publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' } }],
    ['an alg that does not fit the key', { alg: 'PS256' }],
    ['an unknown alg', { alg: 'HS256' }],
    ['a bad timeoutMs', { timeoutMs: -1 }],
  ])('a signer with %s is an EciConfigError before anything is signed', async (_label, change) => {
    const bad = { ...der.signer, ...change } as RemoteSigner
    const error = await signRequestJwt({ ...SIGN, key: bad }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EciConfigError)
    expect(JSON.stringify(error)).not.toContain('secret')
  })
})
