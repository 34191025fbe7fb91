/**
 * A mock customer's subscription: a generated ESPI feed whose entries are dated as a Data
 * Custodian publishes them (a usage summary or interval block when its period ends), served
 * whole or filtered by `published-min`/`-max`, `updated-min`/`-max`, or one usage point's part.
 * Months are published one at a time (`publishMonth`), so a sync has new data to find.
 * @module
 */
import { type GenerateEspiFeedOptions, generateEspiFeed } from './generate.js'

/** One entry of the feed with the time it was published (epoch seconds). */
interface PublishedEntry {
  xml: string
  /** When the Data Custodian published it; `0` for entries that always exist (usage points, reading types). */
  publishedAt: number
  /** The usage point the entry belongs to (`…/UsagePoint/{n}`), if any. */
  usagePoint: string | undefined
}

const ENTRY = /<entry>[\s\S]*?<\/entry>\n?/g

function publishedAt(entry: string): number {
  const summary = /<statusTimeStamp>(\d+)<\/statusTimeStamp>/.exec(entry)
  if (summary) return Number(summary[1])
  // An interval block: its interval's end (the last reading's end).
  const block = /<IntervalBlock[^>]*><interval><duration>(\d+)<\/duration><start>(\d+)<\/start>/.exec(entry)
  if (block) return Number(block[1]) + Number(block[2])
  return 0
}

const iso = (epoch: number) => `${new Date(epoch * 1000).toISOString().slice(0, 19)}Z`

/** A subscription's feed, dated and filterable. */
export class MockSubscription {
  readonly id: string
  readonly #head: string
  readonly #entries: PublishedEntry[]
  /** The end of each billing period, oldest first. */
  readonly #periodEnds: number[]
  #visible: number

  constructor(id: string, feed: GenerateEspiFeedOptions & { months: number }, visibleMonths: number) {
    this.id = id
    const generated = generateEspiFeed(feed)
    const xml = generated.xml
    const first = xml.indexOf('<entry>')
    this.#head = xml.slice(0, first)
    this.#entries = [...xml.matchAll(ENTRY)].map(([entry]) => {
      const at = publishedAt(entry)
      const dated =
        at === 0
          ? entry
          : entry.replace(
              /<published>[^<]*<\/published><updated>[^<]*<\/updated>/,
              `<published>${iso(at)}</published><updated>${iso(at)}</updated>`,
            )
      return { xml: dated, publishedAt: at, usagePoint: /\/UsagePoint\/(\d+)/.exec(entry)?.[1] }
    })
    this.#periodEnds = [...new Set(generated.bills.map((b) => b.periodEnd))].sort((a, b) => a - b)
    this.#visible = Math.min(visibleMonths, this.#periodEnds.length)
  }

  /** The last published moment: the end of the last visible billing period. */
  get publishedUntil(): number {
    return this.#periodEnds[this.#visible - 1] ?? 0
  }

  /** Bills published so far, per usage point. */
  get visibleMonths(): number {
    return this.#visible
  }

  /** Publishes the next month's data; `false` when every generated month is out. */
  publishMonth(): boolean {
    if (this.#visible >= this.#periodEnds.length) return false
    this.#visible += 1
    return true
  }

  /**
   * The feed as served: entries published by now, within the filters (epoch seconds), for one
   * usage point when `usagePoint` is given (`undefined` when it does not exist).
   */
  serve(filter: { min?: number | undefined; max?: number | undefined }, usagePoint?: string): string | undefined {
    const until = this.publishedUntil
    const entries = this.#entries.filter((e) => {
      if (e.publishedAt > until) return false
      if (usagePoint !== undefined && e.usagePoint !== undefined && e.usagePoint !== usagePoint) return false
      if (e.publishedAt === 0) return true
      return (
        (filter.min === undefined || e.publishedAt >= filter.min) &&
        (filter.max === undefined || e.publishedAt < filter.max)
      )
    })
    if (usagePoint !== undefined && !entries.some((e) => e.usagePoint === usagePoint)) return undefined
    return `${this.#head}${entries.map((e) => e.xml).join('')}</feed>\n`
  }
}
