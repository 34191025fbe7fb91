/**
 * One zod type per ECIS vocabulary term. Response schemas are assembled from these, and the
 * lenient normaliser recognises a field's kind by the identity of its type, so each kind is
 * defined exactly once here.
 *
 * @module
 */
import * as z from 'zod'

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MS_PER_DAY = 86_400_000

/**
 * The day number (days since 1970-01-01, UTC) of a `YYYY-MM-DD` string naming a real calendar
 * day, years 0001–9999 (`2026-02-30` is not one); `undefined` for anything else. The one date
 * rule of the SDK: the schemas and the money audits both use it.
 */
export function calendarDay(value: unknown): number | undefined {
  const m = typeof value === 'string' ? ISO_DATE.exec(value) : null
  if (!m) return undefined
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return undefined
  // Date.UTC maps years 0–99 to 1900–1999; set the year separately.
  const probe = new Date(Date.UTC(2000, mo - 1, d))
  probe.setUTCFullYear(y)
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined
  return probe.getTime() / MS_PER_DAY
}

/** True when `value` is `YYYY-MM-DD` and names a real calendar day (`2026-02-30` is not). */
export function isCalendarDate(value: string): boolean {
  return calendarDay(value) !== undefined
}

/** An ISO 8601 calendar date, `YYYY-MM-DD` (no time, no zone). */
export const IsoDate = z.string().refine(isCalendarDate, {
  message: 'Expected a real calendar date in the form YYYY-MM-DD',
})

/** A finite JSON number (amounts in USD, quantities, rates). */
export const Amount = z.number({ error: 'Expected a finite number' })

/** A JSON boolean. */
export const Flag = z.boolean({ error: 'Expected a boolean' })

/** A non-empty identifier or unit string. */
export const Identifier = z.string({ error: 'Expected a non-empty string' }).min(1, {
  error: 'Expected a non-empty string',
})

/** A free-form string the provider defines (may be empty). */
export const Text = z.string({ error: 'Expected a string' })

/** A list of non-empty strings. */
export const IdentifierList = z.array(Identifier, { error: 'Expected an array of strings' })

/** `account_type`: the kind of service the account is for. */
export const AccountType = z.enum(['electric', 'gas'], {
  error: 'Expected "electric" or "gas"',
})
