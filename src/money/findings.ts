import { badOption } from '../resolve.js'
import { type AmountInput, checkRounding, type ExactAmount, type RoundingMode, readAmount } from './amount.js'

/**
 * The checks of {@link auditInvoice} and {@link auditHistory} (docs/money.md defines each):
 * - `line-total`: a line item's total is its quantity × rate, rounded to the cent;
 * - `invoice-total`: the invoice total is the line totals − the credit value (credit allocated × credit rate);
 * - `credit-remaining`: remaining credit is carryover + new − allocated;
 * - `service-period`: the service period starts on or before its end;
 * - `due-date`: the due date is on or after the invoice date;
 * - `credit-carryover`: an invoice carries over the previous invoice's remaining credit;
 * - `period-gap` / `period-overlap`: each service period starts where the previous one ends
 *   (see {@link HistoryAuditOptions.contiguity});
 * - `duplicate-invoice`: no invoice id appears twice;
 * - `invoice-order`: invoice dates increase.
 */
export type AuditCheck =
  | 'line-total'
  | 'invoice-total'
  | 'credit-remaining'
  | 'service-period'
  | 'due-date'
  | 'credit-carryover'
  | 'period-gap'
  | 'period-overlap'
  | 'duplicate-invoice'
  | 'invoice-order'

/** Every {@link AuditCheck}, invoice checks first, in the order findings are reported. */
export const AUDIT_CHECKS: readonly AuditCheck[] = Object.freeze([
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

/**
 * `error`: the bill's own figures contradict each other (the arithmetic or the dates are
 * wrong). `warning`: a difference that may have a reason the ECIS fields do not show (taxes
 * and fees in the invoice total, a re-issued bill on the same day).
 */
export type AuditSeverity = 'error' | 'warning'

/** One thing an audit found. Values are exact decimal text or `YYYY-MM-DD` dates. */
export interface AuditFinding {
  check: AuditCheck
  severity: AuditSeverity
  /** The invoice the finding is about. */
  systemInvoiceId: string
  /**
   * The field the finding is about, e.g. `['distribution_total']`; {@link auditHistory}
   * prefixes the invoice's position in the list it was given: `[3, 'credit_carryover']`.
   */
  path: (string | number)[]
  /** What the field should hold, e.g. `'22.12'`, `'2025-03-05'`, `'on or after 2025-01-07'`. */
  expected: string
  /** What the field holds. */
  actual: string
  /** One sentence that shows the arithmetic. */
  message: string
}

/** Options of {@link auditInvoice}. */
export interface AuditOptions {
  /**
   * The largest difference (USD, e.g. `5` or `'5.00'`) between `invoice_total` and line totals
   * − credit value that the app accepts as taxes and fees the bill does not itemise. A
   * difference up to it is a `warning`; beyond it, an `error`. Without a tolerance every
   * difference is a `warning` (the seed's fields cannot tell a fee from a mistake).
   * @default undefined (no difference is an error)
   */
  tolerance?: AmountInput | undefined
  /**
   * How quantity × rate and the credit value are rounded to the cent.
   * @default 'half-up'
   */
  rounding?: RoundingMode | undefined
}

/** Options of {@link auditHistory}. */
export interface HistoryAuditOptions extends AuditOptions {
  /**
   * How consecutive service periods meet (both dates of a period are days of service):
   * - `next-day`: the next period starts the day after the previous one ends
   *   (Jan 5 – Feb 4, then Feb 5 – Mar 4), as the mock provider bills;
   * - `same-day`: the next period starts on the day the previous one ends (periods from
   *   meter read to meter read, the read day printed on both bills).
   * @default 'next-day'
   */
  contiguity?: 'next-day' | 'same-day' | undefined
}

/** Audit options checked once, with defaults applied. */
export interface AuditSettings {
  tolerance: ExactAmount | undefined
  rounding: RoundingMode
  /** Days from a period's end to the next period's start. */
  nextStartOffset: 0 | 1
}

/**
 * Validates audit options.
 * @throws {EciConfigError} for a negative or non-decimal tolerance, or an unknown rounding or contiguity.
 */
export function auditSettings(options: HistoryAuditOptions | undefined): AuditSettings {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw badOption('audit options must be an object')
  }
  const { tolerance, rounding, contiguity = 'next-day' } = options ?? {}
  const exactTolerance = tolerance === undefined ? undefined : readAmount(tolerance, '`tolerance`')
  if (exactTolerance && exactTolerance.units < 0n) throw badOption('`tolerance` must not be negative')
  if (contiguity !== 'next-day' && contiguity !== 'same-day') {
    throw badOption("`contiguity` must be 'next-day' or 'same-day'")
  }
  return {
    tolerance: exactTolerance,
    rounding: checkRounding(rounding),
    nextStartOffset: contiguity === 'next-day' ? 1 : 0,
  }
}
