/**
 * `exactAmounts`: every numeric field of an Invoice or InvoiceDetail as an {@link ExactAmount}.
 * @module
 */

import { badOption } from '../resolve.js'
import type { Invoice, InvoiceDetail } from '../schemas/responses.js'
import { amountOf, type ExactAmount, readAmount } from './amount.js'

/** The five line items of an InvoiceDetail, in the seed's order; each has `_quantity`, `_rate` and `_total`. */
export const LINE_ITEMS = [
  'energy_consumption',
  'distribution',
  'transmission',
  'stranded_costs',
  'conservation',
] as const

/** A line item of an InvoiceDetail (`energy_consumption`, `distribution`, …). */
export type LineItem = (typeof LINE_ITEMS)[number]

/** The numeric fields of an InvoiceDetail. */
export type InvoiceDetailAmountField =
  | 'invoice_total'
  | `${LineItem}_${'quantity' | 'rate' | 'total'}`
  | 'credit_rate'
  | 'credit_carryover'
  | 'credit_new'
  | 'credit_allocated'
  | 'credit_remaining_total'

/** The exact amount of an Invoice (summary): its `invoice_total`, in cents. */
export interface ExactInvoiceAmounts {
  readonly invoice_total: ExactAmount
}

/**
 * The exact amounts of an InvoiceDetail, by field name: money totals (`invoice_total`,
 * `*_total` of the line items) in cents (scale ≥ 2); rates, quantities and credits (kWh) at
 * the scale of their wire text.
 */
export type ExactInvoiceDetailAmounts = { readonly [K in InvoiceDetailAmountField]: ExactAmount }

const MONEY_TOTALS: ReadonlySet<string> = new Set(['invoice_total', ...LINE_ITEMS.map((l) => `${l}_total`)])

const DETAIL_FIELDS: readonly InvoiceDetailAmountField[] = [
  'invoice_total',
  ...LINE_ITEMS.flatMap((l) => [`${l}_quantity`, `${l}_rate`, `${l}_total`] as const),
  'credit_rate',
  'credit_carryover',
  'credit_new',
  'credit_allocated',
  'credit_remaining_total',
]

function read(value: number, field: InvoiceDetailAmountField): ExactAmount {
  const what = `the invoice's \`${field}\``
  // Parsed invoices hold numbers only; a string here means the object was not parsed.
  if (typeof value !== 'number') throw badOption(`${what} must be a finite number`)
  const amount = readAmount(value, what)
  // Money totals count in cents at least, so `12.3` reads as 1230 cents.
  if (MONEY_TOTALS.has(field) && amount.scale < 2) {
    return amountOf(amount.units * 10n ** BigInt(2 - amount.scale), 2)
  }
  return amount
}

/**
 * Every amount of an InvoiceDetail (or the total of an Invoice) as an exact decimal, computed
 * from the decimal text of each JSON number, so sums of them never drift as float sums do.
 * Money totals are in integer cents (`units` with `scale` 2, more only if the provider sent
 * more decimals); rates keep all their decimals (a scaled integer: 0.12345 is
 * `{ units: 12345n, scale: 5 }`).
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` when a field is missing or not a finite number
 *   (pass what `parseInvoiceDetail` or a session returned).
 * @example
 * ```ts
 * import { addAmounts, exactAmounts, formatAmount } from 'ecis-consumer'
 *
 * const detail = await session.invoiceDetail('0018-102', '09183eef267')
 * const exact = exactAmounts(detail)
 * exact.invoice_total                   // { units: 8123n, scale: 2 }: $81.23 as 8123 cents
 * formatAmount(addAmounts(exact.energy_consumption_total, exact.distribution_total)) // '74.10'
 * ```
 */
export function exactAmounts(detail: InvoiceDetail): ExactInvoiceDetailAmounts
export function exactAmounts(invoice: Invoice): ExactInvoiceAmounts
export function exactAmounts(invoice: Invoice | InvoiceDetail): ExactInvoiceAmounts | ExactInvoiceDetailAmounts {
  if (!invoice || typeof invoice !== 'object') {
    throw badOption('exactAmounts(): expected an Invoice or InvoiceDetail object')
  }
  if (!('energy_consumption_total' in invoice)) {
    return Object.freeze({ invoice_total: read(invoice.invoice_total, 'invoice_total') })
  }
  return exactDetailAmounts(invoice)
}

/**
 * {@link exactAmounts} of an InvoiceDetail; a missing line item or credit field is an error.
 * @internal
 */
export function exactDetailAmounts(detail: InvoiceDetail): ExactInvoiceDetailAmounts {
  if (!detail || typeof detail !== 'object') {
    throw badOption('expected an InvoiceDetail object')
  }
  const out: Partial<Record<InvoiceDetailAmountField, ExactAmount>> = {}
  // Typed `number`: a field name above that is not a number field of InvoiceDetail does not compile.
  for (const field of DETAIL_FIELDS) out[field] = read(detail[field] satisfies number, field)
  return Object.freeze(out as ExactInvoiceDetailAmounts)
}
