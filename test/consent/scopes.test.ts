import { describe, expect, it } from 'vitest'
import { type ConsentScope, DEFAULT_SCOPE_NAMES, toProviderScopes } from '../../src/consent/scopes.js'
import { EciConfigError, ErrorCode } from '../../src/errors.js'

describe('toProviderScopes', () => {
  it('maps consent scopes to the ECIS scope strings in the order given', () => {
    expect(toProviderScopes(['invoice_detail', 'basic', 'invoice'])).toEqual([
      'eci:invoice_detail',
      'eci:basic',
      'eci:invoice',
    ])
    expect(DEFAULT_SCOPE_NAMES).toEqual({
      basic: 'eci:basic',
      invoice: 'eci:invoice',
      invoice_detail: 'eci:invoice_detail',
    })
  })

  it('drops duplicates', () => {
    expect(toProviderScopes(['basic', 'basic', 'invoice'])).toEqual(['eci:basic', 'eci:invoice'])
  })

  it('uses per-provider names where given and the defaults elsewhere', () => {
    expect(toProviderScopes(['basic', 'invoice'], { basic: 'utility.accounts' })).toEqual([
      'utility.accounts',
      'eci:invoice',
    ])
  })

  it.each([
    ['an empty list', []],
    ['an unknown scope', ['basic', 'admin']],
    ['a non-array', 'basic'],
  ])('rejects %s with INVALID_OPTION', (_name, scopes) => {
    const call = () => toProviderScopes(scopes as ConsentScope[])
    expect(call).toThrow(EciConfigError)
    expect(call).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
  })

  it.each([
    ['a name with a space', { basic: 'eci basic' }],
    ['an empty name', { basic: '' }],
    ['an unknown key', { billing: 'x' }],
    ['a non-string name', { basic: 7 }],
  ])('rejects scopeNames with %s', (_name, names) => {
    expect(() => toProviderScopes(['basic'], names as Record<string, string>)).toThrow(
      expect.objectContaining({ name: 'EciConfigError', code: ErrorCode.INVALID_OPTION }),
    )
  })
})
