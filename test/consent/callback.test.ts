import { describe, expect, it } from 'vitest'
import { checkConsentCallback } from '../../src/consent/callback.js'
import { type ConsentTransaction, createConsentTransaction } from '../../src/consent/transaction.js'
import { EciConfigError, EciConsentError, ErrorCode } from '../../src/errors.js'
import { CLIENT_ID, caught, ISSUER, printable, REDIRECT_URI } from './helpers.js'

const CODE = 'SplxlOBeZQQYbYS6WxSbIA-authorization-code'

async function transaction(issRequired = true): Promise<ConsentTransaction> {
  const { transaction } = await createConsentTransaction({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    scopes: ['basic'],
    issRequired,
  })
  return transaction
}

function callback(params: Record<string, string | string[]>, base = REDIRECT_URI): string {
  const url = new URL(base)
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, v)
  }
  return url.href
}

async function consentError(tx: ConsentTransaction, url: string, now?: number): Promise<EciConsentError> {
  const error = await caught(() => checkConsentCallback(url, tx, now === undefined ? {} : { now }))
  expect(error).toBeInstanceOf(EciConsentError)
  // Nothing secret in any printable form of the error.
  expect(printable(error)).not.toContain(tx.codeVerifier)
  expect(printable(error)).not.toContain(CODE)
  return error as EciConsentError
}

