/**
 * `espiBills`: the bills a feed carries, as {@link GreenButtonBill}s with exact money — one per
 * usage point and billing period, from each usage summary and from each costed interval reading
 * that spans a billing period (feeds that carry bills only that way).
 *
 * @module
 */
import type { ExactAmount } from '../money/amount.js'
import { espiMoney, espiQuantity, type Quantity } from './amounts.js'
import { CURRENCIES, isChargeKind, type LineItemKind, lineItemKindName, type ServiceKind } from './codes.js'
import type { LineItemResource } from './espi-resources.js'
import type { EspiFeed, LocalTimeParameters, MeterReading, UsagePoint, UsageSummary } from './feed.js'

/** A costed interval reading at least this long (20 days) is a billing period, not a usage interval. */
export const MIN_BILLING_PERIOD_SECONDS = 20 * 86_400

/** One line of a {@link GreenButtonBill}. */
export interface GreenButtonLineItem {
  /** What the line is (`ItemKind` by name). */
  kind: LineItemKind
  /** The `ItemKind` code as the feed states it. */
  itemKind: number
  /** The line's amount in the bill's currency, exact. */
  amount: ExactAmount
  /** Whether the line is part of the period's charges (not a payment, an information line or an unknown kind). */
  charge: boolean
  unitCost?: ExactAmount | undefined
  /** `rounding` as the feed states it (ESPI: "rounded to nearest increment"); not added to `amount`. */
  rounding?: ExactAmount | undefined
  measurement?: Quantity | undefined
  note?: string | undefined
  /** The period the line covers, epoch seconds, when the feed says. */
  itemPeriod?: { start: number; end: number } | undefined
}

/** Where a {@link GreenButtonBill} came from: the ESPI element that carried it. */
export type GreenButtonBillSource = 'UsageSummary' | 'ElectricPowerUsageSummary' | 'IntervalReading'

/** One bill of one usage point: a billing period's total, consumption and line items, exact. */
export interface GreenButtonBill {
  usagePointId: string
  serviceKind: ServiceKind
  /** Start of the billing period, epoch seconds. */
  periodStart: number
  /** End of the billing period (exclusive), epoch seconds. */
  periodEnd: number
  /** The period's bill (`billLastPeriod`, or the costed reading's `cost`); absent when the feed gives none. */
  total?: ExactAmount | undefined
  /** ISO 4217 letters, when the feed names a currency the SDK knows. */
  currency?: string | undefined
  /** The period's consumption with its unit, when the feed gives it. */
  consumption?: Quantity | undefined
  lineItems: GreenButtonLineItem[]
  tariffProfile?: string | undefined
  /** A link to the bill statement (`statementRef`), when the feed gives one. */
  statementUrl?: string | undefined
  source: GreenButtonBillSource
  /** The Atom id of the usage summary entry (absent for a bill from a costed reading). */
  id?: string | undefined
  /** `costAdditionalLastPeriod`: the charges the line items itemise, per ESPI. */
  costAdditional?: ExactAmount | undefined
  /** `billToDate`. */
  billToDate?: ExactAmount | undefined
  readCycle?: string | undefined
  /** The usage point's local time parameters, for dates (see {@link localDate}). */
  localTime?: LocalTimeParameters | undefined
  /** `accountId` of the one customer account linked to the usage point, when the feed links one. */
  accountId?: string | undefined
  /** `serialNumber` of the one meter linked to the usage point, when the feed links one. */
  meterNumber?: string | undefined
}

/** The usage point's fields every one of its bills carries. */
function pointFields(point: UsagePoint): Partial<GreenButtonBill> {
  const out: Partial<GreenButtonBill> = {}
  if (point.localTimeParameters) out.localTime = point.localTimeParameters
  const [account, ...moreAccounts] = point.customer.accounts
  if (account?.accountId !== undefined && moreAccounts.length === 0) out.accountId = account.accountId
  const [meter, ...moreMeters] = point.customer.meters
  if (meter?.serialNumber !== undefined && moreMeters.length === 0) out.meterNumber = meter.serialNumber
  return out
}

function lineItem(line: LineItemResource): GreenButtonLineItem {
  const kind = lineItemKindName(line.itemKind)
  const scale = line.powerOfTenMultiplier ?? 0
  const item: GreenButtonLineItem = {
    kind,
    itemKind: line.itemKind,
    amount: espiMoney(line.amount, scale),
    charge: isChargeKind(kind),
  }
  if (line.unitCost !== undefined) item.unitCost = espiMoney(line.unitCost, scale)
  if (line.rounding !== undefined) item.rounding = espiMoney(line.rounding, scale)
  const m = line.measurement
  if (m?.value !== undefined) item.measurement = espiQuantity(m.value, m.uom, m.powerOfTenMultiplier)
  if (line.note !== undefined) item.note = line.note
  if (line.itemPeriod)
    item.itemPeriod = { start: line.itemPeriod.start, end: line.itemPeriod.start + line.itemPeriod.duration }
  return item
}

