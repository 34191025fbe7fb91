import type { CryptoKey, JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { SignJWT } from 'jose/jwt/sign'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { describe, expect, it } from 'vitest'
import {
  authorize,
  authorizeParams,
  clientAssertion,
  eci,
  ISSUER,
  pkce,
  postForm,
  REDIRECT,
  RESOURCE,
  randomString,
  requestJwt,
  type Setup,
  s256,
  setup,
} from './helpers.js'

interface DpopKey {
  privateKey: CryptoKey
  jwk: JWK
}

async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return { privateKey, jwk: await exportJWK(publicKey) }
}

async function proof(key: DpopKey, htm: string, htu: string, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm, htu, jti: randomString(16), iat: Math.floor(Date.now() / 1000), ...extra })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey)
}

async function tokenWithDpop(s: Setup, key: DpopKey, extra: Record<string, unknown> = {}) {
  const { verifier, challenge } = await pkce()
  const { query } = await authorize(s.provider, authorizeParams(challenge))
  return postForm(
    s.provider,
    `${ISSUER}/token`,
    {
      grant_type: 'authorization_code',
      code: query.get('code')!,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(s.key),
    },
    { DPoP: await proof(key, 'POST', `${ISSUER}/token`, extra) },
  )
}

const basic = { eci_request_type: 'basic', system_account_id: '0018-102' }

async function dpopEci(s: Setup, key: DpopKey, token: string, extra: Record<string, unknown> = {}, scheme = 'DPoP') {
  const jwt = await requestJwt({ key: s.key, accessToken: token, claims: basic })
  const p = await proof(key, 'POST', RESOURCE, { ath: await s256(token), ...extra })
  return eci(s.provider, token, jwt, { Authorization: `${scheme} ${token}`, DPoP: p })
}

describe('mock provider DPoP (RFC 9449)', () => {
  it('binds the token to the proof key: token_type DPoP and the grant records the thumbprint', async () => {
    const s = await setup()
    const key = await dpopKey()
    const res = await tokenWithDpop(s, key)
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.token_type).toBe('DPoP')
    expect(s.provider.grants()[0]!.dpopJkt).toBe(await calculateJwkThumbprint(key.jwk))
    expect((await dpopEci(s, key, body.access_token)).status).toBe(200)
  })

  it('refuses a bound token sent as Bearer, or with a proof of another key, with 401 and a DPoP challenge', async () => {
    const s = await setup()
    const key = await dpopKey()
    const { access_token } = await (await tokenWithDpop(s, key)).json()
    const bearer = await dpopEci(s, key, access_token, {}, 'Bearer')
    expect(bearer.status).toBe(401)
    expect(bearer.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token"/)
    const other = await dpopEci(s, await dpopKey(), access_token)
    expect(other.status).toBe(401)
    expect(other.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it.each([
    ['a wrong htu', { htu: `${RESOURCE}/other` }],
    ['a wrong htm', { htm: 'GET' }],
    ['a wrong ath', { ath: 'A'.repeat(43) }],
    ['an old iat', { iat: Math.floor(Date.now() / 1000) - 600 }],
  ])('refuses a resource proof with %s as invalid_dpop_proof', async (_name, extra) => {
    const s = await setup()
    const key = await dpopKey()
    const { access_token } = await (await tokenWithDpop(s, key)).json()
    const res = await dpopEci(s, key, access_token, extra)
    expect(res.status).toBe(401)
    expect((await res.json()).error).toBe('invalid_dpop_proof')
  })

  it('refuses a replayed proof', async () => {
    const s = await setup()
    const key = await dpopKey()
    const { access_token } = await (await tokenWithDpop(s, key)).json()
    const p = await proof(key, 'POST', RESOURCE, { ath: await s256(access_token) })
    const send = async () =>
      eci(s.provider, access_token, await requestJwt({ key: s.key, accessToken: access_token, claims: basic }), {
        Authorization: `DPoP ${access_token}`,
        DPoP: p,
      })
    expect((await send()).status).toBe(200)
    expect((await send()).status).toBe(401)
  })

  it('refuses an invalid proof at the token endpoint with 400 invalid_dpop_proof', async () => {
    const s = await setup()
    const res = await tokenWithDpop(s, await dpopKey(), { htu: `${ISSUER}/elsewhere` })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_dpop_proof')
  })

  it('refuses a token request without a proof when requireDpop is set', async () => {
    const s = await setup({ requireDpop: true })
    const { verifier, challenge } = await pkce()
    const { query } = await authorize(s.provider, authorizeParams(challenge))
    const res = await postForm(s.provider, `${ISSUER}/token`, {
      grant_type: 'authorization_code',
      code: query.get('code')!,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(s.key),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe('invalid_dpop_proof')
  })

  it('demands a nonce with use_dpop_nonce and DPoP-Nonce, then accepts the retry with the same code', async () => {
    const s = await setup({ dpopNonce: true })
    const key = await dpopKey()
    const { verifier, challenge } = await pkce()
    const { query } = await authorize(s.provider, authorizeParams(challenge))
    const form = async () => ({
      grant_type: 'authorization_code',
      code: query.get('code')!,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(s.key),
    })
    const first = await postForm(s.provider, `${ISSUER}/token`, await form(), {
      DPoP: await proof(key, 'POST', `${ISSUER}/token`),
    })
    expect(first.status).toBe(400)
    expect((await first.json()).error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('DPoP-Nonce')!
    expect(nonce).toBeTruthy()
    const second = await postForm(s.provider, `${ISSUER}/token`, await form(), {
      DPoP: await proof(key, 'POST', `${ISSUER}/token`, { nonce }),
    })
    expect(second.status).toBe(200)
    const { access_token } = await second.json()
    const without = await dpopEci(s, key, access_token)
    expect(without.status).toBe(401)
    expect(without.headers.get('WWW-Authenticate')).toContain('error="use_dpop_nonce"')
    expect(without.headers.get('DPoP-Nonce')).toBe(nonce)
    expect((await dpopEci(s, key, access_token, { nonce })).status).toBe(200)
  })
})