describe('checkConsentCallback', () => {
  it('returns the code of a response with the right state and iss', async () => {
    const tx = await transaction()
    expect(checkConsentCallback(callback({ code: CODE, state: tx.state, iss: ISSUER }), tx)).toEqual({ code: CODE })
  })

  it('accepts a URL object and a redirect URI with its own query', async () => {
    const { transaction: tx } = await createConsentTransaction({
      issuer: ISSUER,
      clientId: CLIENT_ID,
      redirectUri: `${REDIRECT_URI}?app=1`,
      scopes: ['basic'],
      issRequired: true,
    })
    const url = new URL(callback({ code: CODE, state: tx.state, iss: ISSUER }, tx.redirectUri))
    expect(checkConsentCallback(url, tx).code).toBe(CODE)
  })

  it('accepts a missing iss when the provider does not advertise RFC 9207', async () => {
    const tx = await transaction(false)
    expect(checkConsentCallback(callback({ code: CODE, state: tx.state }), tx).code).toBe(CODE)
  })

  it('rejects a forged state with STATE_MISMATCH', async () => {
    const tx = await transaction()
    const error = await consentError(tx, callback({ code: CODE, state: 'attacker-state-0000000000000', iss: ISSUER }))
    expect(error.code).toBe(ErrorCode.STATE_MISMATCH)
  })

  it('rejects a response without state with STATE_MISMATCH', async () => {
    const tx = await transaction()
    expect((await consentError(tx, callback({ code: CODE, iss: ISSUER }))).code).toBe(ErrorCode.STATE_MISMATCH)
  })

  it('rejects a response from another issuer with ISSUER_MISMATCH (mix-up)', async () => {
    const tx = await transaction()
    const error = await consentError(tx, callback({ code: CODE, state: tx.state, iss: 'https://evil.example' }))
    expect(error.code).toBe(ErrorCode.ISSUER_MISMATCH)
  })

  it('rejects a missing iss with ISSUER_MISMATCH when the provider advertises it', async () => {
    const tx = await transaction(true)
    expect((await consentError(tx, callback({ code: CODE, state: tx.state }))).code).toBe(ErrorCode.ISSUER_MISMATCH)
  })

  it('compares iss exactly (a trailing slash is another issuer)', async () => {
    const tx = await transaction(false)
    const error = await consentError(tx, callback({ code: CODE, state: tx.state, iss: `${ISSUER}/` }))
    expect(error.code).toBe(ErrorCode.ISSUER_MISMATCH)
  })

  it('checks iss before trusting an error response', async () => {
    const tx = await transaction()
    const error = await consentError(
      tx,
      callback({ error: 'access_denied', state: tx.state, iss: 'https://evil.example' }),
    )
    expect(error.code).toBe(ErrorCode.ISSUER_MISMATCH)
  })

  it('turns access_denied into ACCESS_DENIED with the provider fields', async () => {
    const tx = await transaction()
    const error = await consentError(
      tx,
      callback({ error: 'access_denied', error_description: 'The user said no', state: tx.state, iss: ISSUER }),
    )
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED)
    expect(error.error).toBe('access_denied')
    expect(error.errorDescription).toBe('The user said no')
  })

  it('turns another provider error into AUTHORIZATION_ERROR with error and errorDescription', async () => {
    const tx = await transaction()
    const error = await consentError(
      tx,
      callback({ error: 'invalid_scope', error_description: 'eci:invoice unknown', state: tx.state, iss: ISSUER }),
    )
    expect(error.code).toBe(ErrorCode.AUTHORIZATION_ERROR)
    expect(error.error).toBe('invalid_scope')
    expect(error.errorDescription).toBe('eci:invoice unknown')
    expect(error.message).toContain('invalid_scope')
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      code: ErrorCode.AUTHORIZATION_ERROR,
      error: 'invalid_scope',
    })
  })

  it('keeps an odd error value out of the message and caps the description', async () => {
    const tx = await transaction()
    const error = await consentError(
      tx,
      callback({ error: 'bad"\nvalue', error_description: 'x'.repeat(5000), state: tx.state, iss: ISSUER }),
    )
    expect(error.code).toBe(ErrorCode.AUTHORIZATION_ERROR)
    expect(error.message).not.toContain('bad"')
    expect(error.errorDescription!.length).toBeLessThanOrEqual(500)
  })

  it('rejects a response without code or error with AUTHORIZATION_ERROR', async () => {
    const tx = await transaction()
    expect((await consentError(tx, callback({ state: tx.state, iss: ISSUER }))).code).toBe(
      ErrorCode.AUTHORIZATION_ERROR,
    )
    expect((await consentError(tx, callback({ code: '', state: tx.state, iss: ISSUER }))).code).toBe(
      ErrorCode.AUTHORIZATION_ERROR,
    )
  })

  it('rejects a repeated code or state parameter', async () => {
    const tx = await transaction()
    const twoCodes = await consentError(tx, callback({ code: [CODE, 'other'], state: tx.state, iss: ISSUER }))
    expect(twoCodes.code).toBe(ErrorCode.AUTHORIZATION_ERROR)
    const twoStates = await consentError(tx, callback({ code: CODE, state: [tx.state, tx.state], iss: ISSUER }))
    expect(twoStates.code).toBe(ErrorCode.AUTHORIZATION_ERROR)
  })

  it('rejects an expired transaction with TRANSACTION_INVALID', async () => {
    const tx = await transaction()
    const error = await consentError(tx, callback({ code: CODE, state: tx.state, iss: ISSUER }), tx.expiresAt + 1)
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('rejects a callback that did not arrive at the redirect URI with INVALID_OPTION', async () => {
    const tx = await transaction()
    for (const base of [
      'https://acme.example/other',
      'https://evil.example/eci/callback',
      'http://acme.example/eci/callback',
    ]) {
      const error = await caught(() =>
        checkConsentCallback(callback({ code: CODE, state: tx.state, iss: ISSUER }, base), tx),
      )
      expect(error).toBeInstanceOf(EciConfigError)
      expect(error.code).toBe(ErrorCode.INVALID_OPTION)
      expect(printable(error)).not.toContain(CODE)
    }
  })

  it('rejects a callback that is not a URL with INVALID_OPTION', async () => {
    const tx = await transaction()
    for (const bad of ['', '?code=x', 42 as unknown as string]) {
      const error = await caught(() => checkConsentCallback(bad, tx))
      expect(error).toBeInstanceOf(EciConfigError)
      expect(error.code).toBe(ErrorCode.INVALID_OPTION)
    }
  })
})