function summaryBill(point: UsagePoint, summary: UsageSummary): GreenButtonBill | undefined {
  const period = summary.billingPeriod
  if (!period) return undefined
  const bill: GreenButtonBill = {
    usagePointId: point.id,
    serviceKind: point.serviceKind,
    periodStart: period.start,
    periodEnd: period.start + period.duration,
    lineItems: (summary.costAdditionalDetailLastPeriod ?? []).map(lineItem),
    source: summary.element,
  }
  if (summary.billLastPeriod !== undefined) bill.total = espiMoney(summary.billLastPeriod)
  if (summary.currency !== undefined && CURRENCIES[summary.currency]) bill.currency = CURRENCIES[summary.currency]
  const used = summary.overallConsumptionLastPeriod
  if (used?.value !== undefined) bill.consumption = espiQuantity(used.value, used.uom, used.powerOfTenMultiplier)
  const tariff = summary.tariffProfile ?? point.serviceDeliveryPoint?.tariffProfile
  if (tariff !== undefined) bill.tariffProfile = tariff
  if (summary.statementRef !== undefined) bill.statementUrl = summary.statementRef
  if (summary.atom.id !== undefined) bill.id = summary.atom.id
  if (summary.costAdditionalLastPeriod !== undefined) bill.costAdditional = espiMoney(summary.costAdditionalLastPeriod)
  if (summary.billToDate !== undefined) bill.billToDate = espiMoney(summary.billToDate)
  if (summary.readCycle !== undefined) bill.readCycle = summary.readCycle
  return Object.assign(bill, pointFields(point))
}

function readingBills(point: UsagePoint, series: MeterReading): GreenButtonBill[] {
  const type = series.readingType
  const bills: GreenButtonBill[] = []
  for (const r of series.intervalReadings) {
    if (r.cost === undefined || r.duration < MIN_BILLING_PERIOD_SECONDS) continue
    const bill: GreenButtonBill = {
      usagePointId: point.id,
      serviceKind: point.serviceKind,
      periodStart: r.start,
      periodEnd: r.start + r.duration,
      total: espiMoney(r.cost),
      lineItems: [],
      source: 'IntervalReading',
    }
    if (type?.currencyLetters !== undefined) bill.currency = type.currencyLetters
    if (type) bill.consumption = espiQuantity(r.value, type.uom, type.powerOfTenMultiplier)
    const tariff = point.serviceDeliveryPoint?.tariffProfile
    if (tariff !== undefined) bill.tariffProfile = tariff
    bills.push(Object.assign(bill, pointFields(point)))
  }
  return bills
}

/**
 * The bills of a parsed feed: for each usage point (in feed order), one bill per usage summary
 * with a billing period and one per costed interval reading at least
 * {@link MIN_BILLING_PERIOD_SECONDS} long, sorted by period start. `source` says which element
 * each came from. Payments and information lines are kept on the bill but marked `charge: false`.
 * Nothing is inferred: a summary without `billLastPeriod` gives a bill without `total`.
 * @example
 * ```ts
 * import { formatAmount } from 'ecis-consumer'
 * import { espiBills, parseEspi } from 'ecis-consumer/green-button'
 *
 * for (const bill of espiBills(parseEspi(xml))) {
 *   console.log(bill.usagePointId, bill.periodStart, bill.total && formatAmount(bill.total, { decimals: 2 }), bill.currency)
 * }
 * ```
 */
export function espiBills(feed: EspiFeed): GreenButtonBill[] {
  const bills: GreenButtonBill[] = []
  for (const point of feed.usagePoints) {
    const own = [
      ...point.usageSummaries.map((s) => summaryBill(point, s)).filter((b) => b !== undefined),
      ...point.meterReadings.flatMap((m) => readingBills(point, m)),
    ]
    bills.push(...own.sort((a, b) => a.periodStart - b.periodStart))
  }
  return bills
}

/** The sum of a bill's charge lines (payments, information and unknown kinds left out). */
export function chargeLines(bill: GreenButtonBill): GreenButtonLineItem[] {
  return bill.lineItems.filter((l) => l.charge)
}
