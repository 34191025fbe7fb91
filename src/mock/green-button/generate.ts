/**
 * Deterministic Green Button (ESPI) feeds, written to NAESB REQ.21 ESPI 3.3 as a Data Custodian
 * serves them: a subscription feed of usage points, local time parameters, reading types, meter
 * readings with daily interval blocks, and bills as usage summaries or as costed readings over
 * billing periods. Readings follow local days, so DST days have 23 or 25 hours of readings.
 *
 * @module
 */
import { serviceKindCode } from '../../green-button/codes.js'
import type { LocalTimeParametersResource } from '../../green-button/espi-resources.js'
import { createPrng, type Prng } from '../prng.js'
import { billLines, type GeneratedLine, TARIFF_NAMES, totalCents } from './bill-lines.js'
import { BASE, ESPI, entry, intervalValue, lineXml, localMidnight, readingXml, uuid } from './espi-writer.js'
import { type GenerateEspiFeedOptions, type ResolvedPointSpec, resolveFeedOptions } from './spec.js'
import { leaf, node } from './xml.js'

export type { GeneratedUsagePointSpec, GenerateEspiFeedOptions } from './spec.js'

/** A bill the generator wrote, with the figures a parser must find. */
export interface GeneratedEspiBill {
  /** Index of the usage point in the options (and in the feed). */
  usagePoint: number
  /** The usage point's Atom id. */
  usagePointId: string
  periodStart: number
  periodEnd: number
  /** The bill's total in cents (the sum of its charge lines). */
  totalCents: number
  /** Every line as written, in cents. */
  lines: GeneratedLine[]
  /** The period's consumption in raw reading units (Wh, or thousandths of a therm). */
  consumption: number
  source: 'UsageSummary' | 'ElectricPowerUsageSummary' | 'IntervalReading'
}

/** A generated feed: the XML and what it holds. */
export interface GeneratedEspiFeed {
  xml: string
  bills: GeneratedEspiBill[]
  /** Interval readings written per usage point (billing-period readings not counted). */
  readings: number[]
}

type Time = LocalTimeParametersResource | undefined

/** What one usage point's writing needs. */
interface PointContext {
  index: number
  spec: ResolvedPointSpec
  /** Billing period boundaries: `periods[k]` to `periods[k + 1]`. */
  periods: number[]
  /** Local midnights from the first period's start to the last one's end. */
  days: number[]
  time: Time
  prng: Prng
  out: string[]
}

function readingTypeXml(spec: ResolvedPointSpec, intervalLength: number | undefined): string {
  const gas = spec.service === 'gas'
  return `<ReadingType xmlns="${ESPI}">${[
    leaf('accumulationBehaviour', 4),
    leaf('commodity', gas ? 7 : 1),
    leaf('currency', 840),
    leaf('dataQualifier', 12),
    leaf('flowDirection', 1),
    leaf('intervalLength', intervalLength),
    leaf('kind', 12),
    gas ? '' : leaf('phase', 769),
    leaf('powerOfTenMultiplier', gas ? -3 : 0),
    leaf('timeAttribute', 0),
    leaf('uom', gas ? 169 : 72),
  ].join('')}</ReadingType>`
}

/** One meter reading with its reading type and blocks; `blocks` are [start, duration, readings XML]. */
function meterReading(
  c: PointContext,
  self: string,
  n: number,
  intervalLength: number | undefined,
  blocks: [number, number, string][],
): void {
  const mr = `${self}/MeterReading/${n}`
  const rt = `${BASE}/ReadingType/${c.index + 1}-${n}`
  const title =
    intervalLength === undefined
      ? 'Billing period usage and cost'
      : `${c.spec.service} usage, ${intervalLength / 60}-minute intervals`
  c.out.push(
    entry(c.prng, mr, `${self}/MeterReading`, [`${mr}/IntervalBlock`, rt], title, `<MeterReading xmlns="${ESPI}"/>`),
  )
  c.out.push(
    entry(c.prng, rt, `${BASE}/ReadingType`, [], 'Type of meter reading data', readingTypeXml(c.spec, intervalLength)),
  )
  blocks.forEach(([start, duration, readings], k) => {
    const content = `<IntervalBlock xmlns="${ESPI}">${node('interval', leaf('duration', duration), leaf('start', start))}${readings}</IntervalBlock>`
    c.out.push(entry(c.prng, `${mr}/IntervalBlock/${k + 1}`, `${mr}/IntervalBlock`, [], '', content))
  })
}

