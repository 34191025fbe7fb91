/**
 * The mock's bill arithmetic, in integers so every figure is exact: money in cents, rates in
 * units of 1e-5 USD, credits in whole kWh. Shared by the fixture generator and the injected
 * bill errors, so a re-settled bill adds up exactly like a generated one.
 * @module
 */

/** Exact half-up rounding of `value / 1000` for a non-negative integer `value`. */
export function roundThousandth(value: number): number {
  const rem = value % 1000
  return (value - rem) / 1000 + (rem >= 500 ? 1 : 0)
}

/** Cents of `quantity × rate`, with `rate` in units of 1e-5 USD, rounded half-up. */
export function lineCents(quantity: number, rate5: number): number {
  return roundThousandth(quantity * rate5)
}

/** One month's credit settlement. */
export interface CreditSettlement {
  /** kWh of credit applied to the bill. */
  allocated: number
  /** The value of the applied credit, in cents. */
  creditCents: number
  /** kWh left to carry over to the next bill. */
  remaining: number
}

/**
 * Applies credit to a bill of `chargesCents`: as much of `carryover + creditNew` as the charges
 * can absorb (credits never make a bill negative), valued at `creditRate5` (1e-5 USD per kWh).
 */
export function settleCredits(
  chargesCents: number,
  creditRate5: number,
  carryover: number,
  creditNew: number,
): CreditSettlement {
  const available = carryover + creditNew
  const affordable = creditRate5 > 0 ? Math.floor((chargesCents * 1000) / creditRate5) : 0
  const allocated = Math.min(available, affordable)
  const creditCents = creditRate5 > 0 ? roundThousandth(allocated * creditRate5) : 0
  return { allocated, creditCents, remaining: available - allocated }
}

/**
 * Days since 1970-01-01 of the proleptic Gregorian date (year, month 1–12, day), by integer
 * arithmetic over 400-year eras: generating thousands of accounts' histories calls the date
 * functions millions of times, and parsing `Date` strings dominated the time.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The `YYYY-MM-DD` of a day number (the inverse of {@link daysFromCivil}). */
export function civilDate(days: number): string {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`
}

/** Day number of a `YYYY-MM-DD` date (trusted input: the generator's own dates). */
export function dayOfDate(iso: string): number {
  return daysFromCivil(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)))
}

/** Day number of (year, month0, day), where month0 may run past 0–11 and day past the month's end, like `Date.UTC`. */
export function dayOfMonth(year: number, month0: number, day: number): number {
  const y = year + Math.floor(month0 / 12)
  const m0 = ((month0 % 12) + 12) % 12
  return daysFromCivil(y, m0 + 1, 1) + day - 1
}

/** `YYYY-MM-DD` plus `days` (may be negative). */
export function addDays(iso: string, days: number): string {
  return civilDate(dayOfDate(iso) + days)
}
