import { describe, expect, it } from 'vitest'
import { authorizationParams, buildAuthorizationUrl } from '../../src/consent/authorization-url.js'
import { type ConsentTransaction, createConsentTransaction } from '../../src/consent/transaction.js'
import { EciConfigError, ErrorCode } from '../../src/errors.js'
import { AUTHORIZE, CLIENT_ID, ECI_RESOURCE, ISSUER, REDIRECT_URI } from './helpers.js'

async function make(extra: Partial<Parameters<typeof createConsentTransaction>[0]> = {}) {
  return createConsentTransaction({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    scopes: ['basic', 'invoice_detail'],
    issRequired: true,
    ...extra,
  })
}

describe('authorizationParams', () => {
  it('carries the code flow, PKCE S256, state, client and redirect URI', async () => {
    const { transaction, codeChallenge } = await make()
    const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: false })
    expect(Object.fromEntries(params)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'eci:basic eci:invoice_detail',
      state: transaction.state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    })
  })

  it('adds resource when the transaction has one', async () => {
    const { transaction, codeChallenge } = await make({ resource: ECI_RESOURCE })
    expect(authorizationParams(transaction, codeChallenge, { authorizationDetails: false }).get('resource')).toBe(
      ECI_RESOURCE,
    )
  })

  it('adds eci authorization_details with accounts and consent-scope actions when asked to', async () => {
    const { transaction, codeChallenge } = await make({ accounts: ['0018-102', '0018-103'] })
    const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: true })
    expect(JSON.parse(params.get('authorization_details')!)).toEqual([
      { type: 'eci', system_account_ids: ['0018-102', '0018-103'], actions: ['basic', 'invoice_detail'] },
    ])
  })

  it('keeps the consent-scope actions when the provider renames its scopes', async () => {
    const { transaction, codeChallenge } = await make({ accounts: ['1'], scopeNames: { basic: 'u.basic' } })
    const params = authorizationParams(transaction, codeChallenge, { authorizationDetails: true })
    expect(JSON.parse(params.get('authorization_details')!)[0].actions).toEqual(['basic', 'invoice_detail'])
  })

  it('omits authorization_details when the provider does not support them or no accounts are named', async () => {
    const withAccounts = await make({ accounts: ['1'] })
    expect(
      authorizationParams(withAccounts.transaction, withAccounts.codeChallenge, { authorizationDetails: false }).has(
        'authorization_details',
      ),
    ).toBe(false)
    const without = await make()
    expect(
      authorizationParams(without.transaction, without.codeChallenge, { authorizationDetails: true }).has(
        'authorization_details',
      ),
    ).toBe(false)
  })

  it('derives default actions for a transaction made without recorded actions', async () => {
    const { transaction, codeChallenge } = await make({ accounts: ['1'] })
    const { actions: _dropped, ...older } = transaction
    const params = authorizationParams(older as ConsentTransaction, codeChallenge, { authorizationDetails: true })
    expect(JSON.parse(params.get('authorization_details')!)[0].actions).toEqual(['basic', 'invoice_detail'])
  })

  it('rejects a code challenge that is not an S256 value', async () => {
    const { transaction } = await make()
    expect(() => authorizationParams(transaction, 'plain-verifier', { authorizationDetails: false })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })
})

describe('buildAuthorizationUrl', () => {
  const params = new URLSearchParams({ response_type: 'code', scope: 'eci:basic eci:invoice', state: 's' })

  it('appends the parameters to the authorization endpoint', () => {
    const url = new URL(buildAuthorizationUrl(AUTHORIZE, params))
    expect(`${url.origin}${url.pathname}`).toBe(AUTHORIZE)
    expect(url.searchParams.get('scope')).toBe('eci:basic eci:invoice')
    expect(url.searchParams.get('state')).toBe('s')
  })

  it("keeps the endpoint's own query and lets the request's parameters win over same-named ones", () => {
    const url = new URL(buildAuthorizationUrl(`${AUTHORIZE}?tenant=acme&state=stale`, params))
    expect(url.searchParams.get('tenant')).toBe('acme')
    expect(url.searchParams.getAll('state')).toEqual(['s'])
  })

  it.each(['not a url', 'ftp://auth.utility.example/authorize', `${AUTHORIZE}#frag`])(
    'rejects the endpoint %s with INVALID_OPTION',
    (endpoint) => {
      expect(() => buildAuthorizationUrl(endpoint, params)).toThrow(EciConfigError)
      expect(() => buildAuthorizationUrl(endpoint, params)).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      )
    },
  )
})
