import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addAmounts,
  auditHistory,
  compareAmounts,
  exactAmount,
  formatAmount,
  mulAmounts,
  subAmounts,
} from '../../src/index.js'
import type { MockBillErrorKind } from '../../src/mock/index.js'
import { fixtures, history } from './support.js'

const KINDS: MockBillErrorKind[] = [
  'line-total',
  'invoice-total',
  'credit-remaining',
  'service-period',
  'due-date',
  'credit-carryover',
  'period-gap',
  'period-overlap',
  'duplicate-invoice',
  'invoice-order',
]
/** Findings a kind of wrong bill brings besides its own (docs/testing.md says why). */
const ALSO: Partial<Record<MockBillErrorKind, string[]>> = { 'service-period': ['period-gap'] }

/** The decimal text of `cents / 100` with exactly two decimals, from integers only. */
function centsText(cents: bigint): string {
  const negative = cents < 0n
  const digits = (negative ? -cents : cents).toString().padStart(3, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`
}

/** JSON spellings of the same amount of cents: `12.50`, `12.5`, `1250e-2`, `1.25E1`. */
function jsonSpellings(cents: bigint): string[] {
  const fixed = centsText(cents)
  const trimmed = fixed.replace(/0+$/, '').replace(/\.$/, '')
  const digits = (cents < 0n ? -cents : cents).toString()
  const sign = cents < 0n ? '-' : ''
  const scientific = `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}E${digits.length - 3}`
  return [fixed, trimmed, `${cents}e-2`, scientific]
}

/** Cents of `quantity × rate5 / 1e5`, half-up, from integers only (the reference). */
function referenceCents(quantity: bigint, rate5: bigint): bigint {
  const thousandths = quantity * rate5
  return thousandths / 1000n + (thousandths % 1000n >= 500n ? 1n : 0n)
}

// Up to 15 significant digits: every such JSON number is the nearest double to exactly one
// 2-decimal value, so its shortest round-trip text is that value.
const cents = fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n })
const seed = fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.string({ maxLength: 12 }))

describe('exact amounts (property)', () => {
  it('round-trip every JSON number with at most two decimals, in every spelling', () => {
    fc.assert(
      fc.property(cents, (c) => {
        for (const text of jsonSpellings(c)) {
          const value = JSON.parse(text) as number
          const exact = exactAmount(value)
          expect(compareAmounts(exact, { units: c, scale: 2 })).toBe(0)
          expect(formatAmount(exact, { decimals: 2 })).toBe(centsText(c))
          expect(JSON.parse(formatAmount(exact))).toBe(value)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('sum without drift: the sum of amounts equals the integer sum of their cents', () => {
    const list = fc.array(fc.integer({ min: -1e11, max: 1e11 }), { maxLength: 300 })
    fc.assert(
      fc.property(list, list, (plus, minus) => {
        const total = subAmounts(
          addAmounts(...plus.map((c) => exactAmount(c / 100))),
          addAmounts(...minus.map((c) => exactAmount(c / 100))),
        )
        const integer = plus.reduce((s, c) => s + BigInt(c), 0n) - minus.reduce((s, c) => s + BigInt(c), 0n)
        expect(compareAmounts(total, { units: integer, scale: 2 })).toBe(0)
      }),
      { numRuns: 300 },
    )
  })

  it('multiply quantity × rate to the cent exactly as integer arithmetic does (half-up)', () => {
    const quantity = fc.integer({ min: 0, max: 1_000_000 })
    const rate5 = fc.integer({ min: 0, max: 10_000_000 }) // up to $100.00000 per unit
    fc.assert(
      fc.property(quantity, rate5, (q, r) => {
        const product = mulAmounts(exactAmount(q), exactAmount(r / 1e5))
        expect(compareAmounts(product, { units: referenceCents(BigInt(q), BigInt(r)), scale: 2 })).toBe(0)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('the audit of mock fixtures (property)', () => {
  it('is clean for every account of any default fixture', () => {
    const options = fc.record({
      seed,
      owners: fc.integer({ min: 1, max: 4 }),
      asOf: fc.date({ min: new Date('2015-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }),
    })
    fc.assert(
      fc.property(options, ({ seed, owners, asOf }) => {
        const data = fixtures({ seed, owners, asOf: asOf.toISOString().slice(0, 10) })
        for (const account of data.accounts()) expect(auditHistory(history(account))).toEqual([])
      }),
      { numRuns: 40 },
    )
  })

  it('names every injected wrong bill, at its invoice, and reports nothing it does not explain', () => {
    const options = fc.record({ seed, kinds: fc.subarray(KINDS, { minLength: 1 }) })
    fc.assert(
      fc.property(options, ({ seed, kinds }) => {
        const data = fixtures({ seed, owners: 2, billErrors: kinds })
        for (const kind of kinds.filter((k) => k !== 'credit-carryover')) {
          // Every account has the history these kinds need; credit-carryover needs carried credit.
          expect(data.billErrors.filter((e) => e.kind === kind)).toHaveLength(data.accounts().length)
        }
        for (const account of data.accounts()) {
          const findings = auditHistory(history(account))
          for (const injected of data.billErrors.filter((e) => e.systemAccountId === account.systemAccountId)) {
            expect(findings).toContainEqual(
              expect.objectContaining({
                check: injected.kind,
                systemInvoiceId: injected.systemInvoiceId,
                path: [injected.index, expect.any(String)],
              }),
            )
          }
          const explained = new Set(kinds.flatMap((k) => [k, ...(ALSO[k] ?? [])]))
          for (const f of findings) expect(explained).toContain(f.check)
        }
      }),
      { numRuns: 40 },
    )
  })

  it('names a wrong bill injected at any invoice position the kind can apply to', () => {
    const options = fc.record({
      seed,
      kind: fc.constantFrom(...KINDS),
      invoice: fc.integer({ min: -40, max: 40 }),
    })
    fc.assert(
      fc.property(options, ({ seed, kind, invoice }) => {
        const data = fixtures({ seed, owners: 1, billErrors: [{ kind, invoice }] })
        for (const injected of data.billErrors) {
          const account = data.account(injected.systemAccountId)!
          expect(auditHistory(history(account))).toContainEqual(
            expect.objectContaining({
              check: kind,
              systemInvoiceId: injected.systemInvoiceId,
              path: [injected.index, expect.any(String)],
            }),
          )
        }
      }),
      { numRuns: 150 },
    )
  })
})
