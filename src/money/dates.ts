import { badOption } from '../resolve.js'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MS_PER_DAY = 86_400_000

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` date.
 * @throws {EciConfigError} when `value` is not a real calendar date.
 */
export function dayNumber(value: unknown, what: string): number {
  const m = typeof value === 'string' ? DATE.exec(value) : null
  const time = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN
  if (!m || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    throw badOption(`${what} must be a YYYY-MM-DD date`)
  }
  return time / MS_PER_DAY
}

/** The `YYYY-MM-DD` date of a day number. */
export function dateOfDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10)
}
