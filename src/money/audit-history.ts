import { badOption } from '../resolve.js'
import type { InvoiceDetail } from '../schemas/responses.js'
import { compareAmounts, formatAmount } from './amount.js'
import { invoiceFindings } from './audit-invoice.js'
import { dateOfDay, dayNumber } from './dates.js'
import { type AuditFinding, type AuditSettings, auditSettings, type HistoryAuditOptions } from './findings.js'
import { type ExactInvoiceDetailAmounts, exactDetailAmounts } from './invoice-amounts.js'

/** One invoice of the history with its exact amounts. */
interface Entry {
  detail: InvoiceDetail
  exact: ExactInvoiceDetailAmounts
}

type Finding = Omit<AuditFinding, 'systemInvoiceId' | 'path'> & { field: string }

function carryover(previous: Entry, next: Entry): Finding[] {
  const remaining = previous.exact.credit_remaining_total
  const carried = next.exact.credit_carryover
  if (compareAmounts(remaining, carried) === 0) return []
  return [
    {
      check: 'credit-carryover',
      severity: 'error',
      field: 'credit_carryover',
      expected: formatAmount(remaining),
      actual: formatAmount(carried),
      message: `credit_carryover is ${formatAmount(carried)}, but the previous invoice ${previous.detail.system_invoice_id} left ${formatAmount(remaining)} remaining`,
    },
  ]
}

function contiguity(previous: Entry, next: Entry, settings: AuditSettings): Finding[] {
  const end = previous.detail.service_period_end
  const due = dayNumber(end, 'service_period_end') + settings.nextStartOffset
  const start = next.detail.service_period_start
  const days = dayNumber(start, 'service_period_start') - due
  if (days === 0) return []
  const expected = dateOfDay(due)
  const plural = Math.abs(days) === 1 ? 'day' : 'days'
  return [
    {
      check: days > 0 ? 'period-gap' : 'period-overlap',
      severity: 'error',
      field: 'service_period_start',
      expected,
      actual: start,
      message:
        days > 0
          ? `the service period starts ${start}, ${days} ${plural} after ${expected}: the days between are on no invoice (the previous period ended ${end})`
          : `the service period starts ${start}, ${-days} ${plural} before ${expected}: those days are billed twice (the previous period ended ${end})`,
    },
  ]
}

function order(previous: Entry, next: Entry): Finding[] {
  const before = previous.detail.invoice_date
  const date = next.detail.invoice_date
  const days = dayNumber(date, 'invoice_date') - dayNumber(before, 'invoice_date')
  if (days > 0) return []
  return [
    {
      check: 'invoice-order',
      severity: days === 0 ? 'warning' : 'error',
      field: 'invoice_date',
      expected: `after ${before}`,
      actual: date,
      message:
        days === 0
          ? `dated the same day as the previous invoice ${previous.detail.system_invoice_id} (${date}): a re-issued bill?`
          : `dated ${date}, before the previous invoice ${previous.detail.system_invoice_id} (${before}): the list is out of date order`,
    },
  ]
}

function duplicate(detail: InvoiceDetail, index: number, first: number): AuditFinding {
  const id = String(detail.system_invoice_id)
  return {
    check: 'duplicate-invoice',
    severity: 'error',
    systemInvoiceId: id,
    path: [index, 'system_invoice_id'],
    expected: 'an id not listed before',
    actual: id,
    message: `invoice ${id} is listed again (first at position ${first}); the repeat is left out of the other checks`,
  }
}

/**
 * Audits an account's invoices, given oldest first in the provider's order (the order of the
 * Basic's `system_invoice_ids`, which is what `session.invoices()` yields): every check of
 * {@link auditInvoice} on each invoice, and between consecutive invoices — the carryover is the
 * previous remaining credit; service periods are contiguous (no gap, no overlap, as
 * `contiguity` defines); no invoice id repeats (a repeat is reported and skipped); invoice
 * dates increase. Paths start with the invoice's position in `details`.
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for bad options, when `details` is not an
 *   array, or when an element is not an InvoiceDetail.
 * @example
 * ```ts
 * import { auditHistory } from 'ecis-consumer'
 *
 * const details = []
 * for await (const d of session.invoices('0018-102', { detail: true })) details.push(d)
 * const findings = auditHistory(details, { tolerance: '5.00' })
 * if (findings.some((f) => f.severity === 'error')) console.table(findings)
 * ```
 */
export function auditHistory(details: readonly InvoiceDetail[], options?: HistoryAuditOptions): AuditFinding[] {
  const settings = auditSettings(options)
  if (!Array.isArray(details)) throw badOption('auditHistory(): expected an array of InvoiceDetail')
  const findings: AuditFinding[] = []
  const seen = new Map<string, number>()
  let previous: Entry | undefined
  details.forEach((detail: InvoiceDetail, index) => {
    const exact = exactDetailAmounts(detail)
    const first = seen.get(detail.system_invoice_id)
    if (first !== undefined) {
      findings.push(duplicate(detail, index, first))
      return
    }
    seen.set(detail.system_invoice_id, index)
    for (const f of invoiceFindings(detail, exact, settings)) findings.push({ ...f, path: [index, ...f.path] })
    const entry = { detail, exact }
    if (previous) {
      const between = [
        ...carryover(previous, entry),
        ...contiguity(previous, entry, settings),
        ...order(previous, entry),
      ]
      for (const { field, ...f } of between) {
        findings.push({ ...f, systemInvoiceId: String(detail.system_invoice_id), path: [index, field] })
      }
    }
    previous = entry
  })
  return findings
}
