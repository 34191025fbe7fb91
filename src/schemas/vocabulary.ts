/**
 * The ECIS vocabulary: each term's type (see docs/vocabulary.md for every resolution; the
 * wire spellings besides the canonical names are in `wire-names.ts`).
 *
 * @module
 */
import { AccountType, Amount, Flag, Identifier, IdentifierList, IsoDate, Text } from './fields.js'

/** Zod type of every vocabulary term, keyed by its canonical (SDK output) name. */
export const Vocabulary = {
  /** The customer's account id at the utility (the ECI Provider); what every ECI request names. */
  system_account_id: Identifier,
  /** `"electric"` or `"gas"`: the kind of service the account is for. */
  account_type: AccountType,
  /** The tariff (rate code) the utility bills the account at, as the utility names it. */
  rate_code: Text,
  /** Start of the account's last billing period, `YYYY-MM-DD` (optional: the seed names it in its vocabulary only). */
  billing_period_start: IsoDate.optional(),
  /** End of the account's last billing period, `YYYY-MM-DD` (optional, as `billing_period_start`). */
  billing_period_end: IsoDate.optional(),
  /** The account's next meter reading date, `YYYY-MM-DD`. */
  next_read_date: IsoDate,
  /** The account's meter number (may be empty). */
  meter_number: Text,
  /** Ids of the renewable energy projects (e.g. community solar) the account is allocated credits from. */
  producer_projects: IdentifierList,
  /** The account's invoice ids, ordered by invoice date (oldest first). */
  system_invoice_ids: IdentifierList,
  /** The invoice's id at the utility. */
  system_invoice_id: Identifier,
  /** The date the bill was issued, `YYYY-MM-DD`. */
  invoice_date: IsoDate,
  /** The date the bill is due, `YYYY-MM-DD`. */
  invoice_due_date: IsoDate,
  /** The bill's total charge in USD (a JSON number; `exactAmounts` gives it exactly). */
  invoice_total: Amount,
  /** `true` when the bill has been paid, `false` while it is outstanding. The seed's wording ("if the bill is outstanding") is inverted; the SDK documents and tests this reading (docs/vocabulary.md). */
  invoice_paid: Flag,
  /** First day of the service period the bill covers, `YYYY-MM-DD`. */
  service_period_start: IsoDate,
  /** Last day of the service period the bill covers, `YYYY-MM-DD` (the seed's wire spelling `serivce_period_end` is accepted). */
  service_period_end: IsoDate,
  /** Unit of the delivery line items (`kWh` for electric, `therm` for gas, …). */
  delivery_unit: Identifier,
  /** Unit of service-based charges (e.g. `day`). */
  service_unit: Identifier,
  /** Energy consumed in the service period, in `delivery_unit`. */
  energy_consumption_quantity: Amount,
  /** Price per `delivery_unit` of energy, USD. */
  energy_consumption_rate: Amount,
  /** Energy charge, USD: quantity × rate, to the cent. */
  energy_consumption_total: Amount,
  /** Quantity the distribution charge is billed on, in `delivery_unit`. */
  distribution_quantity: Amount,
  /** Distribution price per unit, USD. */
  distribution_rate: Amount,
  /** Distribution charge, USD: quantity × rate, to the cent. */
  distribution_total: Amount,
  /** Quantity the transmission charge is billed on, in `delivery_unit`. */
  transmission_quantity: Amount,
  /** Transmission price per unit, USD. */
  transmission_rate: Amount,
  /** Transmission charge, USD: quantity × rate, to the cent. */
  transmission_total: Amount,
  /** Quantity the stranded-costs charge is billed on, in `delivery_unit`. */
  stranded_costs_quantity: Amount,
  /** Stranded-costs price per unit, USD. */
  stranded_costs_rate: Amount,
  /** Stranded-costs charge, USD: quantity × rate, to the cent. */
  stranded_costs_total: Amount,
  /** Quantity the conservation charge is billed on, in `delivery_unit`. */
  conservation_quantity: Amount,
  /** Conservation price per unit, USD. */
  conservation_rate: Amount,
  /** Conservation charge, USD: quantity × rate, to the cent. */
  conservation_total: Amount,
  /** Unit of the net-metering credits (`kWh`, or the gas account's unit). */
  credit_unit: Identifier,
  /** Value of one `credit_unit` of credit, USD. */
  credit_rate: Amount,
  /** Credits carried over from the previous bill, in `credit_unit` (wire: also `credit_carryover_total`). */
  credit_carryover: Amount,
  /** Credits newly allocated to the account this period, in `credit_unit` (wire: also `credit_new_total`). */
  credit_new: Amount,
  /** Credits applied to this bill, in `credit_unit` (wire: also `credit_allocated_total`). */
  credit_allocated: Amount,
  /** Credits left after this bill: carryover + new − allocated, in `credit_unit`. */
  credit_remaining_total: Amount,
} as const

/** A canonical ECIS field name. */
export type VocabularyTerm = keyof typeof Vocabulary