/** The interval readings, one block per local day; returns each billing period's consumption and the count. */
function intervalBlocks(c: PointContext, self: string): { consumption: number[]; count: number } {
  const consumption = c.periods.slice(1).map(() => 0)
  const blocks: [number, number, string][] = []
  let count = 0
  let period = 0
  for (let d = 0; d + 1 < c.days.length; d++) {
    const [dayStart, dayEnd] = [c.days[d] as number, c.days[d + 1] as number]
    const step = c.spec.interval === 86_400 ? dayEnd - dayStart : c.spec.interval
    const parts: string[] = []
    for (let t = dayStart; t < dayEnd; t += step) {
      while (t >= (c.periods[period + 1] as number)) period++
      const value = intervalValue(c.spec, t - (c.time?.tzOffset ?? 0), c.prng)
      consumption[period] = (consumption[period] as number) + value
      parts.push(readingXml(t, step, value))
      count++
    }
    blocks.push([dayStart, dayEnd - dayStart, parts.join('')])
  }
  meterReading(c, self, 1, c.spec.interval, blocks)
  return { consumption, count }
}

function summaryXml(c: PointContext, k: number, lines: GeneratedLine[], written: boolean, consumption: number): string {
  const [start, end] = [c.periods[k] as number, c.periods[k + 1] as number]
  const gas = c.spec.service === 'gas'
  const modern = c.spec.summaryElement === 'UsageSummary'
  return `<${c.spec.summaryElement} xmlns="${ESPI}">${[
    node('billingPeriod', leaf('duration', end - start), leaf('start', start)),
    leaf('billLastPeriod', totalCents(lines) * 1000),
    ...(written ? lines.map((l) => lineXml(l, c.spec.lineMultiplier, start, end - start)) : []),
    leaf('currency', 840),
    node(
      'overallConsumptionLastPeriod',
      leaf('powerOfTenMultiplier', gas ? -3 : 0),
      leaf('uom', gas ? 169 : 72),
      leaf('value', consumption),
    ),
    leaf('qualityOfReading', 14),
    leaf('statusTimeStamp', end),
    modern ? leaf('tariffProfile', TARIFF_NAMES[c.spec.service]) : '',
    modern ? leaf('readCycle', 'Cycle 07') : '',
  ].join('')}</${c.spec.summaryElement}>`
}

function bills(c: PointContext, self: string, pointId: string, consumption: number[]): GeneratedEspiBill[] {
  const out: GeneratedEspiBill[] = []
  let previous: number | undefined
  const costed: string[] = []
  consumption.forEach((used, k) => {
    const lines = billLines(c.spec.service, used, previous, c.spec.payments, c.prng)
    const total = totalCents(lines)
    previous = total
    const [periodStart, periodEnd] = [c.periods[k] as number, c.periods[k + 1] as number]
    const summary = c.spec.bills === 'usage-summary'
    const written = summary && c.spec.lineItems
    if (summary) {
      const us = `${self}/${c.spec.summaryElement}`
      c.out.push(entry(c.prng, `${us}/${k + 1}`, us, [], 'Usage summary', summaryXml(c, k, lines, written, used)))
    } else costed.push(readingXml(periodStart, periodEnd - periodStart, used, total * 1000))
    const source = summary ? c.spec.summaryElement : 'IntervalReading'
    out.push({
      usagePoint: c.index,
      usagePointId: pointId,
      periodStart,
      periodEnd,
      totalCents: total,
      lines: written ? lines : [],
      consumption: used,
      source,
    })
  })
  if (c.spec.bills === 'costed-readings') {
    const [first, last] = [c.periods[0] as number, c.periods.at(-1) as number]
    meterReading(c, self, 2, undefined, [[first, last - first, costed.join('')]])
  }
  return c.spec.bills === 'none' ? [] : out
}

