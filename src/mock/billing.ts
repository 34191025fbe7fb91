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

/** `YYYY-MM-DD` plus `days` (may be negative). */
export function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}
