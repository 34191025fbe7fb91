import { describe, expect, it } from 'vitest'
import {
  authorize,
  authorizeParams,
  CLIENT_ID,
  clientAssertion,
  eciCall,
  grant,
  ISSUER,
  makeKey,
  PUBLIC_CLIENT_ID,
  pkce,
  postForm,
  REDIRECT,
  RESOURCE,
  type Setup,
  send,
  setup,
} from './helpers.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

async function codeFor(s: Setup, extra: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = await pkce()
  const { query } = await authorize(s.provider, authorizeParams(challenge, extra))
  return { code: query.get('code')!, verifier }
}

async function exchange(s: Setup, form: Record<string, string>, assertionClaims: Record<string, unknown> = {}) {
  return postForm(s.provider, `${ISSUER}/token`, {
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT,
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(s.key, assertionClaims),
    ...form,
  })
}

async function refresh(s: Setup, refreshToken: string) {
  return postForm(s.provider, `${ISSUER}/token`, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(s.key),
  })
}

async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status)
  const body = await res.json()
  expect(body).toEqual({ error, error_description: expect.any(String) })
  return body
}

describe('mock provider /token: authorization_code', () => {
  it('exchanges a code with PKCE and private_key_jwt for Bearer tokens', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    const res = await exchange(s, { code, code_verifier: verifier, resource: RESOURCE })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const body = await res.json()
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      scope: 'eci:basic eci:invoice eci:invoice_detail',
      authorization_details: [
        { type: 'eci', system_account_ids: expect.any(Array), actions: ['basic', 'invoice', 'invoice_detail'] },
      ],
      system_account_ids: expect.any(Array),
    })
    const call = s.provider.calls.at(-1)!
    expect(call).toEqual({ endpoint: 'token', at: expect.any(Number), method: 'POST', status: 200, client: CLIENT_ID })
    expect(JSON.stringify(s.provider.calls)).not.toContain(code)
    expect(JSON.stringify(s.provider.calls)).not.toContain(verifier)
  })

  it('accepts a client assertion whose aud is the token endpoint', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    expect((await exchange(s, { code, code_verifier: verifier }, { aud: `${ISSUER}/token` })).status).toBe(200)
  })

  it('refuses a wrong code_verifier (PKCE) with invalid_grant', async () => {
    const s = await setup()
    const { code } = await codeFor(s)
    await expectOAuthError(await exchange(s, { code, code_verifier: (await pkce()).verifier }), 400, 'invalid_grant')
  })

  it('refuses a missing code_verifier with invalid_grant', async () => {
    const s = await setup()
    const { code } = await codeFor(s)
    await expectOAuthError(await exchange(s, { code }), 400, 'invalid_grant')
  })

  it('refuses a reused code and revokes the tokens issued from it', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    const first = await (await exchange(s, { code, code_verifier: verifier })).json()
    await expectOAuthError(await exchange(s, { code, code_verifier: verifier }), 400, 'invalid_grant')
    const res = await eciCall(s, first.access_token, { eci_request_type: 'basic', system_account_id: '0018-102' })
    expect(res.status).toBe(401)
    expect(s.provider.grants()[0]!.revoked).toBe(true)
  })

  it('refuses an expired code', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    s.provider.setClockOffset(61)
    await expectOAuthError(
      await exchange(s, { code, code_verifier: verifier }, { iat: s.provider.now(), exp: s.provider.now() + 60 }),
      400,
      'invalid_grant',
    )
  })

  it('refuses a redirect_uri different from the authorization request', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    await expectOAuthError(
      await exchange(s, { code, code_verifier: verifier, redirect_uri: 'https://acme.example/other' }),
      400,
      'invalid_grant',
    )
  })

  it('refuses an unknown code', async () => {
    const s = await setup()
    await expectOAuthError(
      await exchange(s, { code: 'nope', code_verifier: (await pkce()).verifier }),
      400,
      'invalid_grant',
    )
  })

  it('refuses a code issued to another client', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s, { client_id: PUBLIC_CLIENT_ID })
    await expectOAuthError(await exchange(s, { code, code_verifier: verifier }), 400, 'invalid_grant')
  })

  it('refuses a resource other than eci_resource with invalid_target', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    await expectOAuthError(
      await exchange(s, { code, code_verifier: verifier, resource: 'https://x.example' }),
      400,
      'invalid_target',
    )
  })

  it('refuses an unsupported grant_type', async () => {
    const s = await setup()
    await expectOAuthError(await exchange(s, { grant_type: 'password' }), 400, 'unsupported_grant_type')
  })

  it('refuses a body that is not form-encoded', async () => {
    const s = await setup()
    const res = await fetchLike(s, JSON.stringify({ grant_type: 'authorization_code' }))
    await expectOAuthError(res, 400, 'invalid_request')
  })
})

