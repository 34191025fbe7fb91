/**
 * The three ECIS response objects. Each schema and its type share a name pair
 * (`BasicSchema` / `Basic`); the types are inferred, never written by hand.
 *
 * @module
 */
import * as z from 'zod'
import { Vocabulary as V, type VocabularyTerm } from './vocabulary.js'

/**
 * The vocabulary terms `names` as a zod shape. `Pick` keeps each term's documentation, so every
 * field of `Basic`, `Invoice` and `InvoiceDetail` carries its vocabulary meaning, written once in
 * `vocabulary.ts`.
 */
function terms<const K extends VocabularyTerm>(...names: K[]): Pick<typeof V, K> {
  const shape = {} as Pick<typeof V, K>
  for (const name of names) (shape as Record<string, unknown>)[name] = V[name]
  return shape
}

/** Response to an ECI Basic request: the account's standing data. */
export const BasicSchema = z.object(
  terms(
    'system_account_id',
    'account_type',
    'rate_code',
    'next_read_date',
    'meter_number',
    'producer_projects',
    'system_invoice_ids',
    'billing_period_start',
    'billing_period_end',
  ),
)
/** An account's standing data (ECI Basic response). */
export type Basic = z.infer<typeof BasicSchema>

/** Response to an ECI Invoice request: one bill's summary. */
export const InvoiceSchema = z.object(
  terms(
    'system_account_id',
    'system_invoice_id',
    'rate_code',
    'next_read_date',
    'meter_number',
    'invoice_date',
    'invoice_due_date',
    'invoice_total',
    'invoice_paid',
    'service_period_start',
    'service_period_end',
    'billing_period_start',
    'billing_period_end',
  ),
)
/** One bill's summary (ECI Invoice response). */
export type Invoice = z.infer<typeof InvoiceSchema>

/** Response to an ECI Invoice Detail request: the bill with its line items and credits. */
export const InvoiceDetailSchema = InvoiceSchema.extend(
  terms(
    'delivery_unit',
    'service_unit',
    'energy_consumption_quantity',
    'energy_consumption_rate',
    'energy_consumption_total',
    'distribution_quantity',
    'distribution_rate',
    'distribution_total',
    'transmission_quantity',
    'transmission_rate',
    'transmission_total',
    'stranded_costs_quantity',
    'stranded_costs_rate',
    'stranded_costs_total',
    'conservation_quantity',
    'conservation_rate',
    'conservation_total',
    'credit_unit',
    'credit_rate',
    'credit_carryover',
    'credit_new',
    'credit_allocated',
    'credit_remaining_total',
  ),
)
/** A bill with its line items and net-metering credits (ECI Invoice Detail response). */
export type InvoiceDetail = z.infer<typeof InvoiceDetailSchema>
