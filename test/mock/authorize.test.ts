import { describe, expect, it } from 'vitest'
import {
  authorize,
  authorizeParams,
  CLIENT_ID,
  clientAssertion,
  grant,
  ISSUER,
  PUBLIC_CLIENT_ID,
  pkce,
  postForm,
  REDIRECT,
  RESOURCE,
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
    expect(query.get('state')).toBe('st-123')
    expect(query.get('iss')).toBe(ISSUER)
    expect(provider.calls).toEqual([{ endpoint: 'authorize', method: 'GET', status: 302, client: CLIENT_ID }])
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
    expect(query.get('state')).toBe('st-123')
    expect(query.get('iss')).toBe(ISSUER)
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
    expect(query.get('state')).toBe('st-123')
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
    const details = JSON.stringify([{ type: 'eci', system_account_ids: ['9999-999'] }])
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
    expect(query.get('state')).toBe('st-123')
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
