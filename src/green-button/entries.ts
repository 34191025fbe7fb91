/**
 * One Atom entry → its Atom metadata and the ESPI resource in its `<content>`, validated. Interval
 * readings arrive already read (the reader hands them over one by one as they close), so an
 * `IntervalBlock` of a year of readings never exists as an element tree.
 *
 * @module
 */
import {
  CustomerAccountResource,
  CustomerAgreementResource,
  CustomerResource,
  MeterResource,
  ServiceLocationResource,
} from './customer-resources.js'
import {
  IntervalBlockResource,
  IntervalReadingResource,
  LocalTimeParametersResource,
  MeterReadingResource,
  ReadingTypeResource,
  UNMODELLED_ESPI_RESOURCES,
  UsagePointResource,
  UsageSummaryResource,
} from './espi-resources.js'
import type { AtomEntry, IntervalReading } from './feed.js'
import { type DeviationLog, type Path, readElement, shownName } from './read-element.js'
import { ATOM_NS, CUSTOMER_NS, ESPI_NS, type XmlElement } from './xml-reader.js'

const RESOURCES = {
  UsagePoint: UsagePointResource,
  MeterReading: MeterReadingResource,
  ReadingType: ReadingTypeResource,
  UsageSummary: UsageSummaryResource,
  ElectricPowerUsageSummary: UsageSummaryResource,
  LocalTimeParameters: LocalTimeParametersResource,
  IntervalBlock: IntervalBlockResource,
} as const

const CUSTOMER_RESOURCES = {
  Customer: CustomerResource,
  CustomerAccount: CustomerAccountResource,
  CustomerAgreement: CustomerAgreementResource,
  ServiceLocation: ServiceLocationResource,
  Meter: MeterResource,
} as const

type Outputs<T> = { [K in keyof T]: { type: K; data: T[K] extends { _zod: { output: infer O } } ? O : never } }[keyof T]

/** The resource of an entry, tagged with its element name. */
export type EntryResource =
  | Outputs<Omit<typeof RESOURCES, 'IntervalBlock'>>
  | Outputs<typeof CUSTOMER_RESOURCES>
  | {
      type: 'IntervalBlock'
      data: { interval?: { start: number; duration: number } | undefined }
      readings: IntervalReading[]
    }

/** An entry of the feed: where it was, its Atom side and its resource. */
export interface Entry {
  index: number
  atom: AtomEntry
  resource: EntryResource
}

/** Atom elements of an entry the SDK reads past without a deviation. */
const ATOM_IGNORED = new Set(['author', 'category', 'contributor', 'rights', 'source', 'summary'])

/** An interval reading, read and validated as soon as it closes. */
export function readIntervalReading(element: XmlElement, path: Path, log: DeviationLog): IntervalReading {
  const r = readElement(element, IntervalReadingResource, path, log)
  const reading: IntervalReading = { start: r.timePeriod.start, duration: r.timePeriod.duration, value: r.value }
  if (r.cost !== undefined) reading.cost = r.cost
  if (r.ReadingQuality !== undefined) reading.qualities = r.ReadingQuality.map((q) => q.quality)
  if (r.tou !== undefined) reading.tou = r.tou
  if (r.consumptionTier !== undefined) reading.consumptionTier = r.consumptionTier
  if (r.cpp !== undefined) reading.cpp = r.cpp
  return reading
}

function readAtom(
  entry: XmlElement,
  path: (string | number)[],
  log: DeviationLog,
): { atom: AtomEntry; content?: XmlElement } {
  const atom: AtomEntry = { related: [] }
  let content: XmlElement | undefined
  for (const child of entry.children) {
    if (child.ns !== ATOM_NS) {
      const name = shownName(child.name)
      log.add({
        kind: 'unknown-element',
        path: [...path, name],
        message: `element "${name}" outside the Atom namespace in an entry; dropped`,
      })
      continue
    }
    switch (child.name) {
      case 'id':
      case 'title':
      case 'published':
      case 'updated':
        atom[child.name] = child.text
        break
      case 'link': {
        const { rel = 'alternate', href } = child.attributes
        if (href === undefined) break
        if (rel === 'self') atom.self = href
        else if (rel === 'up') atom.up = href
        else if (rel === 'related') atom.related.push(href)
        break
      }
      case 'content':
        content = child
        break
      default:
        if (!ATOM_IGNORED.has(child.name)) {
          const name = shownName(child.name)
          log.add({
            kind: 'unknown-element',
            path: [...path, name],
            message: `Atom element "${name}" in an entry; dropped`,
          })
        }
    }
  }
  return content === undefined ? { atom } : { atom, content }
}

/**
 * An Atom entry as an {@link Entry}; `undefined` (reported) when its content is no resource the
 * SDK reads. `readings` holds the interval readings the reader took out of its `IntervalBlock`.
 * @throws {EciValidationError} when the resource breaks the ESPI schema.
 */
export function readEntry(
  element: XmlElement,
  index: number,
  readings: ReadonlyMap<XmlElement, IntervalReading[]>,
  log: DeviationLog,
): Entry | undefined {
  const path: (string | number)[] = ['entry', index]
  const { atom, content } = readAtom(element, path, log)
  const resource = content?.children[0]
  if (!resource || content.children.length > 1) {
    const what = resource ? 'more than one resource' : 'no resource'
    log.add({ kind: 'unknown-resource', path, message: `entry with ${what} in its content; dropped` })
    return undefined
  }
  const at = [...path, resource.name]
  const name = resource.name
  if (resource.ns === ESPI_NS && Object.hasOwn(RESOURCES, name)) {
    if (name === 'IntervalBlock') {
      const data = readElement(resource, IntervalBlockResource, at, log)
      return { index, atom, resource: { type: 'IntervalBlock', data, readings: readings.get(resource) ?? [] } }
    }
    const data = readElement(resource, RESOURCES[name as keyof typeof RESOURCES], at, log)
    return { index, atom, resource: { type: name, data } as EntryResource }
  }
  if (resource.ns === CUSTOMER_NS && Object.hasOwn(CUSTOMER_RESOURCES, name)) {
    const data = readElement(resource, CUSTOMER_RESOURCES[name as keyof typeof CUSTOMER_RESOURCES], at, log)
    return { index, atom, resource: { type: name, data } as EntryResource }
  }
  if (!(resource.ns === ESPI_NS && UNMODELLED_ESPI_RESOURCES.has(name))) {
    const shown = shownName(name)
    const ns = resource.ns === ESPI_NS || resource.ns === CUSTOMER_NS ? '' : ` in namespace "${shownName(resource.ns)}"`
    log.add({
      kind: 'unknown-resource',
      path: at,
      message: `resource "${shown}"${ns} is not one the SDK reads; dropped`,
    })
  }
  return undefined
}
