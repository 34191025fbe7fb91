/**
 * One zod type per ECIS vocabulary term. Response schemas are assembled from these, and the
 * lenient normaliser recognises a field's kind by the identity of its type, so each kind is
 * defined exactly once here.
 *
 * @module
 */
import * as z from 'zod'

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** True when `value` is `YYYY-MM-DD` and names a real calendar day (`2026-02-30` is not). */
export function isCalendarDate(value: string): boolean {
  const m = ISO_DATE.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false
  const probe = new Date(Date.UTC(2000, mo - 1, d))
  probe.setUTCFullYear(y)
  return probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d
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