async function fetchLike(s: Setup, body: string) {
  return send(s.provider, `${ISSUER}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
}

describe('mock provider /token: client authentication', () => {
  const cases: [string, (s: Setup) => Promise<Record<string, string>>][] = [
    [
      'an assertion signed by an unregistered key',
      async () => ({ client_assertion: await clientAssertion(await makeKey()) }),
    ],
    [
      'an assertion with a foreign aud',
      async (s) => ({ client_assertion: await clientAssertion(s.key, { aud: 'https://other.example' }) }),
    ],
    [
      'an expired assertion',
      async (s) => ({ client_assertion: await clientAssertion(s.key, { exp: Math.floor(Date.now() / 1000) - 60 }) }),
    ],
    [
      'an assertion whose sub is not the client',
      async (s) => ({ client_assertion: await clientAssertion(s.key, { sub: 'someone' }) }),
    ],
    ['an assertion without jti', async (s) => ({ client_assertion: await clientAssertion(s.key, { jti: undefined }) })],
    ['an assertion without iat', async (s) => ({ client_assertion: await clientAssertion(s.key, { iat: undefined }) })],
    [
      'an assertion whose exp - iat is 301 s',
      async (s) => {
        const now = Math.floor(Date.now() / 1000)
        return { client_assertion: await clientAssertion(s.key, { iat: now, exp: now + 301 }) }
      },
    ],
    [
      'an assertion whose exp is not after its iat',
      async (s) => {
        const now = Math.floor(Date.now() / 1000)
        return { client_assertion: await clientAssertion(s.key, { iat: now, exp: now }) }
      },
    ],
    [
      'an assertion issued 90 s in the future',
      async (s) => {
        const now = Math.floor(Date.now() / 1000)
        return { client_assertion: await clientAssertion(s.key, { iat: now + 90, exp: now + 150 }) }
      },
    ],
    [
      'an assertion for an unknown client',
      async (s) => ({ client_assertion: await clientAssertion(s.key, {}, 'mallory') }),
    ],
    [
      'a confidential client without an assertion',
      async () => ({ client_assertion: '', client_assertion_type: '', client_id: CLIENT_ID }),
    ],
    [
      'a client_id that contradicts the assertion',
      async (s) => ({ client_assertion: await clientAssertion(s.key), client_id: PUBLIC_CLIENT_ID }),
    ],
    ['a Basic authorization header', async () => ({ __basic: '1' })],
  ]
  it.each(cases)('refuses %s with 401 invalid_client', async (_name, make) => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    const overrides = await make(s)
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_assertion_type: JWT_BEARER,
      ...overrides,
    }
    const headers: Record<string, string> = {}
    if (form.__basic) {
      delete form.__basic
      delete form.client_assertion_type
      headers.Authorization = `Basic ${btoa(`${CLIENT_ID}:secret`)}`
    }
    for (const k of Object.keys(form)) if (form[k] === '') delete form[k]
    await expectOAuthError(await postForm(s.provider, `${ISSUER}/token`, form, headers), 401, 'invalid_client')
  })

  it('accepts a client assertion whose exp - iat is exactly 300 s', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s)
    const now = Math.floor(Date.now() / 1000)
    expect((await exchange(s, { code, code_verifier: verifier }, { iat: now, exp: now + 300 })).status).toBe(200)
  })

  it('refuses a replayed client assertion jti', async () => {
    const s = await setup()
    const assertion = await clientAssertion(s.key)
    const a = await codeFor(s)
    expect((await exchange(s, { code: a.code, code_verifier: a.verifier, client_assertion: assertion })).status).toBe(
      200,
    )
    const b = await codeFor(s)
    await expectOAuthError(
      await exchange(s, { code: b.code, code_verifier: b.verifier, client_assertion: assertion }),
      401,
      'invalid_client',
    )
  })

  it('lets a public client (none) exchange with client_id only', async () => {
    const s = await setup()
    const { code, verifier } = await codeFor(s, { client_id: PUBLIC_CLIENT_ID })
    const res = await postForm(s.provider, `${ISSUER}/token`, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: PUBLIC_CLIENT_ID,
    })
    expect(res.status).toBe(200)
    expect(s.provider.calls.at(-1)!.client).toBe(PUBLIC_CLIENT_ID)
  })
})

describe('mock provider /token: refresh_token', () => {
  it('rotates the refresh token and keeps the grant', async () => {
    const s = await setup()
    const first = await grant(s)
    const res = await refresh(s, first.refresh_token)
    expect(res.status).toBe(200)
    const second = await res.json()
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    expect(second.system_account_ids).toEqual(first.system_account_ids)
    expect(second.scope).toBe(first.scope)
    const basic = await eciCall(s, second.access_token, { eci_request_type: 'basic', system_account_id: '0018-102' })
    expect(basic.status).toBe(200)
  })

  it('refuses a rotated-out refresh token and revokes the whole family on its reuse', async () => {
    const s = await setup()
    const first = await grant(s)
    const second = await (await refresh(s, first.refresh_token)).json()
    await expectOAuthError(await refresh(s, first.refresh_token), 400, 'invalid_grant')
    // The family is gone: the newest refresh token and its access token stop working too.
    await expectOAuthError(await refresh(s, second.refresh_token), 400, 'invalid_grant')
    const res = await eciCall(s, second.access_token, { eci_request_type: 'basic', system_account_id: '0018-102' })
    expect(res.status).toBe(401)
    expect(s.provider.grants()[0]!.revoked).toBe(true)
  })

  it('narrows the scope of a refresh and refuses widening it', async () => {
    const s = await setup()
    const first = await grant(s, { scope: 'eci:basic eci:invoice' })
    const form = {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_assertion_type: JWT_BEARER,
    }
    const wide = await postForm(s.provider, `${ISSUER}/token`, {
      ...form,
      scope: 'eci:invoice_detail',
      client_assertion: await clientAssertion(s.key),
    })
    await expectOAuthError(wide, 400, 'invalid_scope')
    const narrow = await postForm(s.provider, `${ISSUER}/token`, {
      ...form,
      scope: 'eci:basic',
      client_assertion: await clientAssertion(s.key),
    })
    expect((await narrow.json()).scope).toBe('eci:basic')
  })

  it('refuses an expired refresh token (expireRefreshTokens)', async () => {
    const s = await setup()
    const first = await grant(s)
    s.provider.expireRefreshTokens()
    await expectOAuthError(await refresh(s, first.refresh_token), 400, 'invalid_grant')
  })

  it('refuses refresh tokens of revoked grants (revokeGrants)', async () => {
    const s = await setup()
    const first = await grant(s)
    s.provider.revokeGrants()
    await expectOAuthError(await refresh(s, first.refresh_token), 400, 'invalid_grant')
  })
})

describe('mock provider /revoke', () => {
  it('revokes the grant of a refresh token: its access token gets 401 afterwards', async () => {
    const s = await setup()
    const tokens = await grant(s)
    const res = await postForm(s.provider, `${ISSUER}/revoke`, {
      token: tokens.refresh_token,
      token_type_hint: 'refresh_token',
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(s.key),
    })
    expect(res.status).toBe(200)
    expect(s.provider.calls.at(-1)).toEqual({
      endpoint: 'revocation',
      at: expect.any(Number),
      method: 'POST',
      status: 200,
      client: CLIENT_ID,
    })
    const data = await eciCall(s, tokens.access_token, { eci_request_type: 'basic', system_account_id: '0018-102' })
    expect(data.status).toBe(401)
    expect(data.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
  })

  it('answers 200 for an unknown token', async () => {
    const s = await setup()
    const res = await postForm(s.provider, `${ISSUER}/revoke`, {
      token: 'unknown',
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(s.key),
    })
    expect(res.status).toBe(200)
  })

  it('refuses an unauthenticated revocation with 401', async () => {
    const s = await setup()
    const tokens = await grant(s)
    await expectOAuthError(
      await postForm(s.provider, `${ISSUER}/revoke`, { token: tokens.access_token }),
      401,
      'invalid_client',
    )
    expect(s.provider.grants()[0]!.revoked).toBe(false)
  })
})

describe('mock provider /token: tokenResponse option (protocol §4.2)', () => {
  it("sends authorization_details and system_account_ids with the default 'both'", async () => {
    const tokens = await grant(await setup())
    expect(tokens.authorization_details).toHaveLength(1)
    expect(tokens.system_account_ids).toEqual(tokens.authorization_details[0]!.system_account_ids)
  })

  it("sends only authorization_details with 'rar', on the code exchange and on refresh", async () => {
    const s = await setup({ tokenResponse: 'rar' })
    const tokens = await grant(s)
    expect(tokens).not.toHaveProperty('system_account_ids')
    expect(tokens.authorization_details).toEqual([
      { type: 'eci', system_account_ids: expect.arrayContaining(['0018-102']), actions: expect.any(Array) },
    ])
    const refreshed = await (await refresh(s, tokens.refresh_token)).json()
    expect(refreshed).not.toHaveProperty('system_account_ids')
    expect(refreshed.authorization_details).toEqual(tokens.authorization_details)
  })

  it("sends only the top-level system_account_ids with 'simple', on the code exchange and on refresh", async () => {
    const s = await setup({ tokenResponse: 'simple' })
    const tokens = await grant(s)
    expect(tokens).not.toHaveProperty('authorization_details')
    expect(tokens.system_account_ids).toContain('0018-102')
    const refreshed = await (await refresh(s, tokens.refresh_token)).json()
    expect(refreshed).not.toHaveProperty('authorization_details')
    expect(refreshed.system_account_ids).toEqual(tokens.system_account_ids)
  })

  it("does not advertise RAR with 'simple' and ignores an authorization_details parameter", async () => {
    const s = await setup({ tokenResponse: 'simple' })
    const metadata = await (await send(s.provider, `${ISSUER}/.well-known/oauth-authorization-server`)).json()
    expect(metadata).not.toHaveProperty('authorization_details_types_supported')
    const owner = s.provider.fixtures.owners[0]!
    const tokens = await grant(s, {
      scope: 'eci:basic',
      authorization_details: JSON.stringify([{ type: 'eci', system_account_ids: ['0018-102'] }]),
    })
    // Not narrowed, not refused: the parameter is unknown to a provider without RFC 9396.
    expect(tokens.system_account_ids).toEqual(owner.accounts.map((a) => a.systemAccountId))
    expect(tokens.scope).toBe('eci:basic')
  })

  it("refuses a RAR-only request (no scope) at a 'simple' provider with invalid_scope", async () => {
    const s = await setup({ tokenResponse: 'simple' })
    const { challenge } = await pkce()
    const { query } = await authorize(
      s.provider,
      authorizeParams(challenge, {
        scope: undefined,
        authorization_details: JSON.stringify([{ type: 'eci', system_account_ids: ['0018-102'], actions: ['basic'] }]),
      }),
    )
    expect(query.get('error')).toBe('invalid_scope')
  })
})
