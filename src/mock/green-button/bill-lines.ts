/** The line items of a generated bill, in whole cents, so that every total is exact by construction. */
import type { Prng } from '../prng.js'

/** One generated bill line: `itemKind` per ESPI, the amount in cents. */
export interface GeneratedLine {
  itemKind: number
  cents: number
  note: string
  /** Price per unit in hundred-thousandths (energy lines). */
  unitCost?: number | undefined
  /** The measured amount the line prices: raw value, its uom code and multiplier. */
  measurement?: { value: number; uom: number; multiplier: number } | undefined
}

/** Tariff of a generated usage point: prices in hundred-thousandths of a dollar per kWh or therm. */
const TARIFFS = {
  electricity: {
    energy: 12_345,
    delivery: 4_567,
    fixedCents: 950,
    taxPercent: 6,
    uom: 72,
    multiplier: 0,
    perUnit: 1000,
  },
  gas: { energy: 98_765, delivery: 34_567, fixedCents: 1_200, taxPercent: 5, uom: 169, multiplier: -3, perUnit: 1000 },
} as const

/** The tariff names written as `tariffProfile`. */
export const TARIFF_NAMES = { electricity: 'E-TOU-C', gas: 'G-1' } as const

/**
 * The bill's lines for `consumption` (raw reading units: Wh, or thousandths of a therm): energy,
 * delivery, the fixed charge, sometimes a generation credit, and the tax; with `payments`, also a
 * payment of the previous bill and an information line with the previous balance.
 */
export function billLines(
  service: 'electricity' | 'gas',
  consumption: number,
  previousCents: number | undefined,
  payments: boolean,
  prng: Prng,
): GeneratedLine[] {
  const t = TARIFFS[service]
  // consumption / perUnit units × price (hundred-thousandths) → cents, rounded half up.
  const cents = (price: number) => Math.floor((consumption * price) / t.perUnit / 1000 + 0.5)
  const measurement = { value: consumption, uom: t.uom, multiplier: t.multiplier }
  const lines: GeneratedLine[] = [
    { itemKind: 3, cents: cents(t.energy), note: 'Energy charge', unitCost: t.energy, measurement },
    { itemKind: 2, cents: cents(t.delivery), note: 'Delivery charge', unitCost: t.delivery, measurement },
    { itemKind: 4, cents: t.fixedCents, note: 'Customer charge' },
  ]
  if (service === 'electricity' && prng.chance(0.5)) {
    lines.push({ itemKind: 6, cents: -prng.int(500, 3000), note: 'Community solar credit' })
  }
  const subtotal = lines.reduce((n, l) => n + l.cents, 0)
  lines.push({ itemKind: 5, cents: Math.floor((subtotal * t.taxPercent) / 100 + 0.5), note: 'State energy tax' })
  if (payments && previousCents !== undefined) {
    lines.push({ itemKind: 10, cents: previousCents, note: 'Previous balance' })
    lines.push({ itemKind: 9, cents: -previousCents, note: 'Payment received, thank you' })
  }
  return lines
}

/** The bill's total: its charge lines (not the payment and information lines). */
export function totalCents(lines: readonly GeneratedLine[]): number {
  return lines.filter((l) => l.itemKind !== 9 && l.itemKind !== 10).reduce((n, l) => n + l.cents, 0)
}
