/** Options of the generated Green Button feeds, resolved once, and the local time they are written in. */
import { badOption } from '../../resolve.js'

/** One usage point of a generated feed. */
export interface GeneratedUsagePointSpec {
  /** @default 'electricity' */
  service?: 'electricity' | 'gas' | undefined
  /** Seconds per interval reading: 900, 3600 or 86400. @default 900 for electricity, 86400 for gas */
  interval?: 900 | 3600 | 86400 | undefined
  /**
   * How the bills are carried: `usage-summary` (a `UsageSummary` per billing period),
   * `costed-readings` (a meter reading with one costed `IntervalReading` per billing period, no
   * usage summary), or `none`.
   * @default 'usage-summary'
   */
  bills?: 'usage-summary' | 'costed-readings' | 'none' | undefined
  /** The summary's element name (`ElectricPowerUsageSummary` is ESPI 1.x). @default 'UsageSummary' */
  summaryElement?: 'UsageSummary' | 'ElectricPowerUsageSummary' | undefined
  /** Itemise each usage summary (`costAdditionalDetailLastPeriod`). @default true */
  lineItems?: boolean | undefined
  /** Each line's own `powerOfTenMultiplier` (−2 to 3; 0 writes none). @default 0 */
  lineMultiplier?: number | undefined
  /** Add a payment line and an information line (previous balance), neither part of the bill. @default true */
  payments?: boolean | undefined
}

/** Options of {@link generateEspiFeed}. */
export interface GenerateEspiFeedOptions {
  /** Same seed, same feed. @default 1 */
  seed?: number | string | undefined
  /** First local day of the first billing period (`YYYY-MM-DD`). @default '2025-01-01' */
  start?: string | undefined
  /** Monthly billing periods. @default 12 */
  months?: number | undefined
  /** @default one electric point (15-minute) and one gas point (daily) */
  usagePoints?: GeneratedUsagePointSpec[] | undefined
  /** The local time the feed is written in; `utc` writes no `LocalTimeParameters`. @default 'us-eastern' */
  timeZone?: 'us-eastern' | 'us-pacific' | 'utc' | undefined
}

/** A usage point spec with its defaults. */
export type ResolvedPointSpec = Required<{
  [K in keyof GeneratedUsagePointSpec]: NonNullable<GeneratedUsagePointSpec[K]>
}>

/** The rule codes of North American DST: second Sunday of March and first Sunday of November, 02:00. */
export const US_DST = { dstStartRule: 0x360e2000, dstEndRule: 0xb40e2000, dstOffset: 3600 }
const ZONES = { 'us-eastern': -18_000, 'us-pacific': -28_800 } as const

/** Local time parameters of a zone, or undefined for UTC. */
export function zoneParameters(zone: GenerateEspiFeedOptions['timeZone']) {
  if (zone === 'utc') return undefined
  return { ...US_DST, tzOffset: ZONES[zone ?? 'us-eastern'] }
}

function point(spec: GeneratedUsagePointSpec): ResolvedPointSpec {
  const service = spec.service ?? 'electricity'
  const lineMultiplier = spec.lineMultiplier ?? 0
  if (!Number.isInteger(lineMultiplier) || lineMultiplier < -2 || lineMultiplier > 3) {
    throw badOption('`lineMultiplier` must be a whole number from -2 to 3')
  }
  const interval = spec.interval ?? (service === 'gas' ? 86_400 : 900)
  if (![900, 3600, 86_400].includes(interval)) throw badOption('`interval` must be 900, 3600 or 86400')
  return {
    service,
    interval,
    bills: spec.bills ?? 'usage-summary',
    summaryElement: spec.summaryElement ?? 'UsageSummary',
    lineItems: spec.lineItems ?? true,
    lineMultiplier,
    payments: spec.payments ?? true,
  }
}

/** The options checked, with defaults. */
export function resolveFeedOptions(options: GenerateEspiFeedOptions) {
  const start = options.start ?? '2025-01-01'
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(start)
  if (!m) throw badOption('`start` must be a YYYY-MM-DD date')
  const months = options.months ?? 12
  if (!Number.isInteger(months) || months < 1 || months > 120) throw badOption('`months` must be from 1 to 120')
  const specs = options.usagePoints ?? [{ service: 'electricity' }, { service: 'gas' }]
  return {
    seed: options.seed ?? 1,
    year: Number(m[1]),
    month: Number(m[2]) - 1,
    day: Number(m[3]),
    months,
    points: specs.map(point),
    time: zoneParameters(options.timeZone),
  }
}
