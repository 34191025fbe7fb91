/**
 * The ESPI code lists the SDK names: service kinds, units of measure (`UnitSymbolKind`), ISO 4217
 * currencies and bill line item kinds. Numbers come from NAESB REQ.21 `espi.xsd`.
 *
 * @module
 */

/** What a usage point measures (`ServiceCategory/kind`); `unknown` for a code ESPI does not define or a missing one. */
export type ServiceKind =
  | 'electricity'
  | 'gas'
  | 'water'
  | 'time'
  | 'heat'
  | 'refuse'
  | 'sewerage'
  | 'rates'
  | 'tvLicence'
  | 'internet'
  | 'weather'
  | 'unknown'

/** `ServiceKind` names by code (`ServiceCategory/kind`). */
const SERVICE_KINDS: readonly Exclude<ServiceKind, 'unknown'>[] = [
  'electricity',
  'gas',
  'water',
  'time',
  'heat',
  'refuse',
  'sewerage',
  'rates',
  'tvLicence',
  'internet',
  'weather',
]

/** The name of a `ServiceKind` code. */
export function serviceKindName(code: number | undefined): ServiceKind {
  return (code === undefined ? undefined : SERVICE_KINDS[code]) ?? 'unknown'
}

/** The code of a service kind name (for writers of ESPI). */
export function serviceKindCode(kind: Exclude<ServiceKind, 'unknown'>): number {
  return SERVICE_KINDS.indexOf(kind)
}

/**
 * `UnitSymbolKind` symbols for the codes Green Button files use (energy, volume, power, money,
 * time); another code keeps its number and has no symbol.
 */
export const UNIT_SYMBOLS: Readonly<Record<number, string>> = Object.freeze({
  0: 'none',
  5: 'A',
  27: 's',
  29: 'V',
  31: 'J',
  33: 'Hz',
  38: 'W',
  42: 'm3',
  61: 'VA',
  63: 'VAr',
  71: 'VAh',
  72: 'Wh',
  73: 'VArh',
  80: 'money',
  106: 'Ah',
  119: 'ft3',
  120: 'ft3compensated',
  125: 'm3/h',
  128: 'usGal',
  130: 'imperialGal',
  132: 'btu',
  133: 'btu/h',
  134: 'L',
  159: 'min',
  160: 'h',
  166: 'm3uncompensated',
  167: 'm3compensated',
  169: 'therm',
})

/** The code of a unit symbol of {@link UNIT_SYMBOLS} (for writers of ESPI). */
export function unitCode(symbol: string): number | undefined {
  for (const [code, s] of Object.entries(UNIT_SYMBOLS)) if (s === symbol) return Number(code)
  return undefined
}

/** ISO 4217 letters by numeric code: the currencies `espi.xsd` lists, and Mexico's. */
export const CURRENCIES: Readonly<Record<number, string>> = Object.freeze({
  36: 'AUD',
  124: 'CAD',
  156: 'CNY',
  208: 'DKK',
  356: 'INR',
  392: 'JPY',
  484: 'MXN',
  578: 'NOK',
  643: 'RUB',
  752: 'SEK',
  756: 'CHF',
  826: 'GBP',
  840: 'USD',
  978: 'EUR',
})

/** The numeric ISO 4217 code of currency letters of {@link CURRENCIES} (for writers of ESPI). */
export function currencyCode(letters: string): number | undefined {
  for (const [code, s] of Object.entries(CURRENCIES)) if (s === letters) return Number(code)
  return undefined
}

/** What a bill line is (`ItemKind` 1–10); `unknown` for a code ESPI does not define. */
export type LineItemKind =
  | 'energy-generation-fee'
  | 'energy-delivery-fee'
  | 'energy-usage-fee'
  | 'administrative-fee'
  | 'tax'
  | 'energy-generation-credit'
  | 'energy-delivery-credit'
  | 'administrative-credit'
  | 'payment'
  | 'information'
  | 'unknown'

/** `ItemKind` names by code: what a bill line is. */
const ITEM_KINDS: readonly (Exclude<LineItemKind, 'unknown'> | undefined)[] = [
  undefined,
  'energy-generation-fee',
  'energy-delivery-fee',
  'energy-usage-fee',
  'administrative-fee',
  'tax',
  'energy-generation-credit',
  'energy-delivery-credit',
  'administrative-credit',
  'payment',
  'information',
]

/** The name of an `ItemKind` code. */
export function lineItemKindName(code: number): LineItemKind {
  return ITEM_KINDS[code] ?? 'unknown'
}

/** The code of a line item kind (for writers of ESPI). */
export function lineItemKindCode(kind: Exclude<LineItemKind, 'unknown'>): number {
  return ITEM_KINDS.indexOf(kind)
}

/**
 * Whether a line of this kind is part of the period's charges. Payments (9) settle earlier bills
 * and information lines (10: balances, totals, notes) restate figures: neither is summed into a
 * bill, and neither is a line of an unknown kind.
 */
export function isChargeKind(kind: LineItemKind): boolean {
  return kind !== 'payment' && kind !== 'information' && kind !== 'unknown'
}