function usagePoint(c: PointContext, timeSelf: string): { bills: GeneratedEspiBill[]; readings: number } {
  const up = `${BASE}/RetailCustomer/1/UsagePoint`
  const self = `${up}/${c.index + 1}`
  const related = [
    `${self}/MeterReading`,
    ...(c.spec.bills === 'usage-summary' ? [`${self}/${c.spec.summaryElement}`] : []),
    ...(c.time ? [timeSelf] : []),
  ]
  const id = uuid(c.prng)
  const content = `<UsagePoint xmlns="${ESPI}">${node('ServiceCategory', leaf('kind', serviceKindCode(c.spec.service)))}${node('serviceDeliveryPoint', leaf('name', `Premises ${c.index + 1}`), leaf('tariffProfile', TARIFF_NAMES[c.spec.service]))}</UsagePoint>`
  c.out.push(entry(c.prng, self, up, related, `${c.spec.service} service ${c.index + 1}`, content, id))
  const { consumption, count } = intervalBlocks(c, self)
  return { bills: bills(c, self, id, consumption), readings: count }
}

/**
 * A deterministic Green Button feed: one usage point per spec (electric or gas; 15-minute,
 * hourly or daily readings; bills as usage summaries or costed billing-period readings, with
 * optional line items, payment lines and line multipliers), monthly billing periods in local
 * time with DST. Returns the XML and the bills it holds, for tests to compare with.
 * @throws {EciConfigError} for options out of range.
 * @example
 * ```ts
 * import { generateEspiFeed } from 'ecis-consumer/mock'
 * import { espiBills, parseEspi } from 'ecis-consumer/green-button'
 *
 * const { xml, bills } = generateEspiFeed({ seed: 7, months: 3 })
 * const parsed = espiBills(parseEspi(xml)) // the same bills, exact
 * ```
 */
export function generateEspiFeed(options: GenerateEspiFeedOptions = {}): GeneratedEspiFeed {
  const o = resolveFeedOptions(options)
  const prng = createPrng(`espi-feed:${o.seed}`)
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
    leaf('id', uuid(prng)),
    leaf('title', 'Green Button Subscription Feed'),
    leaf('updated', '2025-01-01T00:00:00Z'),
    `<link rel="self" href="${BASE}/Subscription/1"/>\n`,
  ]
  const timeSelf = `${BASE}/LocalTimeParameters/1`
  if (o.time) {
    const t = o.time
    const content = `<LocalTimeParameters xmlns="${ESPI}">${leaf('dstEndRule', t.dstEndRule.toString(16).toUpperCase())}${leaf('dstOffset', t.dstOffset)}${leaf('dstStartRule', t.dstStartRule.toString(16).toUpperCase())}${leaf('tzOffset', t.tzOffset)}</LocalTimeParameters>`
    out.push(entry(prng, timeSelf, `${BASE}/LocalTimeParameters`, [], 'DST for North America', content))
  }
  const periods = Array.from({ length: o.months + 1 }, (_, k) => localMidnight(o.year, o.month + k, o.day, o.time))
  const dayCount = Math.round(((periods.at(-1) as number) - (periods[0] as number)) / 86_400)
  const days = Array.from({ length: dayCount + 1 }, (_, d) => localMidnight(o.year, o.month, o.day + d, o.time))
  const result: GeneratedEspiFeed = { xml: '', bills: [], readings: [] }
  o.points.forEach((spec, index) => {
    const { bills: b, readings } = usagePoint({ index, spec, periods, days, time: o.time, prng, out }, timeSelf)
    result.bills.push(...b)
    result.readings.push(readings)
  })
  out.push('</feed>\n')
  result.xml = out.join('')
  return result
}
