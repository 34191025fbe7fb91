/** Terminal, CSV and JSON forms of Green Button bills, usage totals and audit findings. */
import type {
  GreenButtonAuditFinding,
  GreenButtonBill,
  GreenButtonLineItem,
  Quantity,
  UsageTotal,
} from '../green-button/index.js'
import { formatMoney, localDate } from '../green-button/index.js'
import { type ExactAmount, formatAmount } from '../money/index.js'

/** Money as text with at least two decimals (ESPI money has up to five). */
export function money(amount: ExactAmount | undefined, currency?: string): string {
  if (amount === undefined) return '—'
  return currency ? `${formatMoney(amount)} ${currency}` : formatMoney(amount)
}

/** A quantity as `768.032 kWh`-style text. */
export function quantity(q: Quantity | undefined): string {
  if (!q) return '—'
  return `${formatAmount(q.value)} ${q.unit}`
}

/** A bill's period as local dates, the end inclusive: `2024-01-01 → 2024-01-31`. */
export function period(bill: GreenButtonBill): string {
  return `${localDate(bill.periodStart, bill.localTime)} → ${localDate(bill.periodEnd - 1, bill.localTime)}`
}

/** The columns of `ecis green-button bills`. */
export const BILL_HEADERS = ['usage point', 'service', 'period', 'consumption', 'total', 'charge lines', 'source']

/** One row of the bills table or CSV. */
export function billRow(bill: GreenButtonBill): string[] {
  const charges = bill.lineItems.filter((l) => l.charge).length
  return [
    bill.usagePointId,
    bill.serviceKind,
    period(bill),
    quantity(bill.consumption),
    money(bill.total, bill.currency),
    `${charges}/${bill.lineItems.length}`,
    bill.source,
  ]
}

/** The columns of `ecis green-button usage`. */
export const USAGE_HEADERS = ['usage point', 'meter reading', 'period', 'readings', 'usage', 'cost']

/** One row of the usage table or CSV. */
export function usageRow(point: string, series: string, total: UsageTotal, currency?: string): (string | number)[] {
  return [
    point,
    series,
    total.period,
    total.readings,
    `${formatAmount(total.value)} ${total.unit}`,
    money(total.cost, currency),
  ]
}

/** RFC 4180 CSV: fields with a comma, quote or line break quoted. */
export function csv(headers: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number) => {
    const s = String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [headers, ...rows].map((r) => r.map(cell).join(',')).join('\n')
}

function isExact(value: unknown): value is ExactAmount {
  return typeof value === 'object' && value !== null && typeof (value as ExactAmount).units === 'bigint'
}

/** A value with every {@link ExactAmount} as exact decimal text, ready for `JSON.stringify`. */
export function jsonable(value: unknown): unknown {
  if (isExact(value)) return formatAmount(value)
  if (Array.isArray(value)) return value.map(jsonable)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]))
  }
  return value
}

/** A bill for `--json`: decimals as text, dates added, the local time parameters left out. */
export function billJson(bill: GreenButtonBill): unknown {
  const { localTime: _localTime, ...rest } = bill
  return jsonable({
    ...rest,
    periodStartDate: localDate(bill.periodStart, bill.localTime),
    periodEndDate: localDate(bill.periodEnd - 1, bill.localTime),
  })
}

/** The findings as table rows. */
export function findingRows(
  findings: readonly GreenButtonAuditFinding[],
  bills: readonly GreenButtonBill[],
): string[][] {
  return findings.map((f) => {
    const bill = bills[f.path[0] as number]
    return [f.usagePointId, bill ? period(bill) : '', f.severity, f.check, f.expected, f.actual]
  })
}

/** A line item for the detail listing. */
export function lineText(l: GreenButtonLineItem, currency?: string): string {
  return `${l.kind}${l.charge ? '' : ' (not summed)'}: ${money(l.amount, currency)}${l.note ? ` — ${l.note}` : ''}`
}
