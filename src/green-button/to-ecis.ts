/**
 * Green Button data on the ECIS model: a bill as an Invoice or Invoice Detail, a usage point as
 * a Basic-like account view. Only what the feed carries is filled; every ECIS field without an
 * ESPI home (or absent from this feed) is left out and named in `missing` — never invented.
 * docs/green-button.md has the mapping, field by field.
 *
 * @module
 */
import { addAmounts, type ExactAmount, formatAmount } from '../money/amount.js'
import {
  type Basic,
  BasicSchema,
  type Invoice,
  type InvoiceDetail,
  InvoiceDetailSchema,
  InvoiceSchema,
} from '../schemas/responses.js'
import { quantityIn } from './amounts.js'
import type { GreenButtonBill, GreenButtonLineItem } from './bills.js'
import type { UsagePoint } from './feed.js'
import { localDate } from './local-time.js'

/** ECIS fields filled from Green Button data, and the ones it could not fill. */
export interface GreenButtonMapping<T> {
  /** The fields the feed carries, in ECIS form. */
  value: Partial<T>
  /** The fields of `T` left out, in the ECIS schema's order. */
  missing: (keyof T)[]
}

/** The ECIS fields of each type, in the schema's order: what `missing` is measured against. */
const fieldsOf = <T>(schema: { shape: object }) => Object.keys(schema.shape) as (keyof T)[]
const INVOICE_FIELDS = fieldsOf<Invoice>(InvoiceSchema)
const DETAIL_FIELDS = fieldsOf<InvoiceDetail>(InvoiceDetailSchema)
const BASIC_FIELDS = fieldsOf<Basic>(BasicSchema)

function mapping<T>(value: Partial<T>, fields: readonly (keyof T)[]): GreenButtonMapping<T> {
  const clean = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
  return { value: clean, missing: fields.filter((f) => !Object.hasOwn(clean, f)) }
}

/** An exact amount as an ECIS JSON number (ECIS amounts are numbers in USD). */
const num = (amount: ExactAmount | undefined) => (amount === undefined ? undefined : Number(formatAmount(amount)))

function invoiceFields(bill: GreenButtonBill): Partial<Invoice> {
  const start = localDate(bill.periodStart, bill.localTime)
  // ESPI periods end at an instant (exclusive); ECIS periods name their last day of service.
  const end = localDate(bill.periodEnd - 1, bill.localTime)
  return {
    system_account_id: bill.accountId,
    system_invoice_id: bill.id,
    rate_code: bill.tariffProfile,
    meter_number: bill.meterNumber,
    // ECIS amounts are USD: a total in another or an unnamed currency is left out.
    invoice_total: bill.currency === 'USD' ? num(bill.total) : undefined,
    service_period_start: start,
    service_period_end: end,
    billing_period_start: start,
    billing_period_end: end,
  }
}

/**
 * A Green Button bill as an ECIS Invoice: period dates (local, the end inclusive), total (USD
 * only), tariff, and the account and meter when the feed links them. ESPI has no invoice date,
 * due date or paid flag: those are always in `missing`.
 * @example
 * ```ts
 * import { espiBills, parseEspi, toInvoice } from 'ecis-consumer/green-button'
 *
 * const { value, missing } = toInvoice(espiBills(parseEspi(xml))[0]!)
 * console.log(value.invoice_total, missing) // 74.49 [ 'system_account_id', 'next_read_date', … ]
 * ```
 */
export function toInvoice(bill: GreenButtonBill): GreenButtonMapping<Invoice> {
  return mapping(invoiceFields(bill), INVOICE_FIELDS)
}

/** One charge family's quantity, rate and total, from the bill's lines of `kinds`. */
function family(bill: GreenButtonBill, kinds: readonly string[], unit: string | undefined, usd: boolean) {
  const lines = bill.lineItems.filter((l) => kinds.includes(l.kind))
  if (lines.length === 0 || !usd) return {}
  const total = num(addAmounts(...lines.map((l) => l.amount)))
  const [line] = lines as [GreenButtonLineItem]
  if (lines.length > 1 || unit === undefined) return { total }
  const quantity = line.measurement ? quantityIn(line.measurement, unit) : undefined
  return { total, quantity: num(quantity), rate: num(line.unitCost) }
}

/** The unit ECIS names deliveries in: kWh for energy measured in Wh, the feed's unit otherwise. */
function deliveryUnit(bill: GreenButtonBill): string | undefined {
  const unit = bill.consumption?.unit
  if (unit === undefined || unit.startsWith('uom:')) return undefined
  return unit === 'Wh' || unit === 'MWh' ? 'kWh' : unit
}

/**
 * A Green Button bill as an ECIS Invoice Detail: {@link toInvoice}'s fields, the delivery unit
 * and, from the line items, energy (ESPI generation and usage fees) and distribution (delivery
 * fees): each total, and quantity and rate when one line carries them. ESPI has no transmission,
 * stranded-cost or conservation lines and no net-metering credits in kWh: always in `missing`.
 */
export function toInvoiceDetail(bill: GreenButtonBill): GreenButtonMapping<InvoiceDetail> {
  const unit = deliveryUnit(bill)
  const usd = bill.currency === 'USD'
  const energy = family(bill, ['energy-generation-fee', 'energy-usage-fee'], unit, usd)
  const distribution = family(bill, ['energy-delivery-fee'], unit, usd)
  const consumption = bill.consumption && unit ? num(quantityIn(bill.consumption, unit)) : undefined
  return mapping<InvoiceDetail>(
    {
      ...invoiceFields(bill),
      delivery_unit: unit,
      energy_consumption_quantity: energy.quantity ?? consumption,
      energy_consumption_rate: energy.rate,
      energy_consumption_total: energy.total,
      distribution_quantity: distribution.quantity,
      distribution_rate: distribution.rate,
      distribution_total: distribution.total,
    },
    DETAIL_FIELDS,
  )
}

/**
 * A usage point as a Basic-like ECIS account view: service kind as `account_type` (electric or
 * gas), tariff as `rate_code`, the linked account and meter, the usage summaries' ids and the
 * latest billing period. No next read date or producer projects: always in `missing`.
 */
export function toAccountView(point: UsagePoint, bills: readonly GreenButtonBill[] = []): GreenButtonMapping<Basic> {
  const own = bills.filter((b) => b.usagePointId === point.id)
  const latest = own.at(-1)
  const ids = own.map((b) => b.id)
  const [account, ...moreAccounts] = point.customer.accounts
  const [meter, ...moreMeters] = point.customer.meters
  const accountType = point.serviceKind === 'electricity' ? 'electric' : point.serviceKind === 'gas' ? 'gas' : undefined
  return mapping<Basic>(
    {
      system_account_id: moreAccounts.length === 0 ? account?.accountId : undefined,
      account_type: accountType,
      rate_code: point.serviceDeliveryPoint?.tariffProfile ?? latest?.tariffProfile,
      meter_number: moreMeters.length === 0 ? meter?.serialNumber : undefined,
      system_invoice_ids: own.length > 0 && ids.every((id) => id !== undefined) ? (ids as string[]) : undefined,
      billing_period_start: latest ? localDate(latest.periodStart, latest.localTime) : undefined,
      billing_period_end: latest ? localDate(latest.periodEnd - 1, latest.localTime) : undefined,
    },
    BASIC_FIELDS,
  )
}
