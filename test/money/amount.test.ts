import { describe, expect, it } from 'vitest'
import {
  absAmount,
  addAmounts,
  compareAmounts,
  EciConfigError,
  type ExactAmount,
  exactAmount,
  exactAmounts,
  formatAmount,
  type InvoiceDetail,
  mulAmounts,
  type RoundingMode,
  roundAmount,
  subAmounts,
} from '../../src/index.js'
import { fixtures } from './support.js'

const a = (units: bigint, scale: number): ExactAmount => ({ units, scale })

describe('exactAmount', () => {
  it.each([
    [0.1, a(1n, 1)],
    [12.34, a(1234n, 2)],
    [-0.07, a(-7n, 2)],
    [100, a(100n, 0)],
    [0.12345, a(12345n, 5)],
    [1e-7, a(1n, 7)],
    [1.5e-7, a(15n, 8)],
    [-2.5e-10, a(-25n, 11)],
    [1e21, a(10n ** 21n, 0)],
    [1.5e21, a(15n * 10n ** 20n, 0)],
    [-0, a(0n, 0)],
  ])('reads the number %s from its shortest round-trip text', (value, expected) => {
    expect(exactAmount(value)).toEqual(expected)
  })

  it.each([
    ['12.30', a(1230n, 2)],
    ['-0.5', a(-5n, 1)],
    ['+3', a(3n, 0)],
    ['.5', a(5n, 1)],
    ['5.', a(5n, 0)],
    ['1e-7', a(1n, 7)],
    ['1.25E+2', a(125n, 0)],
    ['1.250e1', a(1250n, 2)],
  ])('reads the decimal string %s exactly, keeping its scale', (text, expected) => {
    expect(exactAmount(text)).toEqual(expected)
  })

  it('is not fooled by the float: 0.1 + 0.2 as exact amounts is 0.3', () => {
    expect(0.1 + 0.2).not.toBe(0.3)
    expect(compareAmounts(addAmounts(exactAmount(0.1), exactAmount(0.2)), exactAmount(0.3))).toBe(0)
  })

  it.each([
    [Number.NaN, 'the amount must be a finite number'],
    [Number.POSITIVE_INFINITY, 'the amount must be a finite number'],
    ['', 'the amount is not a decimal number'],
    ['.', 'the amount is not a decimal number'],
    ['12,34', 'the amount is not a decimal number'],
    ['0x10', 'the amount is not a decimal number'],
    ['1e999999999', 'the amount is not a decimal number'],
    ['9'.repeat(401), 'the amount is not a decimal number'],
    [null, 'the amount must be a number, a decimal string or an ExactAmount'],
    [{ units: 1, scale: 2 }, 'the amount must be a number, a decimal string or an ExactAmount'],
  ])('refuses bad input #%# with an EciConfigError, quickly and without a huge bigint', (value, message) => {
    const read = () => exactAmount(value as never)
    expect(read).toThrow(EciConfigError)
    expect(read).toThrow(message)
  })
})

describe('arithmetic', () => {
  it('adds any number of amounts at the largest scale, and subtracts', () => {
    expect(addAmounts(a(1234n, 2), a(5n, 1), a(1n, 3))).toEqual(a(12841n, 3))
    expect(addAmounts()).toEqual(a(0n, 0))
    expect(subAmounts(a(100n, 2), a(1n, 1))).toEqual(a(90n, 2))
    expect(absAmount(a(-90n, 2))).toEqual(a(90n, 2))
  })

  it('multiplies quantity × rate to the cent, half-up by default', () => {
    // 512 kWh × 0.12345 = 63.2064 → 63.21; 100 × 0.12345 = 12.345 → 12.35 (a tie, up)
    expect(mulAmounts(exactAmount(512), exactAmount(0.12345))).toEqual(a(6321n, 2))
    expect(mulAmounts(exactAmount(100), exactAmount(0.12345))).toEqual(a(1235n, 2))
    expect(mulAmounts(exactAmount(100), exactAmount(0.12345), { scale: 5 })).toEqual(a(1234500n, 5))
  })

  it.each<[string, RoundingMode, string]>([
    ['12.345', 'half-up', '12.35'],
    ['-12.345', 'half-up', '-12.35'],
    ['12.345', 'half-even', '12.34'],
    ['12.355', 'half-even', '12.36'],
    ['-12.345', 'half-even', '-12.34'],
    ['12.3451', 'half-even', '12.35'],
    ['12.349', 'down', '12.34'],
    ['-12.349', 'down', '-12.34'],
    ['12.341', 'up', '12.35'],
    ['-12.341', 'up', '-12.35'],
    ['12.344', 'half-up', '12.34'],
    ['12.3', 'down', '12.30'],
  ])('rounds %s %s to %s', (value, rounding, expected) => {
    expect(formatAmount(roundAmount(exactAmount(value), { rounding }))).toBe(expected)
  })

  it('compares by value whatever the scale', () => {
    expect(compareAmounts(a(150n, 2), a(15n, 1))).toBe(0)
    expect(compareAmounts(a(-1n, 2), a(0n, 0))).toBe(-1)
    expect(compareAmounts(a(1n, 0), a(99n, 2))).toBe(1)
  })

  it('refuses a bad scale or rounding mode with an EciConfigError', () => {
    expect(() => roundAmount(a(1n, 0), { scale: -1 })).toThrow(EciConfigError)
    expect(() => roundAmount(a(1n, 0), { scale: 1.5 })).toThrow('`scale` must be a whole number from 0 to 400')
    expect(() => mulAmounts(a(1n, 0), a(1n, 0), { rounding: 'nearest' as RoundingMode })).toThrow(
      '`rounding` must be one of half-up, half-even, down, up',
    )
    expect(() => formatAmount(a(1n, 0), { decimals: 1000 })).toThrow('`decimals` must be a whole number from 0 to 400')
  })
})

