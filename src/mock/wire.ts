/**
 * How the mock provider spells ECIS data on the wire.
 * @module
 */
import { SEED_WIRE_NAMES, VOCABULARY_WIRE_NAMES } from '../schemas/wire-names.js'

/**
 * - `seed` (default): the field names of the seed document's response lists, including its
 *   `serivce_period_end` typo; JSON numbers, booleans and `YYYY-MM-DD` dates.
 * - `canonical`: the SDK's canonical names (`service_period_end`).
 * - `deviant`: the common real-world deviations a `lenient` client must absorb: numbers and
 *   booleans as strings, the vocabulary's `credit_*_total` names, and date-times where dates are due.
 */
export type MockDialect = 'seed' | 'canonical' | 'deviant'

const SEED_NAMES: Readonly<Record<string, string>> = SEED_WIRE_NAMES
const DEVIANT_NAMES: Readonly<Record<string, string>> = { ...SEED_WIRE_NAMES, ...VOCABULARY_WIRE_NAMES }
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Converts one canonical ECIS object to its wire form in `dialect`. */
export function toWire(data: object, dialect: MockDialect): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) {
    if (dialect === 'canonical') {
      out[key] = value
    } else if (dialect === 'seed') {
      out[SEED_NAMES[key] ?? key] = value
    } else {
      let wire: unknown = value
      if (typeof value === 'number' || typeof value === 'boolean') wire = String(value)
      else if (typeof value === 'string' && DATE.test(value)) wire = `${value}T00:00:00Z`
      out[DEVIANT_NAMES[key] ?? key] = wire
    }
  }
  return out
}
