/**
 * Interval readings totalled per local day or month, exact: what `ecis green-button usage` prints
 * and what a producer compares with its own production data.
 *
 * @module
 */
import type { ExactAmount } from '../money/amount.js'
import { espiMoney, espiQuantity } from './amounts.js'
import type { LocalTimeParameters, MeterReading } from './feed.js'
import { localDate, localMonth } from './local-time.js'

/** One period's total of a meter reading's interval readings. */
export interface UsageTotal {
  /** The local day (`YYYY-MM-DD`) or month (`YYYY-MM`). */
  period: string
  /** How many readings started in it (96 for a day of 15-minute readings, 92 or 100 on DST days). */
  readings: number
  /** The sum of their values in `unit`, exact. */
  value: ExactAmount
  unit: string
  /** The sum of their costs, when every one of them has a cost. */
  cost?: ExactAmount | undefined
}

/**
 * A meter reading's interval readings totalled per local day or month (a reading counts in the
 * period its start falls in, in the usage point's local time; UTC without local time parameters).
 * @example
 * ```ts
 * import { usageTotals } from 'ecis-consumer/green-button'
 *
 * for (const point of feed.usagePoints) {
 *   for (const series of point.meterReadings) {
 *     const days = usageTotals(series, 'day', point.localTimeParameters)
 *     console.log(point.id, days.length, 'days')
 *   }
 * }
 * ```
 */
export function usageTotals(series: MeterReading, by: 'day' | 'month', time?: LocalTimeParameters): UsageTotal[] {
  const period = by === 'day' ? localDate : localMonth
  const groups = new Map<string, { n: number; value: bigint; cost: bigint; costed: number }>()
  for (const r of series.intervalReadings) {
    const key = period(r.start, time)
    const g = groups.get(key) ?? { n: 0, value: 0n, cost: 0n, costed: 0 }
    g.n++
    g.value += BigInt(r.value)
    if (r.cost !== undefined) {
      g.cost += BigInt(r.cost)
      g.costed++
    }
    groups.set(key, g)
  }
  const type = series.readingType
  return [...groups].map(([key, g]) => {
    const { value, unit } = espiQuantity(g.value, type?.uom, type?.powerOfTenMultiplier)
    const total: UsageTotal = { period: key, readings: g.n, value, unit }
    if (g.costed === g.n) total.cost = espiMoney(g.cost)
    return total
  })
}
