/**
 * ESPI integers as exact decimals, with the money room's {@link ExactAmount}: money is counted in
 * hundred-thousandths of the currency (scaled again by a line's own `powerOfTenMultiplier` where
 * a feed gives one), values in units of 10^`powerOfTenMultiplier` of their unit of measure.
 *
 * @module
 */
import { type ExactAmount, exactAmount, formatAmount } from '../money/amount.js'
import { UNIT_SYMBOLS } from './codes.js'
import type { IntervalReading, ReadingType } from './feed.js'

/** A measured amount with its unit, exact. */
export interface Quantity {
  /** The value with the multiplier applied: 768.032 for `768032` with multiplier −3. */
  value: ExactAmount
  /** The unit's symbol (`Wh`, `therm`, `ft3`, …), or `uom:<code>` for a code the SDK has no symbol for. */
  unit: string
}

/** ESPI money (`Int48` hundred-thousandths), scaled by `multiplier` when the line has its own. */
export function espiMoney(value: number | bigint, multiplier = 0): ExactAmount {
  return exactAmount(`${value}e${multiplier - 5}`)
}

/** The symbol of a `uom` code, or `uom:<code>`. */
export function unitSymbol(uom: number | undefined): string {
  if (uom === undefined) return 'uom:none'
  return UNIT_SYMBOLS[uom] ?? `uom:${uom}`
}

/** An ESPI value with its `uom` code and `powerOfTenMultiplier` as an exact {@link Quantity}. */
export function espiQuantity(value: number | bigint, uom: number | undefined, multiplier = 0): Quantity {
  return { value: exactAmount(`${value}e${multiplier}`), unit: unitSymbol(uom) }
}

/**
 * An interval reading's value in its reading type's unit, exact; `undefined` when the meter
 * reading has no reading type (the unit is then unknown).
 * @example
 * ```ts
 * import { formatAmount } from 'ecis-consumer'
 * import { readingQuantity } from 'ecis-consumer/green-button'
 *
 * for (const point of feed.usagePoints) {
 *   for (const series of point.meterReadings) {
 *     const [first] = series.intervalReadings
 *     const q = first && readingQuantity(first, series.readingType)
 *     if (q) console.log(formatAmount(q.value), q.unit) // '450 Wh'
 *   }
 * }
 * ```
 */
export function readingQuantity(reading: IntervalReading, readingType: ReadingType | undefined): Quantity | undefined {
  if (!readingType) return undefined
  return espiQuantity(reading.value, readingType.uom, readingType.powerOfTenMultiplier)
}

/** An interval reading's cost in its currency, exact (hundred-thousandths); `undefined` when it has none. */
export function readingCost(reading: IntervalReading): ExactAmount | undefined {
  return reading.cost === undefined ? undefined : espiMoney(reading.cost)
}

/** Units {@link quantityIn} converts between, as a power of ten of their base unit. */
const ENERGY: Readonly<Record<string, number>> = { Wh: 0, kWh: 3, MWh: 6 }

/**
 * A quantity in another unit of the same family, exact: `Wh`, `kWh` and `MWh` convert into each
 * other; any unit converts to itself. `undefined` when the units do not convert.
 */
export function quantityIn(quantity: Quantity, unit: string): ExactAmount | undefined {
  if (quantity.unit === unit) return quantity.value
  const from = ENERGY[quantity.unit]
  const to = ENERGY[unit]
  if (from === undefined || to === undefined) return undefined
  const shift = from - to
  const { units, scale } = quantity.value
  return shift >= 0 ? { units: units * 10n ** BigInt(shift), scale } : { units, scale: scale - shift }
}

/**
 * Money as decimal text with at least the cents and no trailing zeros beyond them
 * (`51.00000` → `51.00`, `12.34560` → `12.3456`): ESPI money has up to five decimals.
 */
export function formatMoney(amount: ExactAmount): string {
  return formatAmount(amount, { decimals: Math.max(2, amount.scale) }).replace(/(\.\d\d\d*?)0+$/, '$1')
}
