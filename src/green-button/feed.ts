/**
 * What {@link parseEspi} returns: the Atom feed's entries resolved through their `up`/`related`
 * links into a tree of usage points, each with its meter readings (reading type and sorted
 * interval readings), usage summaries, local time parameters and the customer data linked to it.
 *
 * @module
 */
import type { z } from 'zod'
import type { ServiceKind } from './codes.js'
import type {
  CustomerAccountResource,
  CustomerAgreementResource,
  CustomerResource,
  MeterResource,
  ServiceLocationResource,
} from './customer-resources.js'
import type {
  LocalTimeParametersResource,
  ReadingTypeResource,
  UsagePointResource,
  UsageSummaryResource,
} from './espi-resources.js'

/** The Atom side of an entry: its identity and links, as the feed states them. */
export interface AtomEntry {
  /** The entry's `<id>` (usually `urn:uuid:…`). */
  id?: string | undefined
  title?: string | undefined
  published?: string | undefined
  updated?: string | undefined
  /** `link rel="self"` href. */
  self?: string | undefined
  /** `link rel="up"` href: the collection the entry belongs to. */
  up?: string | undefined
  /** `link rel="related"` hrefs: the resources (or collections) the entry points to. */
  related: string[]
}

/** A `ReadingType` with the names of its codes. */
export interface ReadingType extends ReadingTypeResource {
  atom: AtomEntry
  /** The unit's symbol (`Wh`, `therm`, `ft3`, …) when the SDK knows the `uom` code. */
  unit?: string | undefined
  /** ISO 4217 letters of `currency` when the SDK knows the code. */
  currencyLetters?: string | undefined
}

/**
 * One interval reading, as integers exactly as the feed states them: `value` counts units of
 * 10^`powerOfTenMultiplier` of the reading type's unit, `cost` hundred-thousandths of its
 * currency. `start` is epoch seconds (no `Date`), `duration` seconds.
 * Use {@link readingQuantity} and {@link readingCost} for exact decimals.
 */
export interface IntervalReading {
  start: number
  duration: number
  value: number
  cost?: number | undefined
  /** `ReadingQuality` codes, when the feed gives any. */
  qualities?: number[] | undefined
  tou?: number | undefined
  consumptionTier?: number | undefined
  cpp?: number | undefined
}

/** A `MeterReading`: one series of readings of one reading type. */
export interface MeterReading {
  atom: AtomEntry
  /** The linked reading type; without one, the readings' unit is unknown. */
  readingType?: ReadingType | undefined
  /** The readings of every linked `IntervalBlock`, sorted by start, one per start. */
  intervalReadings: IntervalReading[]
}

/** A usage summary (`UsageSummary`, or `ElectricPowerUsageSummary` in ESPI 1.x feeds). */
export interface UsageSummary extends UsageSummaryResource {
  atom: AtomEntry
  /** The element the feed used. */
  element: 'UsageSummary' | 'ElectricPowerUsageSummary'
}

/** `LocalTimeParameters`: the usage point's standard offset and DST rules (seconds, rule codes). */
export interface LocalTimeParameters extends LocalTimeParametersResource {
  atom: AtomEntry
}

/** A customer resource with its Atom entry. */
export type WithAtom<T> = T & { atom: AtomEntry }

/** Retail customer resources (ESPI customer namespace). */
export interface CustomerData {
  customers: WithAtom<z.output<typeof CustomerResource>>[]
  accounts: WithAtom<z.output<typeof CustomerAccountResource>>[]
  agreements: WithAtom<z.output<typeof CustomerAgreementResource>>[]
  serviceLocations: WithAtom<z.output<typeof ServiceLocationResource>>[]
  meters: WithAtom<z.output<typeof MeterResource>>[]
}

/** A `UsagePoint` and everything linked to it. */
export interface UsagePoint extends UsagePointResource {
  /** The entry's Atom `id`, or its self link when it has none. */
  id: string
  atom: AtomEntry
  /** `ServiceCategory/kind` by name. */
  serviceKind: ServiceKind
  meterReadings: MeterReading[]
  /** Sorted by billing period start. */
  usageSummaries: UsageSummary[]
  localTimeParameters?: LocalTimeParameters | undefined
  /** The customer resources linked to this usage point (an empty list each when none is). */
  customer: CustomerData
}

/** A parsed Green Button file (Download My Data) or Connect My Data response. */
export interface EspiFeed {
  /** The feed's Atom `id` (absent for a single-entry document). */
  id?: string | undefined
  title?: string | undefined
  updated?: string | undefined
  usagePoints: UsagePoint[]
  /** Every customer resource in the file, linked to a usage point or not. */
  customer: CustomerData
}