describe('formatAmount', () => {
  it.each([
    [a(1230n, 2), undefined, '12.30'],
    [a(-5n, 2), undefined, '-0.05'],
    [a(1n, 7), undefined, '0.0000001'],
    [a(42n, 0), undefined, '42'],
    [a(42n, 0), 2, '42.00'],
    [a(2675n, 3), 2, '2.68'],
    [a(-2675n, 3), 2, '-2.68'],
    [a(-4n, 3), 2, '0.00'],
  ])('prints %o with %s decimals as %s', (amount, decimals, expected) => {
    expect(formatAmount(amount, { decimals })).toBe(expected)
  })
})

describe('exactAmounts', () => {
  const detail = fixtures({ seed: 3 }).accounts()[0]!.invoices[0]!

  it('gives every amount field of an InvoiceDetail: totals in cents, rates and credits at their wire scale', () => {
    const exact = exactAmounts(detail)
    expect(Object.keys(exact)).toHaveLength(21)
    expect(exact.invoice_total.scale).toBe(2)
    expect(exact.invoice_total.units).toBe(BigInt(Math.round(detail.invoice_total * 100)))
    expect(exact.energy_consumption_total.scale).toBe(2)
    expect(formatAmount(exact.energy_consumption_rate)).toBe(String(detail.energy_consumption_rate))
    expect(formatAmount(exact.credit_remaining_total)).toBe(String(detail.credit_remaining_total))
    expect(Object.isFrozen(exact)).toBe(true)
  })

  it('reads whole-dollar totals as cents and keeps sub-cent digits a provider sent', () => {
    const exact = exactAmounts({ ...detail, invoice_total: 12, distribution_total: 1.234 })
    expect(exact.invoice_total).toEqual(a(1200n, 2))
    expect(exact.distribution_total).toEqual(a(1234n, 3))
  })

  it('gives the total of an Invoice (summary)', () => {
    const { system_account_id, system_invoice_id, invoice_total } = detail
    const invoice = fixtures({ seed: 3 }).invoice(system_account_id, system_invoice_id)!
    expect(exactAmounts(invoice)).toEqual({ invoice_total: exactAmount(invoice_total) })
  })

  it('names the field that is not a finite number, with an EciConfigError', () => {
    const broken = { ...detail, transmission_rate: '0.1' } as unknown as InvoiceDetail
    expect(() => exactAmounts(broken)).toThrow(EciConfigError)
    expect(() => exactAmounts(broken)).toThrow("the invoice's `transmission_rate` must be a finite number")
    expect(() => exactAmounts(null as never)).toThrow('expected an Invoice or InvoiceDetail object')
  })
})

describe('JSON', () => {
  it('JSON.stringify(exactAmount(…)) gives the decimal string, which exactAmount reads back', () => {
    expect(JSON.stringify(exactAmount('12.30'))).toBe('"12.30"')
    expect(JSON.stringify({ total: exactAmount(-0.05) })).toBe('{"total":"-0.05"}')
    const back = exactAmount(JSON.parse(JSON.stringify(exactAmount('1e-7'))))
    expect(compareAmounts(back, exactAmount('0.0000001'))).toBe(0)
  })

  it('every amount the arithmetic returns serialises, and toJSON is no own field', () => {
    const sum = addAmounts(exactAmount('1.10'), exactAmount('2.205'))
    const results = [
      sum,
      subAmounts(sum, exactAmount(1)),
      mulAmounts(exactAmount('3'), exactAmount('0.125')),
      roundAmount(sum),
      absAmount(exactAmount('-4.5')),
    ]
    expect(JSON.stringify(results)).toBe('["3.305","2.305","0.38","3.31","4.5"]')
    expect(Object.keys(sum)).toEqual(['units', 'scale'])
  })

  it('exactAmounts(detail) serialises with JSON.stringify', () => {
    const detail = fixtures({ seed: 3 }).accounts()[0]!.invoices[0]!
    const json = JSON.parse(JSON.stringify(exactAmounts(detail))) as Record<string, string>
    expect(json.invoice_total).toBe(detail.invoice_total.toFixed(2))
  })
})
