/**
 * A Data Custodian that takes `private_key_jwt`: the Green Button consumer signs its client
 * assertions through a RemoteSigner (a KMS's shape), as the ECIS consumer does.
 */
import { jwtVerify } from 'jose/jwt/verify'
import { describe, expect, it } from 'vitest'
import { greenButtonConsumer } from '../../../src/green-button/index.js'
import type { RemoteSigner } from '../../../src/index.js'
import { CLIENT_ID, gbWorld, REDIRECT, SCOPE, SECRET } from './world.js'

/** A signer whose private key stays inside it: only `sign` is exposed, as with a KMS. */
async function kmsLikeSigner(): Promise<{ signer: RemoteSigner; signed: () => number; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey)
  let count = 0
  const signer: RemoteSigner = {
    alg: 'ES256',
    kid: 'kms-key-1',
    publicJwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y },
    async sign(data) {
      count++
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        pair.privateKey,
        data as BufferSource,
      )
      return new Uint8Array(signature)
    },
  }
  return { signer, signed: () => count, publicKey: pair.publicKey }
}

describe('Green Button consumer with a remote signer', () => {
  it('signs every client assertion through the signer; consent and refresh complete', async () => {
    const { signer, signed, publicKey } = await kmsLikeSigner()
    const assertions: Record<string, unknown>[] = []
    // The custodian stand-in checks the assertion against the registered public key, then lets the
    // mock (which authenticates clients by secret) answer as if it had.
    const custodianFetch =
      (inner: typeof fetch): typeof fetch =>
      async (input, init) => {
        const body = typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? String(init.body) : ''
        const form = new URLSearchParams(body)
        const assertion = form.get('client_assertion')
        if (!assertion) return inner(input, init)
        const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, {
          issuer: CLIENT_ID,
          subject: CLIENT_ID,
        })
        assertions.push({ ...payload, kid: protectedHeader.kid })
        form.delete('client_assertion')
        form.delete('client_assertion_type')
        const headers = new Headers(init?.headers)
        headers.set('authorization', `Basic ${btoa(`${CLIENT_ID}:${SECRET}`)}`)
        return inner(input, { ...init, headers, body: form.toString() })
      }
    const { custodian, authorize, fetch } = await gbWorld()
    const gb = greenButtonConsumer({
      ...custodian.endpoints,
      clientId: CLIENT_ID,
      clientAuth: { method: 'private_key_jwt', key: signer },
      redirectUri: REDIRECT,
      fetch: custodianFetch(fetch),
    })
    const { url, transaction } = await gb.beginConsent({ scope: SCOPE })
    const grant = await gb.completeConsent(await authorize(url), transaction)
    expect(grant.resourceUri).toBeTypeOf('string')
    const session = gb.session({ ...grant, issuedAt: 0, expiresAt: 1 }) // refreshes first
    await session.feed()
    expect(assertions).toHaveLength(2)
    expect(signed()).toBe(2)
    for (const a of assertions) expect(a).toMatchObject({ kid: 'kms-key-1', iss: CLIENT_ID, sub: CLIENT_ID })
  })
})
