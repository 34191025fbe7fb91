import { describe, expect, it } from 'vitest'
import { closest, didYouMean, editDistance } from '../../src/cli/suggest.js'

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
    expect(editDistance('invoices', 'invoices')).toBe(0)
    expect(editDistance('invoces', 'invoices')).toBe(1)
    expect(editDistance('atuo', 'auto')).toBe(1)
    expect(editDistance('basik', 'basic')).toBe(1)
    expect(editDistance('', 'mock')).toBe(4)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  it('suggests only what is close, or the one candidate the input begins', () => {
    const commands = ['demo', 'mock', 'consent', 'accounts', 'basic', 'invoice', 'invoice-detail', 'invoices', 'check']
    expect(closest('acounts', commands)).toBe('accounts')
    expect(closest('invoice-detial', commands)).toBe('invoice-detail')
    expect(closest('xyz', commands)).toBeUndefined()
    expect(closest('cons', commands)).toBe('consent')
    expect(closest('inv', commands)).toBeUndefined() // begins three of them
    expect(didYouMean('--gran-file', ['--grant-file', '--key'], (s) => s)).toBe(' (did you mean --grant-file?)')
    expect(didYouMean('--zzz', ['--grant-file'])).toBe('')
  })
})
