import { describe, expect, it } from 'vitest'
import {
  AUDIT_CHECKS,
  addAmounts,
  auditHistory,
  auditInvoice,
  compareAmounts,
  creditValue,
  EciConfigError,
  exactAmounts,
  formatAmount,
  type InvoiceDetail,
  LINE_ITEMS,
  type RoundingMode,
  subAmounts,
} from '../../src/index.js'
import { fixtures, history } from './support.js'

/** The example account's history (electric, with credits that carry over). */
const HISTORY = history(fixtures({ seed: 1 }).account('0018-102')!)
/** An invoice of it that allocates credit and carries some over. */
const BILL = HISTORY.find((d, i) => i > 0 && d.credit_allocated > 0 && d.credit_carryover > 0)!
const cents = (usd: number) => Math.round(usd * 100)
const usd = (c: number) => c / 100

/** A bill of two line items `[quantity, rate, total]` (the other three zero) and no credit. */
function simpleBill(energy: number[], distribution: number[], total: number): InvoiceDetail {
  const line = (name: string, [quantity, rate, lineTotal]: number[]) => ({
    [`${name}_quantity`]: quantity,
    [`${name}_rate`]: rate,
    [`${name}_total`]: lineTotal,
  })
  return {
    ...BILL,
    ...line('energy_consumption', energy),
    ...line('distribution', distribution),
    ...line('transmission', [0, 0, 0]),
    ...line('stranded_costs', [0, 0, 0]),
    ...line('conservation', [0, 0, 0]),
    credit_rate: 0,
    credit_allocated: 0,
    credit_carryover: 0,
    credit_new: 0,
    credit_remaining_total: 0,
    invoice_total: total,
  }
}

/** A history with invoice `i` changed. */
function changed(i: number, change: Partial<InvoiceDetail>): InvoiceDetail[] {
  return HISTORY.map((d, k) => (k === i ? { ...d, ...change } : d))
}

