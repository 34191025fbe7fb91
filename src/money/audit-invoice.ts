/**
 * `auditInvoice`: the checks one InvoiceDetail's own figures imply.
 * @module
 */
import type { InvoiceDetail } from '../schemas/responses.js'
import {
  absAmount,
  addAmounts,
  checkRounding,
  compareAmounts,
  type ExactAmount,
  formatAmount,
  mulAmounts,
  type RoundingMode,
  subAmounts,
} from './amount.js'
import { dayNumber } from './dates.js'
import { type AuditFinding, type AuditOptions, type AuditSettings, auditSettings } from './findings.js'
import { type ExactInvoiceDetailAmounts, exactDetailAmounts, LINE_ITEMS } from './invoice-amounts.js'

type Finding = Omit<AuditFinding, 'systemInvoiceId'>

function lineTotals(exact: ExactInvoiceDetailAmounts, settings: AuditSettings): Finding[] {
  const findings: Finding[] = []
  for (const line of LINE_ITEMS) {
    const quantity = exact[`${line}_quantity`]
    const rate = exact[`${line}_rate`]
    const actual = exact[`${line}_total`]
    const expected = mulAmounts(quantity, rate, { scale: 2, rounding: settings.rounding })
    if (compareAmounts(actual, expected) === 0) continue
    findings.push({
      check: 'line-total',
      severity: 'error',
      path: [`${line}_total`],
      expected: formatAmount(expected),
      actual: formatAmount(actual),
      message: `${line}_total is ${formatAmount(actual)}, but quantity × rate = ${formatAmount(quantity)} × ${formatAmount(rate)} = ${formatAmount(expected)} (${settings.rounding} to the cent)`,
    })
  }
  return findings
}

/** Credit allocated × credit rate, to the cent. */
function creditValueOf(exact: ExactInvoiceDetailAmounts, rounding: RoundingMode): ExactAmount {
  return mulAmounts(exact.credit_allocated, exact.credit_rate, { scale: 2, rounding })
}

/**
 * The dollar value of the credit a bill applied: `credit_allocated × credit_rate`, rounded to
 * the cent (half-up unless `rounding` says otherwise). This is the figure the invoice total is
 * reduced by, and what a producer reconciles its subscriber's credits against.
 * @throws {EciConfigError} when `detail` is not an InvoiceDetail, or for an unknown rounding mode.
 * @example
 * ```ts
 * import { addAmounts, creditValue, formatAmount } from 'ecis-consumer'
 *
 * const applied = addAmounts(...details.map((d) => creditValue(d)))
 * formatAmount(applied) // '1234.56': the credit value of the whole history, exact
 * ```
 */
export function creditValue(detail: InvoiceDetail, options: { rounding?: RoundingMode | undefined } = {}): ExactAmount {
  return creditValueOf(exactDetailAmounts(detail), checkRounding(options.rounding))
}

function invoiceTotal(exact: ExactInvoiceDetailAmounts, settings: AuditSettings): Finding[] {
  const lines = addAmounts(...LINE_ITEMS.map((line) => exact[`${line}_total`]))
  const credit = creditValueOf(exact, settings.rounding)
  const expected = subAmounts(lines, credit)
  const actual = exact.invoice_total
  const difference = subAmounts(actual, expected)
  if (difference.units === 0n) return []
  const { tolerance } = settings
  const beyond = tolerance !== undefined && compareAmounts(absAmount(difference), tolerance) > 0
  const sign = difference.units > 0n ? '+' : ''
  const why =
    tolerance === undefined
      ? 'taxes or fees the bill does not itemise?'
      : beyond
        ? `more than the tolerance of ${formatAmount(tolerance)}`
        : `within the tolerance of ${formatAmount(tolerance)}`
  return [
    {
      check: 'invoice-total',
      severity: beyond ? 'error' : 'warning',
      path: ['invoice_total'],
      expected: formatAmount(expected),
      actual: formatAmount(actual),
      message: `invoice_total is ${formatAmount(actual)}, but the line totals ${formatAmount(lines)} − the credit value ${formatAmount(credit)} (${formatAmount(exact.credit_allocated)} × ${formatAmount(exact.credit_rate)}) = ${formatAmount(expected)}: a difference of ${sign}${formatAmount(difference)} (${why})`,
    },
  ]
}

function creditRemaining(exact: ExactInvoiceDetailAmounts): Finding[] {
  const { credit_carryover: carryover, credit_new: fresh, credit_allocated: allocated } = exact
  const expected = subAmounts(addAmounts(carryover, fresh), allocated)
  const actual = exact.credit_remaining_total
  if (compareAmounts(actual, expected) === 0) return []
  return [
    {
      check: 'credit-remaining',
      severity: 'error',
      path: ['credit_remaining_total'],
      expected: formatAmount(expected),
      actual: formatAmount(actual),
      message: `credit_remaining_total is ${formatAmount(actual)}, but carryover + new − allocated = ${formatAmount(carryover)} + ${formatAmount(fresh)} − ${formatAmount(allocated)} = ${formatAmount(expected)}`,
    },
  ]
}

function dates(detail: InvoiceDetail): Finding[] {
  const findings: Finding[] = []
  const start = detail.service_period_start
  const end = detail.service_period_end
  if (dayNumber(start, 'service_period_start') > dayNumber(end, 'service_period_end')) {
    findings.push({
      check: 'service-period',
      severity: 'error',
      path: ['service_period_end'],
      expected: `on or after ${start}`,
      actual: end,
      message: `the service period ends (${end}) before it starts (${start})`,
    })
  }
  const issued = detail.invoice_date
  const due = detail.invoice_due_date
  if (dayNumber(due, 'invoice_due_date') < dayNumber(issued, 'invoice_date')) {
    findings.push({
      check: 'due-date',
      severity: 'error',
      path: ['invoice_due_date'],
      expected: `on or after ${issued}`,
      actual: due,
      message: `the invoice is due (${due}) before it is dated (${issued})`,
    })
  }
  return findings
}

/**
 * The findings of one invoice, from its exact amounts and resolved settings.
 * @internal
 */
export function invoiceFindings(
  detail: InvoiceDetail,
  exact: ExactInvoiceDetailAmounts,
  settings: AuditSettings,
): AuditFinding[] {
  const systemInvoiceId = String(detail.system_invoice_id)
  return [
    ...lineTotals(exact, settings),
    ...invoiceTotal(exact, settings),
    ...creditRemaining(exact),
    ...dates(detail),
  ].map((f) => ({ ...f, systemInvoiceId }))
}

/**
 * Checks the arithmetic and the dates of one bill, exactly (no float enters): each line
 * total = quantity × rate to the cent; invoice total = line totals − credit allocated × credit
 * rate (a difference is a `warning`, or an `error` beyond `tolerance`); credit remaining =
 * carryover + new − allocated; service period start ≤ end; due date ≥ invoice date.
 * Returns `[]` for a bill that adds up. docs/money.md defines each check.
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for bad options, or when `detail` is not an
 *   InvoiceDetail (a missing or non-finite amount, a date that is not `YYYY-MM-DD`).
 * @example
 * ```ts
 * import { auditInvoice } from 'ecis-consumer'
 *
 * const findings = auditInvoice(await session.invoiceDetail(account, invoiceId), { tolerance: '5.00' })
 * for (const f of findings) console.log(f.severity, f.check, f.path.join('.'), f.expected, f.actual)
 * ```
 */
export function auditInvoice(detail: InvoiceDetail, options?: AuditOptions): AuditFinding[] {
  const settings = auditSettings(options)
  return invoiceFindings(detail, exactDetailAmounts(detail), settings)
}
