/**
 * The money audit of Green Button bills, with findings shaped like the ECIS audits
 * (`auditInvoice`, `auditHistory`): line items against the total, and each usage point's billing
 * periods contiguous and not repeated.
 *
 * @module
 */
import { type AmountInput, absAmount, addAmounts, compareAmounts, readAmount, subAmounts } from '../money/amount.js'
import type { AuditSeverity } from '../money/findings.js'
import { badOption } from '../resolve.js'
import { formatMoney } from './amounts.js'
import { chargeLines, type GreenButtonBill } from './bills.js'
import { localDate } from './local-time.js'

/**
 * - `line-items-total`: the charge lines (fees, taxes, credits; not payments or information lines)
 *   add up to the bill's total, or to `costAdditionalLastPeriod`, which ESPI says they itemise;
 * - `period-gap` / `period-overlap`: a usage point's next billing period starts where the previous ends;
 * - `duplicate-period`: no two bills of one usage point and source cover the same period start.
 */
export type GreenButtonAuditCheck = 'line-items-total' | 'period-gap' | 'period-overlap' | 'duplicate-period'

/** One thing the audit found. Values are exact decimal text or `YYYY-MM-DD` dates. */
export interface GreenButtonAuditFinding {
  check: GreenButtonAuditCheck
  severity: AuditSeverity
  usagePointId: string
  /** The billing period's start (epoch seconds) of the bill the finding is about. */
  periodStart: number
  /** The field: `['lineItems']`, or with the bill's position in the list: `[3, 'periodStart']`. */
  path: (string | number)[]
  expected: string
  actual: string
  /** One sentence that shows the arithmetic. */
  message: string
}

/** Options of {@link auditGreenButtonBill} and {@link auditGreenButtonBills}. */
export interface GreenButtonAuditOptions {
  /**
   * The largest difference (in the bill's currency) between the total and its charge lines that
   * is a `warning` rather than an `error` (rounding on the bill, unitemised fees).
   * @default 0 (every difference is an error)
   */
  tolerance?: AmountInput | undefined
}

function tolerance(options: GreenButtonAuditOptions | undefined) {
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw badOption('audit options must be an object')
  const value =
    options?.tolerance === undefined ? { units: 0n, scale: 0 } : readAmount(options.tolerance, '`tolerance`')
  if (value.units < 0n) throw badOption('`tolerance` must not be negative')
  return value
}

const money = formatMoney

/**
 * Audits one bill: its charge lines against its total (`line-items-total`). A bill without a
 * total or without charge lines has nothing to compare and no finding.
 * @throws {EciConfigError} for a negative or non-decimal tolerance.
 */
export function auditGreenButtonBill(
  bill: GreenButtonBill,
  options?: GreenButtonAuditOptions,
): GreenButtonAuditFinding[] {
  const limit = tolerance(options)
  const lines = chargeLines(bill)
  if (bill.total === undefined || lines.length === 0) return []
  const sum = addAmounts(...lines.map((l) => l.amount))
  if (compareAmounts(sum, bill.total) === 0) return []
  if (bill.costAdditional !== undefined && compareAmounts(sum, bill.costAdditional) === 0) return []
  const difference = absAmount(subAmounts(bill.total, sum))
  const severity: AuditSeverity = compareAmounts(difference, limit) <= 0 ? 'warning' : 'error'
  return [
    {
      check: 'line-items-total',
      severity,
      usagePointId: bill.usagePointId,
      periodStart: bill.periodStart,
      path: ['lineItems'],
      expected: money(bill.total),
      actual: money(sum),
      message: `the ${lines.length} charge line(s) add up to ${money(sum)}, the bill's total is ${money(bill.total)} (difference ${money(difference)})`,
    },
  ]
}

/**
 * Audits a list of bills ({@link espiBills}' output): each bill, then per usage point and source
 * the billing periods in order: contiguous (`period-gap`, `period-overlap`) and never repeated
 * (`duplicate-period`). Paths start with the bill's position in `bills`.
 * @throws {EciConfigError} for a negative or non-decimal tolerance.
 * @example
 * ```ts
 * import { auditGreenButtonBills, espiBills, parseEspi } from 'ecis-consumer/green-button'
 *
 * const findings = auditGreenButtonBills(espiBills(parseEspi(xml)), { tolerance: '0.01' })
 * if (findings.some((f) => f.severity === 'error')) process.exitCode = 1
 * ```
 */
export function auditGreenButtonBills(
  bills: readonly GreenButtonBill[],
  options?: GreenButtonAuditOptions,
): GreenButtonAuditFinding[] {
  const findings: GreenButtonAuditFinding[] = []
  bills.forEach((bill, i) => {
    for (const f of auditGreenButtonBill(bill, options)) findings.push({ ...f, path: [i, ...f.path] })
  })
  const series = new Map<string, number[]>()
  bills.forEach((bill, i) => {
    const key = `${bill.usagePointId}\u0000${bill.source}`
    series.set(key, [...(series.get(key) ?? []), i])
  })
  for (const indexes of series.values()) {
    const order = [...indexes].sort(
      (a, b) => (bills[a] as GreenButtonBill).periodStart - (bills[b] as GreenButtonBill).periodStart,
    )
    for (let k = 1; k < order.length; k++)
      findings.push(...periodFindings(bills, order[k - 1] as number, order[k] as number))
  }
  return findings
}

function periodFindings(
  bills: readonly GreenButtonBill[],
  prevIndex: number,
  index: number,
): GreenButtonAuditFinding[] {
  const prev = bills[prevIndex] as GreenButtonBill
  const bill = bills[index] as GreenButtonBill
  const date = (t: number) => localDate(t, bill.localTime)
  const base = { usagePointId: bill.usagePointId, periodStart: bill.periodStart, severity: 'error' as const }
  if (bill.periodStart === prev.periodStart) {
    return [
      {
        ...base,
        check: 'duplicate-period',
        path: [index, 'periodStart'],
        expected: `a period after ${date(prev.periodStart)}`,
        actual: date(bill.periodStart),
        message: `bills ${prevIndex} and ${index} cover the period starting ${date(bill.periodStart)}`,
      },
    ]
  }
  if (bill.periodStart === prev.periodEnd) return []
  const gap = bill.periodStart > prev.periodEnd
  const hours = Math.abs(bill.periodStart - prev.periodEnd) / 3600
  return [
    {
      ...base,
      check: gap ? 'period-gap' : 'period-overlap',
      path: [index, 'periodStart'],
      expected: date(prev.periodEnd),
      actual: date(bill.periodStart),
      message: `the period starts ${hours} hours ${gap ? 'after' : 'before'} the previous one ends (${date(prev.periodEnd)})`,
    },
  ]
}
