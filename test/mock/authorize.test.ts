import { describe, expect, it } from 'vitest'
import {
  authorize,
  authorizeParams,
  CLIENT_ID,
  clientAssertion,
  grant,
  ISSUER,
  makeKey,
  PUBLIC_CLIENT_ID,
  pkce,
  postForm,
  REDIRECT,
  RESOURCE,
  STATE,
  send,
  setup,
} from './helpers.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

describe('mock provider /authorize', () => {
  it('redirects with code, state and iss (RFC 9207)', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { response, query } = await authorize(provider, authorizeParams(challenge))
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')!.startsWith(`${REDIRECT}?`)).toBe(true)
    expect(query.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(query.get('state')).toBe(STATE)
    expect(query.get('iss')).toBe(ISSUER)
    expect(provider.calls).toEqual([
      { endpoint: 'authorize', at: expect.any(Number), method: 'GET', status: 302, client: CLIENT_ID },
    ])
  })

  it('answers an unknown client_id with a 400 page, never a redirect', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { response } = await authorize(provider, authorizeParams(challenge, { client_id: 'mallory' }))
    expect(response.status).toBe(400)
    expect(response.headers.get('Location')).toBeNull()
    expect(response.headers.get('Content-Type')).toContain('text/html')
  })

  it.each([
    ['an unregistered redirect_uri', 'https://evil.example/cb'],
    ['a redirect_uri that only starts like a registered one', `${REDIRECT}/extra`],
    ['a missing redirect_uri', undefined],
  ])('answers %s with a 400 page, never a redirect', async (_name, redirectUri) => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { response } = await authorize(provider, authorizeParams(challenge, { redirect_uri: redirectUri }))
    expect(response.status).toBe(400)
    expect(response.headers.get('Location')).toBeNull()
    expect(await response.text()).toContain('redirect_uri')
  })

  it.each([
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['a missing code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a missing code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['an unknown scope', { scope: 'eci:basic eci:everything' }, 'invalid_scope'],
    ['a foreign resource', { resource: 'https://other.example/api' }, 'invalid_target'],
    ['broken authorization_details', { authorization_details: '[{' }, 'invalid_authorization_details'],
    [
      'an unknown authorization_details type',
      { authorization_details: '[{"type":"payment"}]' },
      'invalid_authorization_details',
    ],
  ])('redirects %s back as an error with state and iss', async (_name, extra, error) => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { response, query } = await authorize(provider, authorizeParams(challenge, extra))
    expect(response.status).toBe(302)
    expect(query.get('error')).toBe(error)
    expect(query.get('code')).toBeNull()
    expect(query.get('state')).toBe(STATE)
    expect(query.get('iss')).toBe(ISSUER)
  })

  it('refuses a request without state with invalid_request, redirected without a state to echo', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { response, query } = await authorize(provider, authorizeParams(challenge, { state: undefined }))
    expect(response.status).toBe(302)
    expect(query.get('error')).toBe('invalid_request')
    expect(query.get('error_description')).toMatch(/state/)
    expect(query.get('code')).toBeNull()
    expect(query.has('state')).toBe(false)
    expect(query.get('iss')).toBe(ISSUER)
  })

  it('refuses a state under 128 bits (21 characters) with invalid_request and no code', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const short = STATE.slice(0, 21)
    const { query } = await authorize(provider, authorizeParams(challenge, { state: short }))
    expect(query.get('error')).toBe('invalid_request')
    expect(query.get('error_description')).toMatch(/state.*128 bits/)
    expect(query.get('code')).toBeNull()
    // RFC 6749 §4.1.2.1: a state that was sent is echoed, even in an error.
    expect(query.get('state')).toBe(short)
  })

  it('accepts a state of exactly 22 characters', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { query } = await authorize(provider, authorizeParams(challenge, { state: STATE.slice(0, 22) }))
    expect(query.get('code')).toBeTruthy()
  })

  it('refuses a request without resource with invalid_request and no code', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { query } = await authorize(provider, authorizeParams(challenge, { resource: undefined }))
    expect(query.get('error')).toBe('invalid_request')
    expect(query.get('error_description')).toMatch(/resource/)
    expect(query.get('code')).toBeNull()
    expect(query.get('state')).toBe(STATE)
  })

  it.each([
    ['no scope', { scope: undefined }],
    ['an empty scope', { scope: '' }],
    ['only offline_access', { scope: 'offline_access' }],
  ])(
    'refuses %s (and no authorization_details) with invalid_scope instead of granting every scope',
    async (_name, extra) => {
      const { provider } = await setup()
      const { challenge } = await pkce()
      const { query } = await authorize(provider, authorizeParams(challenge, extra))
      expect(query.get('error')).toBe('invalid_scope')
      expect(query.get('code')).toBeNull()
      expect(query.get('state')).toBe(STATE)
    },
  )

  it('accepts offline_access next to an ECIS scope and grants only that scope', async () => {
    const s = await setup()
    const tokens = await grant(s, { scope: 'offline_access eci:invoice' })
    expect(tokens.scope).toBe('eci:invoice')
  })

  it.each([
    ['without system_account_ids', [{ type: 'eci', actions: ['basic'] }]],
    ['with empty system_account_ids', [{ type: 'eci', actions: ['basic'], system_account_ids: [] }]],
    ['without actions', [{ type: 'eci', system_account_ids: ['0018-102'] }]],
    ['with empty actions', [{ type: 'eci', system_account_ids: ['0018-102'], actions: [] }]],
    ['with an unknown action', [{ type: 'eci', system_account_ids: ['0018-102'], actions: ['usage'] }]],
    [
      'with locations that lack the eci_resource',
      [{ type: 'eci', system_account_ids: ['0018-102'], actions: ['basic'], locations: ['https://x.example'] }],
    ],
    ['as an empty array', []],
    [
      'with two objects',
      [
        { type: 'eci', system_account_ids: ['0018-102'], actions: ['basic'] },
        { type: 'eci', system_account_ids: ['0018-102'], actions: ['invoice'] },
      ],
    ],
  ])('refuses authorization_details of type eci %s with invalid_authorization_details', async (_name, details) => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const { query } = await authorize(
      provider,
      authorizeParams(challenge, { scope: undefined, authorization_details: JSON.stringify(details) }),
    )
    expect(query.get('error')).toBe('invalid_authorization_details')
    expect(query.get('code')).toBeNull()
    expect(query.get('state')).toBe(STATE)
  })

  it('accepts authorization_details whose locations contain the eci_resource', async () => {
    const s = await setup()
    const tokens = await grant(s, {
      authorization_details: JSON.stringify([
        { type: 'eci', system_account_ids: ['0018-102'], actions: ['basic'], locations: [RESOURCE] },
      ]),
    })
    expect(tokens.system_account_ids).toEqual(['0018-102'])
  })

  it('grants the first owner all their accounts and every scope by default', async () => {
    const s = await setup()
    const tokens = await grant(s)
    const owner = s.provider.fixtures.owners[0]!
    const ids = owner.accounts.map((a) => a.systemAccountId)
    expect(tokens.system_account_ids).toEqual(ids)
    expect(tokens.authorization_details).toEqual([
      { type: 'eci', system_account_ids: ids, actions: ['basic', 'invoice', 'invoice_detail'] },
    ])
    expect(tokens.scope).toBe('eci:basic eci:invoice eci:invoice_detail')
    expect(s.provider.grants()).toEqual([
      {
        clientId: CLIENT_ID,
        ownerId: owner.ownerId,
        accounts: ids,
        scopes: tokens.scope.split(' '),
        revoked: false,
        dpopJkt: undefined,
      },
    ])
  })

  it('narrows the accounts and adds the actions named in authorization_details (RAR)', async () => {
    const s = await setup()
    const tokens = await grant(s, {
      scope: undefined,
      authorization_details: JSON.stringify([
        { type: 'eci', system_account_ids: ['0018-102', 'not-mine'], actions: ['basic'] },
      ]),
    })
    expect(tokens.system_account_ids).toEqual(['0018-102'])
    expect(tokens.scope).toBe('eci:basic')
    expect(tokens.authorization_details[0]!.actions).toEqual(['basic'])
  })

  it('grants the chosen owner and accounts of a { owner, accounts } policy', async () => {
    const probe = await setup()
    const owner = probe.provider.fixtures.owners[1]!
    const chosen = owner.accounts[0]!.systemAccountId
    const s = await setup({ consent: { owner: owner.ownerId, accounts: [chosen] } })
    expect((await grant(s)).system_account_ids).toEqual([chosen])
  })

  it("redirects access_denied when the policy is 'deny'", async () => {
    const { provider } = await setup({ consent: 'deny' })
    const { challenge } = await pkce()
    const { query } = await authorize(provider, authorizeParams(challenge))
    expect(query.get('error')).toBe('access_denied')
    expect(query.get('state')).toBe(STATE)
    expect(query.get('iss')).toBe(ISSUER)
  })

  it('asks a consent callback with the request and follows its answer', async () => {
    const seen: unknown[] = []
    const s = await setup({
      consent: (request) => {
        seen.push({ clientId: request.clientId, scopes: request.scopes, requested: request.requestedAccounts })
        return { owner: request.owners[2]!.ownerId }
      },
    })
    const tokens = await grant(s, { scope: 'eci:basic' })
    expect(seen).toEqual([{ clientId: CLIENT_ID, scopes: ['eci:basic'], requested: undefined }])
    expect(tokens.system_account_ids).toEqual(s.provider.fixtures.owners[2]!.accounts.map((a) => a.systemAccountId))
  })

  it('denies when a consent callback answers deny', async () => {
    const { provider } = await setup({ consent: async () => 'deny' as const })
    const { challenge } = await pkce()
    expect((await authorize(provider, authorizeParams(challenge))).query.get('error')).toBe('access_denied')
  })

  it('denies when no requested account belongs to the owner', async () => {
    const { provider } = await setup()
    const { challenge } = await pkce()
    const details = JSON.stringify([{ type: 'eci', system_account_ids: ['9999-999'], actions: ['basic'] }])
    const { query } = await authorize(provider, authorizeParams(challenge, { authorization_details: details }))
    expect(query.get('error')).toBe('access_denied')
  })

  it("serves an HTML consent page for 'interactive' and completes with the checked accounts", async () => {
    const { provider } = await setup({ consent: 'interactive' })
    const { challenge } = await pkce()
    const page = await send(provider, `${ISSUER}/authorize?${new URLSearchParams(authorizeParams(challenge))}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('Content-Type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain('value="approve"')
    expect(html).toContain('value="deny"')
    expect(html).toContain('name="account" value="0018-102"')
    const txn = /name="txn" value="([^"]+)"/.exec(html)![1]!
    const approved = await postForm(provider, `${ISSUER}/authorize`, { txn, decision: 'approve', account: '0018-102' })
    expect(approved.status).toBe(302)
    const query = new URL(approved.headers.get('Location')!).searchParams
    expect(query.get('code')).toBeTruthy()
    expect(query.get('state')).toBe(STATE)
    // The page is one use.
    const again = await postForm(provider, `${ISSUER}/authorize`, { txn, decision: 'approve' })
    expect(again.status).toBe(400)
  })

  it("redirects access_denied when the interactive page's Deny is pressed", async () => {
    const { provider } = await setup({ consent: 'interactive' })
    const { challenge } = await pkce()
    const html = await (
      await send(provider, `${ISSUER}/authorize?${new URLSearchParams(authorizeParams(challenge))}`)
    ).text()
    const txn = /name="txn" value="([^"]+)"/.exec(html)![1]!
    const denied = await postForm(provider, `${ISSUER}/authorize`, { txn, decision: 'deny' })
    expect(new URL(denied.headers.get('Location')!).searchParams.get('error')).toBe('access_denied')
  })
})

describe('mock provider /par', () => {
  async function push(s: Awaited<ReturnType<typeof setup>>, extra: Record<string, string | undefined> = {}) {
    const { challenge, verifier } = await pkce()
    const params = Object.fromEntries(
      Object.entries({ ...authorizeParams(challenge), ...extra }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>
    const res = await postForm(s.provider, `${ISSUER}/par`, {
      ...params,
      client_assertion_type: JWT_BEARER,
      client_assertion: await clientAssertion(s.key),
    })
    return { res, verifier }
  }

  it('returns a request_uri that /authorize accepts once', async () => {
    const s = await setup({ requirePushedAuthorizationRequests: true })
    const { res } = await push(s)
    expect(res.status).toBe(201)
    const body = await res.json()
    expect(body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(body.expires_in).toBe(60)
    const url = `${ISSUER}/authorize?client_id=${CLIENT_ID}&request_uri=${encodeURIComponent(body.request_uri)}`
    const first = await send(s.provider, url)
    expect(new URL(first.headers.get('Location')!).searchParams.get('code')).toBeTruthy()
    const second = await send(s.provider, url)
    expect(second.status).toBe(400)
    expect(s.provider.calls.map((c) => [c.endpoint, c.status, c.client])).toEqual([
      ['par', 201, CLIENT_ID],
      ['authorize', 302, CLIENT_ID],
      ['authorize', 400, CLIENT_ID],
    ])
  })

  it('refuses a request_uri presented with another client_id', async () => {
    const s = await setup()
    const { res } = await push(s)
    const { request_uri } = await res.json()
    const wrong = await send(
      s.provider,
      `${ISSUER}/authorize?client_id=${PUBLIC_CLIENT_ID}&request_uri=${encodeURIComponent(request_uri)}`,
    )
    expect(wrong.status).toBe(400)
  })

  it('refuses bad parameters at push time with a JSON error', async () => {
    const s = await setup()
    const { res } = await push(s, { code_challenge_method: 'plain' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) })
    const { res: res2 } = await push(s, { redirect_uri: 'https://evil.example/cb' })
    expect(res2.status).toBe(400)
  })

  it.each([
    ['without state', { state: undefined }, 'invalid_request'],
    ['with a short state', { state: 'abc' }, 'invalid_request'],
    ['without resource', { resource: undefined }, 'invalid_request'],
    ['without scope', { scope: undefined }, 'invalid_scope'],
    [
      'with authorization_details lacking actions',
      { authorization_details: JSON.stringify([{ type: 'eci', system_account_ids: ['0018-102'] }]) },
      'invalid_authorization_details',
    ],
  ])('refuses a push %s with a 400 JSON error', async (_name, extra, error) => {
    const s = await setup()
    const { res } = await push(s, extra)
    expect(res.status).toBe(400)
    expect((await res.json()).error).toBe(error)
  })

  it('refuses an unauthenticated push with 401 invalid_client', async () => {
    const s = await setup()
    const { challenge } = await pkce()
    const res = await postForm(s.provider, `${ISSUER}/par`, authorizeParams(challenge) as Record<string, string>)
    expect(res.status).toBe(401)
    expect((await res.json()).error).toBe('invalid_client')
  })

  it('redirects invalid_request when PAR is required and the request was not pushed', async () => {
    const { provider } = await setup({ requirePushedAuthorizationRequests: true })
    const { challenge } = await pkce()
    const { query } = await authorize(provider, authorizeParams(challenge))
    expect(query.get('error')).toBe('invalid_request')
    expect(query.get('iss')).toBe(ISSUER)
  })

  it('accepts a resource parameter equal to eci_resource only', async () => {
    const s = await setup()
    expect((await push(s, { resource: RESOURCE })).res.status).toBe(201)
    expect((await push(s, { resource: `${RESOURCE}/other` })).res.status).toBe(400)
  })
})

describe('mock provider /authorize: loopback redirect URIs (RFC 8252 §7.3)', () => {
  const LOOPBACK = 'http://127.0.0.1/callback'

  it('redirects to a registered loopback IP redirect URI on the port the request names', async () => {
    const key = await makeKey()
    const { provider } = await setup(
      { clients: [{ clientId: CLIENT_ID, redirectUris: [LOOPBACK], jwks: { keys: [key.publicJwk] } }] },
      key,
    )
    const { challenge } = await pkce()
    const requested = 'http://127.0.0.1:53117/callback'
    const { response } = await authorize(provider, authorizeParams(challenge, { redirect_uri: requested }))
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')?.startsWith(`${requested}?`)).toBe(true)
  })

  it.each([
    ['http://127.0.0.1:53117/callback', true],
    ['http://127.0.0.1/callback', true],
    ['http://127.0.0.1:53117/other', false],
    ['http://localhost:53117/callback', false],
    ['https://127.0.0.1:53117/callback', false],
    ['http://127.0.0.1:53117/callback?x=1', false],
  ])('matches %s against a registered http://127.0.0.1/callback: %s', async (requested, ok) => {
    const { redirectUriMatches } = await import('../../src/mock/authorization-request.js')
    expect(redirectUriMatches(LOOPBACK, requested)).toBe(ok)
  })
})