describe('auditInvoice', () => {
  it('finds nothing on a bill that adds up', () => {
    expect(BILL).toBeDefined()
    expect(auditInvoice(BILL)).toEqual([])
  })

  it('finds a line total that is not quantity × rate to the cent, with the arithmetic', () => {
    const wrong = usd(cents(BILL.transmission_total) + 1)
    const findings = auditInvoice({
      ...BILL,
      transmission_total: wrong,
      invoice_total: usd(cents(BILL.invoice_total) + 1),
    })
    expect(findings).toEqual([
      {
        check: 'line-total',
        severity: 'error',
        systemInvoiceId: BILL.system_invoice_id,
        path: ['transmission_total'],
        expected: BILL.transmission_total.toFixed(2),
        actual: wrong.toFixed(2),
        message: `transmission_total is ${wrong.toFixed(2)}, but quantity × rate = ${BILL.transmission_quantity} × ${BILL.transmission_rate} = ${BILL.transmission_total.toFixed(2)} (half-up to the cent)`,
      },
    ])
  })

  it('rounds quantity × rate as the rounding option says', () => {
    // 1 × 0.005 = 0.005: 0.01 half-up and up, 0.00 half-even and down; 3 × 0.005 = 0.015: 0.02 half-even.
    const check = (quantity: number, total: number, rounding: RoundingMode) =>
      auditInvoice(simpleBill([quantity, 0.005, total], [0, 0, 0], total), { rounding }).map((f) => f.check)
    expect(check(1, 0.01, 'half-up')).toEqual([])
    expect(check(1, 0.01, 'up')).toEqual([])
    expect(check(1, 0.01, 'half-even')).toEqual(['line-total'])
    expect(check(1, 0, 'half-even')).toEqual([])
    expect(check(1, 0, 'down')).toEqual([])
    expect(check(3, 0.02, 'half-even')).toEqual([])
    expect(check(3, 0.01, 'down')).toEqual([])
  })

  it('reports an invoice total off by taxes or fees as a warning, or as an error beyond the tolerance', () => {
    const taxed = { ...BILL, invoice_total: usd(cents(BILL.invoice_total) + 250) }
    const [finding] = auditInvoice(taxed)
    expect(finding).toMatchObject({
      check: 'invoice-total',
      severity: 'warning',
      path: ['invoice_total'],
      expected: BILL.invoice_total.toFixed(2),
      actual: taxed.invoice_total.toFixed(2),
    })
    expect(finding!.message).toContain('a difference of +2.50 (taxes or fees the bill does not itemise?)')
    expect(finding!.message).toContain(`(${BILL.credit_allocated} × ${BILL.credit_rate})`)
    expect(auditInvoice(taxed, { tolerance: '2.50' })[0]).toMatchObject({ severity: 'warning' })
    expect(auditInvoice(taxed, { tolerance: 5 })[0]!.message).toContain('within the tolerance of 5')
    const beyond = auditInvoice(taxed, { tolerance: 2.49 })[0]!
    expect(beyond).toMatchObject({ check: 'invoice-total', severity: 'error' })
    expect(beyond.message).toContain('more than the tolerance of 2.49')
    const less = auditInvoice({ ...BILL, invoice_total: usd(cents(BILL.invoice_total) - 3) }, { tolerance: 0 })[0]!
    expect(less).toMatchObject({ severity: 'error' })
    expect(less.message).toContain('a difference of -0.03')
  })

  it('finds credit remaining that is not carryover + new − allocated', () => {
    const expected = BILL.credit_carryover + BILL.credit_new - BILL.credit_allocated
    const [finding, ...rest] = auditInvoice({ ...BILL, credit_remaining_total: expected + 7 })
    expect(rest).toEqual([])
    expect(finding).toEqual({
      check: 'credit-remaining',
      severity: 'error',
      systemInvoiceId: BILL.system_invoice_id,
      path: ['credit_remaining_total'],
      expected: String(expected),
      actual: String(expected + 7),
      message: `credit_remaining_total is ${expected + 7}, but carryover + new − allocated = ${BILL.credit_carryover} + ${BILL.credit_new} − ${BILL.credit_allocated} = ${expected}`,
    })
  })

  it('finds a service period that ends before it starts and a due date before the invoice date', () => {
    const findings = auditInvoice({
      ...BILL,
      service_period_start: '2025-03-10',
      service_period_end: '2025-03-09',
      invoice_date: '2025-03-12',
      invoice_due_date: '2025-03-11',
    })
    expect(findings.map(({ check, path, expected, actual }) => ({ check, path, expected, actual }))).toEqual([
      {
        check: 'service-period',
        path: ['service_period_end'],
        expected: 'on or after 2025-03-10',
        actual: '2025-03-09',
      },
      { check: 'due-date', path: ['invoice_due_date'], expected: 'on or after 2025-03-12', actual: '2025-03-11' },
    ])
    // One-day periods and bills due the day they are dated are fine.
    expect(
      auditInvoice({ ...BILL, service_period_end: BILL.service_period_start, invoice_due_date: BILL.invoice_date }),
    ).toEqual([])
  })

  it('adds exactly where floats drift: lines of 0.10 and 0.20 are a total of 0.30', () => {
    expect(0.1 + 0.2 === 0.3).toBe(false)
    expect(auditInvoice(simpleBill([1, 0.1, 0.1], [1, 0.2, 0.2], 0.3))).toEqual([])
    // Credit value 7 kWh × 0.10001 = 0.70007 → 0.70 off a bill of 1.00.
    expect(
      auditInvoice({
        ...simpleBill([10, 0.1, 1], [0, 0, 0], 0.3),
        credit_allocated: 7,
        credit_rate: 0.10001,
        credit_new: 7,
      }),
    ).toEqual([])
  })

  it('values the credit a bill applied as credit allocated × credit rate, to the cent', () => {
    const bill = { ...BILL, credit_allocated: 7, credit_rate: 0.12345 } // 0.86415
    expect(formatAmount(creditValue(bill))).toBe('0.86')
    expect(formatAmount(creditValue({ ...bill, credit_allocated: 10 }))).toBe('1.23') // 1.2345, half-up
    expect(formatAmount(creditValue({ ...bill, credit_allocated: 10 }, { rounding: 'up' }))).toBe('1.24')
    // Over a clean history: line totals − credit value = invoice totals, summed exactly.
    const lines = addAmounts(...HISTORY.flatMap((d) => LINE_ITEMS.map((line) => exactAmounts(d)[`${line}_total`])))
    const credit = addAmounts(...HISTORY.map((d) => creditValue(d)))
    const totals = addAmounts(...HISTORY.map((d) => exactAmounts(d).invoice_total))
    expect(compareAmounts(subAmounts(lines, credit), totals)).toBe(0)
  })

  it('refuses bad options and objects that are not an InvoiceDetail with an EciConfigError', () => {
    expect(() => auditInvoice(BILL, { tolerance: -1 })).toThrow('`tolerance` must not be negative')
    expect(() => auditInvoice(BILL, { tolerance: 'five' })).toThrow(EciConfigError)
    expect(() => auditInvoice(BILL, { rounding: 'bankers' as RoundingMode })).toThrow(EciConfigError)
    expect(() => auditInvoice(BILL, 'strict' as never)).toThrow('audit options must be an object')
    const { conservation_total: _, ...partial } = BILL
    expect(() => auditInvoice(partial as InvoiceDetail)).toThrow(
      "the invoice's `conservation_total` must be a finite number",
    )
    expect(() => auditInvoice({ ...BILL, invoice_date: '2025-02-30' })).toThrow(
      'invoice_date must be a YYYY-MM-DD date',
    )
    expect(() => auditInvoice(undefined as never)).toThrow(EciConfigError)
  })
})

