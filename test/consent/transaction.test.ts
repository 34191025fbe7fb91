import { describe, expect, it } from 'vitest'
import {
  assertConsentTransaction,
  type ConsentTransaction,
  type CreateConsentTransactionInput,
  createConsentTransaction,
} from '../../src/consent/transaction.js'
import { EciConfigError, EciConsentError, ErrorCode } from '../../src/errors.js'
import { CLIENT_ID, caught, ISSUER, printable, REDIRECT_URI, s256 } from './helpers.js'

const NOW = 1_800_000_000

function input(overrides: Partial<CreateConsentTransactionInput> = {}): CreateConsentTransactionInput {
  return {
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    scopes: ['basic', 'invoice'],
    issRequired: true,
    now: NOW,
    ...overrides,
  }
}

describe('createConsentTransaction', () => {
  it('returns the S256 challenge of a 32-byte base64url verifier', async () => {
    const { transaction, codeChallenge } = await createConsentTransaction(input())
    expect(transaction.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(codeChallenge).toBe(await s256(transaction.codeVerifier))
  })

  it('makes a fresh state of at least 128 bits and a fresh verifier on every call', async () => {
    const a = await createConsentTransaction(input())
    const b = await createConsentTransaction(input())
    expect(a.transaction.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.transaction.state).not.toBe(b.transaction.state)
    expect(a.transaction.codeVerifier).not.toBe(b.transaction.codeVerifier)
    expect(a.transaction.state).not.toBe(a.transaction.codeVerifier)
  })

  it('records issuer, client, redirect URI, provider scope strings and a 600 s expiry', async () => {
    const { transaction } = await createConsentTransaction(input({ scopeNames: { invoice: 'utility.bills' } }))
    expect(transaction).toMatchObject({
      v: 1,
      issuer: ISSUER,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      scopes: ['eci:basic', 'utility.bills'],
      issRequired: true,
      expiresAt: NOW + 600,
    })
    expect(transaction).not.toHaveProperty('resource')
    expect(transaction).not.toHaveProperty('accounts')
  })

  it('honours ttl, resource and accounts, keeping the consent scopes as actions', async () => {
    const { transaction } = await createConsentTransaction(
      input({ ttl: 60, resource: 'https://api.utility.example/eci/v1', accounts: ['0018-102', '0018-102', '77'] }),
    )
    expect(transaction.expiresAt).toBe(NOW + 60)
    expect(transaction.resource).toBe('https://api.utility.example/eci/v1')
    expect(transaction.accounts).toEqual(['0018-102', '77'])
    expect(transaction.actions).toEqual(['basic', 'invoice'])
  })

  it('is plain JSON that survives a storage round trip', async () => {
    const { transaction } = await createConsentTransaction(input({ accounts: ['1'] }))
    const back = assertConsentTransaction(JSON.parse(JSON.stringify(transaction)), { now: NOW })
    expect(back).toEqual(transaction)
  })

  it.each<[string, Partial<CreateConsentTransactionInput>]>([
    ['an http issuer without allowInsecureRequests', { issuer: 'http://auth.utility.example' }],
    ['an issuer with a query', { issuer: 'https://auth.utility.example?x=1' }],
    ['an issuer that is no URL', { issuer: 'auth.utility.example' }],
    ['an empty clientId', { clientId: '' }],
    ['a redirect URI with a fragment', { redirectUri: 'https://acme.example/cb#x' }],
    ['a relative redirect URI', { redirectUri: '/eci/callback' }],
    ['no scopes', { scopes: [] }],
    ['an empty accounts list', { accounts: [] }],
    ['an empty account id', { accounts: [''] }],
    ['a resource that is no URL', { resource: 'api' }],
    ['a negative ttl', { ttl: -1 }],
    ['a missing issRequired', { issRequired: undefined as unknown as boolean }],
  ])('rejects %s with INVALID_OPTION', async (_name, overrides) => {
    const error = await caught(() => createConsentTransaction(input(overrides)))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_OPTION)
  })

  it('accepts an http issuer with allowInsecureRequests (local test providers)', async () => {
    const { transaction } = await createConsentTransaction(
      input({ issuer: 'http://127.0.0.1:8080', allowInsecureRequests: true }),
    )
    expect(transaction.issuer).toBe('http://127.0.0.1:8080')
  })
})

describe('assertConsentTransaction', () => {
  async function valid(): Promise<ConsentTransaction> {
    return (await createConsentTransaction(input({ resource: 'https://api.utility.example/eci/v1' }))).transaction
  }

  it('returns a copy without unknown members', async () => {
    const tx = await valid()
    const out = assertConsentTransaction({ ...tx, extra: 'x' }, { now: NOW })
    expect(out).toEqual(tx)
    expect(out).not.toBe(tx)
  })

  it.each<[string, (tx: ConsentTransaction) => unknown]>([
    ['null', () => null],
    ['a JSON string', (tx) => JSON.stringify(tx)],
    ['an array', () => []],
    ['another format version', (tx) => ({ ...tx, v: 2 })],
    ['a missing issuer', (tx) => ({ ...tx, issuer: undefined })],
    ['a short verifier', (tx) => ({ ...tx, codeVerifier: 'abc' })],
    ['a verifier with forbidden characters', (tx) => ({ ...tx, codeVerifier: `${tx.codeVerifier}+/` })],
    ['a short state', (tx) => ({ ...tx, state: 'abc' })],
    ['empty scopes', (tx) => ({ ...tx, scopes: [] })],
    ['a scope with a space', (tx) => ({ ...tx, scopes: ['a b'] })],
    ['a non-boolean issRequired', (tx) => ({ ...tx, issRequired: 'yes' })],
    ['a string expiresAt', (tx) => ({ ...tx, expiresAt: String(tx.expiresAt) })],
    ['unknown actions', (tx) => ({ ...tx, accounts: ['1'], actions: ['admin'] })],
  ])('rejects %s with TRANSACTION_INVALID', async (_name, mutate) => {
    const tx = await valid()
    const error = await caught(() => assertConsentTransaction(mutate(tx), { now: NOW }))
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
    expect(printable(error)).not.toContain(tx.codeVerifier)
  })

  it('rejects an expired transaction with TRANSACTION_INVALID', async () => {
    const tx = await valid()
    expect(assertConsentTransaction(tx, { now: tx.expiresAt - 1 })).toEqual(tx)
    const error = await caught(() => assertConsentTransaction(tx, { now: tx.expiresAt }))
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
    expect(error.message).toMatch(/expired/)
  })
})
