import { badOption } from '../resolve.js'
import { calendarDay } from '../schemas/fields.js'

const MS_PER_DAY = 86_400_000

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` date, by the schemas' date rule (so a date the schema
 * accepted is always a date here).
 * @throws {EciConfigError} when `value` is not a real calendar date.
 */
export function dayNumber(value: unknown, what: string): number {
  const day = calendarDay(value)
  if (day === undefined) throw badOption(`${what} must be a YYYY-MM-DD date`)
  return day
}

/** The `YYYY-MM-DD` date of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10)
}
