/** The pieces of a generated ESPI feed: entries with their links, readings, bill lines, local midnights. */

import type { LocalTimeParametersResource } from '../../green-button/espi-resources.js'
import { utcOffsetAt } from '../../green-button/local-time.js'
import type { Prng } from '../prng.js'
import type { GeneratedLine } from './bill-lines.js'
import type { ResolvedPointSpec } from './spec.js'
import { leaf, node } from './xml.js'

export const BASE = 'https://datacustodian.example/espi/1_1/resource'
export const ESPI = 'http://naesb.org/espi'

export function uuid(prng: Prng): string {
  return `urn:uuid:${prng.hex(8)}-${prng.hex(4)}-4${prng.hex(3)}-a${prng.hex(3)}-${prng.hex(12)}`
}

export function entry(
  prng: Prng,
  self: string,
  up: string,
  related: string[],
  title: string,
  content: string,
  id = uuid(prng),
): string {
  const links = [
    `<link rel="self" href="${self}"/>`,
    `<link rel="up" href="${up}"/>`,
    ...related.map((r) => `<link rel="related" href="${r}"/>`),
  ]
  return `<entry>${leaf('id', id)}${links.join('')}${leaf('title', title)}<content>${content}</content><published>2025-01-01T00:00:00Z</published><updated>2025-01-01T00:00:00Z</updated></entry>\n`
}

/** Epoch seconds of local midnight of a calendar day (y, m, d may overflow, as in Date.UTC). */
export function localMidnight(
  year: number,
  month: number,
  day: number,
  time: LocalTimeParametersResource | undefined,
): number {
  const local = Date.UTC(year, month, day) / 1000
  const guess = local - utcOffsetAt(local - (time?.tzOffset ?? 0), time)
  return local - utcOffsetAt(guess, time)
}

/** The value of one interval: a daily shape plus noise, in Wh or thousandths of a therm. */
export function intervalValue(spec: ResolvedPointSpec, start: number, prng: Prng): number {
  const hour = Math.floor((start % 86_400) / 3600)
  const perHour =
    spec.service === 'gas' ? 80 + (hour >= 6 && hour < 22 ? 120 : 0) : 300 + (hour >= 17 && hour < 22 ? 900 : 0)
  const scale = spec.interval / 3600
  return Math.max(0, Math.round(perHour * scale * (0.6 + prng.next() * 0.8)))
}

export function readingXml(start: number, duration: number, value: number, cost?: number): string {
  return `<IntervalReading>${leaf('cost', cost)}<timePeriod>${leaf('duration', duration)}${leaf('start', start)}</timePeriod>${leaf('value', value)}</IntervalReading>`
}

export function lineXml(line: GeneratedLine, multiplier: number, start: number, duration: number): string {
  const scale = 10 ** (3 - multiplier) // cents → hundred-thousandths / 10^multiplier
  const unitCost = line.unitCost !== undefined && multiplier <= 0 ? line.unitCost * 10 ** -multiplier : undefined
  const m = line.measurement
  return node(
    'costAdditionalDetailLastPeriod',
    leaf('amount', line.cents * scale),
    leaf('note', line.note),
    m
      ? node('measurement', leaf('powerOfTenMultiplier', m.multiplier), leaf('uom', m.uom), leaf('value', m.value))
      : '',
    leaf('itemKind', line.itemKind),
    leaf('unitCost', unitCost),
    node('itemPeriod', leaf('duration', duration), leaf('start', start)),
    multiplier === 0 ? '' : leaf('powerOfTenMultiplier', multiplier),
  )
}
