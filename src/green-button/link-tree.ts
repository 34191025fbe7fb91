/**
 * The Atom links resolved into the usage point tree. An entry points to another when one of its
 * `related` hrefs is the other's `self` (a resource) or `up` (the collection it belongs to); an
 * entry whose `self` lies under a usage point's (`…/UsagePoint/1/MeterReading/01`) belongs to it
 * too. Nothing is attached by guesswork: an entry no link reaches is reported and dropped.
 *
 * @module
 */
import { CURRENCIES, serviceKindName, UNIT_SYMBOLS } from './codes.js'
import type { Entry, EntryResource } from './entries.js'
import type {
  CustomerData,
  EspiFeed,
  IntervalReading,
  MeterReading,
  ReadingType,
  UsagePoint,
  UsageSummary,
} from './feed.js'
import { type DeviationLog, invalidEspi } from './read-element.js'

type Typed<T extends EntryResource['type']> = Entry & { resource: Extract<EntryResource, { type: T }> }

function normalise(href: string): string {
  return href.length > 1 && href.endsWith('/') ? href.slice(0, -1) : href
}

/** How many ancestors of an entry's self href are indexed (a usage point sits a few segments up). */
const MAX_ANCESTORS = 6

function push(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key)
  if (list) list.push(entry)
  else map.set(key, [entry])
}

/** Lookups over the entries, built once: each entry reaches others in time linear in its links. */
class Links {
  /** Entries by their self and up hrefs. */
  readonly #byHref = new Map<string, Entry[]>()
  /** Entries by each href in their related links. */
  readonly #byRelated = new Map<string, Entry[]>()
  /** Entries by the ancestors of their self href. */
  readonly #byAncestor = new Map<string, Entry[]>()
  readonly #reached = new Map<Entry, Entry[]>()
  readonly claimed = new Set<Entry>()
  /** Links a hostile file could fan out quadratically (every entry related to every other): bounded. */
  #budget: number