describe('auditHistory', () => {
  it('finds nothing in a history whose credits carry over and whose periods meet', () => {
    expect(HISTORY.length).toBeGreaterThanOrEqual(24)
    expect(auditHistory(HISTORY)).toEqual([])
    expect(auditHistory([])).toEqual([])
  })

  it('finds a carryover that is not the previous remaining credit', () => {
    const i = HISTORY.indexOf(BILL)
    // 10 kWh lost on the way; the bill itself still adds up.
    const lost = changed(i, {
      credit_carryover: BILL.credit_carryover - 10,
      credit_remaining_total: BILL.credit_remaining_total - 10,
    })
    const findings = auditHistory(lost)
    expect(findings).toHaveLength(2) // the lost credit, and the next bill's carryover no longer matching
    expect(findings[0]).toEqual({
      check: 'credit-carryover',
      severity: 'error',
      systemInvoiceId: BILL.system_invoice_id,
      path: [i, 'credit_carryover'],
      expected: String(HISTORY[i - 1]!.credit_remaining_total),
      actual: String(BILL.credit_carryover - 10),
      message: `credit_carryover is ${BILL.credit_carryover - 10}, but the previous invoice ${HISTORY[i - 1]!.system_invoice_id} left ${HISTORY[i - 1]!.credit_remaining_total} remaining`,
    })
    expect(findings[1]).toMatchObject({ check: 'credit-carryover', path: [i + 1, 'credit_carryover'] })
  })

  it('defines contiguity as next start = previous end + 1 day; later is a gap, earlier an overlap', () => {
    const start = HISTORY[5]!.service_period_start
    const shift = (days: number) => {
      const d = new Date(`${start}T00:00:00Z`)
      d.setUTCDate(d.getUTCDate() + days)
      return d.toISOString().slice(0, 10)
    }
    const gap = auditHistory(changed(5, { service_period_start: shift(2) }))
    expect(gap).toEqual([
      {
        check: 'period-gap',
        severity: 'error',
        systemInvoiceId: HISTORY[5]!.system_invoice_id,
        path: [5, 'service_period_start'],
        expected: start,
        actual: shift(2),
        message: `the service period starts ${shift(2)}, 2 days after ${start}: the days between are on no invoice (the previous period ended ${HISTORY[4]!.service_period_end})`,
      },
    ])
    const overlap = auditHistory(changed(5, { service_period_start: shift(-1) }))
    expect(overlap).toMatchObject([{ check: 'period-overlap', expected: start, actual: shift(-1) }])
    expect(overlap[0]!.message).toContain('1 day before')
    // Periods from meter read to meter read share their boundary day.
    expect(auditHistory(HISTORY, { contiguity: 'same-day' }).filter((f) => f.check === 'period-gap')).toHaveLength(
      HISTORY.length - 1,
    )
    const sameDay = auditHistory(changed(5, { service_period_start: shift(-1) }), { contiguity: 'same-day' })
    expect(sameDay).toHaveLength(HISTORY.length - 2)
    expect(sameDay.filter((f) => f.path[0] === 5)).toEqual([])
  })

  it('reports a repeated invoice id once and leaves the repeat out of the other checks', () => {
    const repeated = [...HISTORY.slice(0, 8), HISTORY[7]!, ...HISTORY.slice(8)]
    expect(auditHistory(repeated)).toEqual([
      {
        check: 'duplicate-invoice',
        severity: 'error',
        systemInvoiceId: HISTORY[7]!.system_invoice_id,
        path: [8, 'system_invoice_id'],
        expected: 'an id not listed before',
        actual: HISTORY[7]!.system_invoice_id,
        message: `invoice ${HISTORY[7]!.system_invoice_id} is listed again (first at position 7); the repeat is left out of the other checks`,
      },
    ])
  })

  it('wants invoice dates to increase: an earlier date is an error, the same date a warning', () => {
    const before = HISTORY[9]!.invoice_date
    expect(auditHistory(changed(10, { invoice_date: '2000-01-01', invoice_due_date: '2000-01-22' }))).toMatchObject([
      {
        check: 'invoice-order',
        severity: 'error',
        path: [10, 'invoice_date'],
        expected: `after ${before}`,
        actual: '2000-01-01',
      },
    ])
    expect(auditHistory(changed(10, { invoice_date: before }))).toMatchObject([
      { check: 'invoice-order', severity: 'warning', actual: before },
    ])
  })

  it('prefixes each invoice finding with the invoice position and passes the options on', () => {
    const findings = auditHistory(changed(3, { invoice_total: usd(cents(HISTORY[3]!.invoice_total) + 100) }), {
      tolerance: '0.50',
    })
    expect(findings).toMatchObject([{ check: 'invoice-total', severity: 'error', path: [3, 'invoice_total'] }])
  })

  it('names every check it can report, in report order', () => {
    expect(AUDIT_CHECKS).toEqual([
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
    ])
  })

  it('refuses what is not a list of InvoiceDetail, and bad options, with an EciConfigError', () => {
    expect(() => auditHistory({} as never)).toThrow('auditHistory(): expected an array of InvoiceDetail')
    expect(() => auditHistory([HISTORY[0]!, null as never])).toThrow(EciConfigError)
    expect(() => auditHistory(HISTORY, { contiguity: 'weekly' as never })).toThrow(
      "`contiguity` must be 'next-day' or 'same-day'",
    )
  })
})

describe('one date rule for the schemas and the audits', () => {
  it('audits an invoice dated 0099-01-05 that the schema accepted, instead of throwing EciConfigError', async () => {
    const { parseInvoiceDetail } = await import('../../src/index.js')
    const early = {
      ...BILL,
      invoice_date: '0099-01-05',
      service_period_start: '0098-12-01',
      service_period_end: '0098-12-31',
    }
    const parsed = parseInvoiceDetail(early)
    expect(parsed.invoice_date).toBe('0099-01-05')
    expect(() => auditInvoice(parsed)).not.toThrow()
  })
})
