/**
 * The ECIS vocabulary: each term's type (see docs/vocabulary.md for every resolution; the
 * wire spellings besides the canonical names are in `wire-names.ts`).
 *
 * @module
 */
import { AccountType, Amount, Flag, Identifier, IdentifierList, IsoDate, Text } from './fields.js'

/** Zod type of every vocabulary term, keyed by its canonical (SDK output) name. */
export const Vocabulary = {
  system_account_id: Identifier,
  account_type: AccountType,
  rate_code: Text,
  billing_period_start: IsoDate.optional(),
  billing_period_end: IsoDate.optional(),
  next_read_date: IsoDate,
  meter_number: Text,
  producer_projects: IdentifierList,
  system_invoice_ids: IdentifierList,
  system_invoice_id: Identifier,
  invoice_date: IsoDate,
  invoice_due_date: IsoDate,
  invoice_total: Amount,
  /** `true` when the invoice has been paid (the seed's wording is inverted; see the docs). */
  invoice_paid: Flag,
  service_period_start: IsoDate,
  service_period_end: IsoDate,
  delivery_unit: Identifier,
  service_unit: Identifier,
  energy_consumption_quantity: Amount,
  energy_consumption_rate: Amount,
  energy_consumption_total: Amount,
  distribution_quantity: Amount,
  distribution_rate: Amount,
  distribution_total: Amount,
  transmission_quantity: Amount,
  transmission_rate: Amount,
  transmission_total: Amount,
  stranded_costs_quantity: Amount,
  stranded_costs_rate: Amount,
  stranded_costs_total: Amount,
  conservation_quantity: Amount,
  conservation_rate: Amount,
  conservation_total: Amount,
  credit_unit: Identifier,
  credit_rate: Amount,
  credit_carryover: Amount,
  credit_new: Amount,
  credit_allocated: Amount,
  credit_remaining_total: Amount,
} as const

/** A canonical ECIS field name. */
export type VocabularyTerm = keyof typeof Vocabulary