  constructor(entries: readonly Entry[]) {
    this.#budget = 16 * entries.length + 10_000
    for (const entry of entries) {
      const { self, up, related } = entry.atom
      if (self !== undefined) push(this.#byHref, normalise(self), entry)
      if (up !== undefined) push(this.#byHref, normalise(up), entry)
      for (const href of new Set(related.map(normalise))) push(this.#byRelated, href, entry)
      if (self === undefined) continue
      let path = normalise(self)
      for (let i = 0; i < MAX_ANCESTORS; i++) {
        const cut = path.lastIndexOf('/')
        if (cut <= 0) break
        path = path.slice(0, cut)
        push(this.#byAncestor, path, entry)
      }
    }
  }

  /** Every entry `from` points to, that points to `from`, or that sits under its self href, in file order. */
  #reach(from: Entry): Entry[] {
    const cached = this.#reached.get(from)
    if (cached) return cached
    const found = new Set<Entry>()
    for (const href of from.atom.related) for (const e of this.#byHref.get(normalise(href)) ?? []) found.add(e)
    if (from.atom.self !== undefined) {
      const self = normalise(from.atom.self)
      for (const e of this.#byRelated.get(self) ?? []) found.add(e)
      for (const e of this.#byAncestor.get(self) ?? []) found.add(e)
    }
    found.delete(from)
    this.#budget -= found.size
    if (this.#budget < 0) {
      throw invalidEspi([
        { path: [], message: 'Atom links fan out far more than an ESPI feed needs (a hostile file?)' },
      ])
    }
    const out = [...found].sort((a, b) => a.index - b.index)
    this.#reached.set(from, out)
    return out
  }

  /** The entries of `type` that `from` reaches; they count as linked. */
  reached<T extends EntryResource['type']>(from: Entry, type: T): Typed<T>[] {
    const out = this.#reach(from).filter((e): e is Typed<T> => e.resource.type === type)
    for (const e of out) this.claimed.add(e)
    return out
  }
}

function emptyCustomer(): CustomerData {
  return { customers: [], accounts: [], agreements: [], serviceLocations: [], meters: [] }
}

function customerData(entries: readonly Entry[]): CustomerData {
  const out = emptyCustomer()
  for (const { atom, resource: r } of entries) {
    if (r.type === 'Customer') out.customers.push({ ...r.data, atom })
    else if (r.type === 'CustomerAccount') out.accounts.push({ ...r.data, atom })
    else if (r.type === 'CustomerAgreement') out.agreements.push({ ...r.data, atom })
    else if (r.type === 'ServiceLocation') out.serviceLocations.push({ ...r.data, atom })
    else if (r.type === 'Meter') out.meters.push({ ...r.data, atom })
  }
  return out
}

function readingType(entry: Typed<'ReadingType'>, log: DeviationLog): ReadingType {
  const data = entry.resource.data
  const out: ReadingType = { ...data, atom: entry.atom }
  if (data.uom !== undefined) {
    out.unit = UNIT_SYMBOLS[data.uom]
    if (out.unit === undefined) {
      log.add({
        kind: 'unknown-code',
        path: ['entry', entry.index, 'ReadingType', 'uom'],
        message: `unit code ${data.uom} has no symbol in the SDK; kept as a number`,
      })
    }
  }
  if (data.currency !== undefined) {
    out.currencyLetters = CURRENCIES[data.currency]
    if (out.currencyLetters === undefined) {
      log.add({
        kind: 'unknown-code',
        path: ['entry', entry.index, 'ReadingType', 'currency'],
        message: `currency code ${data.currency} has no ISO 4217 letters in the SDK; kept as a number`,
      })
    }
  }
  return out
}

/** The readings of the blocks sorted by start, the later of two readings with one start dropped. */
function mergedReadings(blocks: readonly Typed<'IntervalBlock'>[], log: DeviationLog): IntervalReading[] {
  const all = blocks.flatMap((b) => b.resource.readings)
  let sorted = true
  for (let i = 1; i < all.length && sorted; i++)
    sorted = (all[i - 1] as IntervalReading).start < (all[i] as IntervalReading).start
  if (sorted) return all
  const order = all.map((r, i) => ({ r, i })).sort((a, b) => a.r.start - b.r.start || a.i - b.i)
  const out: IntervalReading[] = []
  for (const { r } of order) {
    const last = out.at(-1)
    if (last && last.start === r.start) {
      log.add({
        kind: 'duplicate-reading',
        path: ['IntervalReading', r.start],
        message: `two readings start at ${r.start}; the later one in the file was dropped`,
      })
      continue
    }
    out.push(r)
  }
  return out
}

function meterReading(
  entry: Typed<'MeterReading'>,
  links: Links,
  log: DeviationLog,
  types: Map<Entry, ReadingType>,
): MeterReading {
  const [typeEntry] = links.reached(entry, 'ReadingType')
  let type: ReadingType | undefined
  if (typeEntry) {
    type = types.get(typeEntry) ?? readingType(typeEntry, log)
    types.set(typeEntry, type)
  }
  const intervalReadings = mergedReadings(links.reached(entry, 'IntervalBlock'), log)
  return { atom: entry.atom, readingType: type, intervalReadings }
}

function usagePoint(
  entry: Typed<'UsagePoint'>,
  links: Links,
  log: DeviationLog,
  types: Map<Entry, ReadingType>,
): UsagePoint {
  const data = entry.resource.data
  const summaries: UsageSummary[] = [
    ...links
      .reached(entry, 'UsageSummary')
      .map((e) => ({ ...e.resource.data, atom: e.atom, element: 'UsageSummary' as const })),
    ...links
      .reached(entry, 'ElectricPowerUsageSummary')
      .map((e) => ({ ...e.resource.data, atom: e.atom, element: 'ElectricPowerUsageSummary' as const })),
  ].sort((a, b) => (a.billingPeriod?.start ?? 0) - (b.billingPeriod?.start ?? 0))
  const [time] = links.reached(entry, 'LocalTimeParameters')
  const customer = customerData([
    ...links.reached(entry, 'Meter'),
    ...links.reached(entry, 'ServiceLocation'),
    ...links.reached(entry, 'CustomerAgreement'),
    ...links.reached(entry, 'CustomerAccount'),
    ...links.reached(entry, 'Customer'),
  ])
  return {
    ...data,
    id: entry.atom.id ?? entry.atom.self ?? `entry-${entry.index}`,
    atom: entry.atom,
    serviceKind: serviceKindName(data.ServiceCategory?.kind),
    meterReadings: links.reached(entry, 'MeterReading').map((m) => meterReading(m, links, log, types)),
    usageSummaries: summaries,
    localTimeParameters: time ? { ...time.resource.data, atom: time.atom } : undefined,
    customer,
  }
}

const MUST_LINK = new Set<EntryResource['type']>([
  'MeterReading',
  'IntervalBlock',
  'UsageSummary',
  'ElectricPowerUsageSummary',
])

/** The feed's usage points with everything linked to them; unlinked usage data reported. */
export function linkTree(entries: readonly Entry[], log: DeviationLog): Pick<EspiFeed, 'usagePoints' | 'customer'> {
  const links = new Links(entries)
  const types = new Map<Entry, ReadingType>()
  const points = entries.filter((e): e is Typed<'UsagePoint'> => e.resource.type === 'UsagePoint')
  const usagePoints = points.map((p) => usagePoint(p, links, log, types))
  for (const e of entries) {
    if (MUST_LINK.has(e.resource.type) && !links.claimed.has(e)) {
      log.add({
        kind: 'unlinked-entry',
        path: ['entry', e.index, e.resource.type],
        message: `${e.resource.type} that no link ties to a usage point; dropped`,
      })
    }
  }
  return { usagePoints, customer: customerData(entries) }
}
