/**
 * The three ECIS response objects. Each schema and its type share a name pair
 * (`BasicSchema` / `Basic`); the types are inferred, never written by hand.
 *
 * @module
 */
import * as z from 'zod'
import { Vocabulary as V } from './vocabulary.js'

/** Response to an ECI Basic request: the account's standing data. */
export const BasicSchema = z.object({
  system_account_id: V.system_account_id,
  account_type: V.account_type,
  rate_code: V.rate_code,
  next_read_date: V.next_read_date,
  meter_number: V.meter_number,
  producer_projects: V.producer_projects,
  /** Invoice ids, ordered by date as the provider lists them. */
  system_invoice_ids: V.system_invoice_ids,
  billing_period_start: V.billing_period_start,
  billing_period_end: V.billing_period_end,
})
/** An account's standing data (ECI Basic response). */
export type Basic = z.infer<typeof BasicSchema>

/** Response to an ECI Invoice request: one bill's summary. */
export const InvoiceSchema = z.object({
  system_account_id: V.system_account_id,
  system_invoice_id: V.system_invoice_id,
  rate_code: V.rate_code,
  next_read_date: V.next_read_date,
  meter_number: V.meter_number,
  invoice_date: V.invoice_date,
  invoice_due_date: V.invoice_due_date,
  invoice_total: V.invoice_total,
  invoice_paid: V.invoice_paid,
  service_period_start: V.service_period_start,
  service_period_end: V.service_period_end,
  billing_period_start: V.billing_period_start,
  billing_period_end: V.billing_period_end,
})
/** One bill's summary (ECI Invoice response). */
export type Invoice = z.infer<typeof InvoiceSchema>

/** Response to an ECI Invoice Detail request: the bill with its line items and credits. */
export const InvoiceDetailSchema = InvoiceSchema.extend({
  delivery_unit: V.delivery_unit,
  service_unit: V.service_unit,
  energy_consumption_quantity: V.energy_consumption_quantity,
  energy_consumption_rate: V.energy_consumption_rate,
  energy_consumption_total: V.energy_consumption_total,
  distribution_quantity: V.distribution_quantity,
  distribution_rate: V.distribution_rate,
  distribution_total: V.distribution_total,
  transmission_quantity: V.transmission_quantity,
  transmission_rate: V.transmission_rate,
  transmission_total: V.transmission_total,
  stranded_costs_quantity: V.stranded_costs_quantity,
  stranded_costs_rate: V.stranded_costs_rate,
  stranded_costs_total: V.stranded_costs_total,
  conservation_quantity: V.conservation_quantity,
  conservation_rate: V.conservation_rate,
  conservation_total: V.conservation_total,
  credit_unit: V.credit_unit,
  credit_rate: V.credit_rate,
  credit_carryover: V.credit_carryover,
  credit_new: V.credit_new,
  credit_allocated: V.credit_allocated,
  credit_remaining_total: V.credit_remaining_total,
})
/** A bill with its line items and net-metering credits (ECI Invoice Detail response). */
export type InvoiceDetail = z.infer<typeof InvoiceDetailSchema>
