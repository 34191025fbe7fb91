/**
 * `parseEspi` and `parseEspiStream`: a Green Button file (Download My Data) or Connect My Data
 * response → a validated {@link EspiFeed}.
 *
 * @module
 */

import { toEciError } from '../error-boundary.js'
import { EciConfigError, EciError, ErrorCode } from '../errors.js'
import { type Entry, readEntry, readIntervalReading } from './entries.js'
import type { EspiFeed, IntervalReading } from './feed.js'
import { type EspiLimits, type ResolvedEspiLimits, resolveEspiLimits } from './limits.js'
import { linkTree } from './link-tree.js'
import { DeviationLog, type EspiDeviation, invalidEspi, shownName } from './read-element.js'
import { ATOM_NS, ESPI_NS, type XmlElement, XmlReader, type XmlSink } from './xml-reader.js'

/** Options of {@link parseEspi} and {@link parseEspiStream}. */
export interface ParseEspiOptions {
  /**
   * Called once per difference from the ESPI standard that the parser worked around (an unknown
   * element dropped, an entry no link reaches, a code without a name, …): at most 100 per kind,
   * then one summary.
   */
  onDeviation?: ((deviation: EspiDeviation) => void) | undefined
  /** Bounds on the file's size and shape. @default {@link DEFAULT_ESPI_LIMITS} */
  limits?: EspiLimits | undefined
}

/** Collects the entries of one document as the reader hands them over. */
class FeedBuilder implements XmlSink {
  readonly entries: Entry[] = []
  readonly meta: Pick<EspiFeed, 'id' | 'title' | 'updated'> = {}
  readonly #log: DeviationLog
  /** Readings taken out of the IntervalBlocks of the entry being read. */
  readonly #readings = new Map<XmlElement, IntervalReading[]>()
  #seen = 0
  #single = false

  constructor(log: DeviationLog) {
    this.#log = log
  }

  root(name: string, ns: string): boolean {
    if (ns !== ATOM_NS || (name !== 'feed' && name !== 'entry')) {
      const where = ns ? ` in namespace "${shownName(ns)}"` : ' in no namespace'
      throw invalidEspi([
        { path: [], message: `Expected an Atom feed or entry (${ATOM_NS}), got "${shownName(name)}"${where}` },
      ])
    }
    this.#single = name === 'entry'
    return name === 'feed'
  }

  child(element: XmlElement): void {
    if (element.ns !== ATOM_NS) return
    if (element.name === 'entry') this.#entry(element)
    else if (element.name === 'id' || element.name === 'title' || element.name === 'updated')
      this.meta[element.name] = element.text
  }

  end(root: XmlElement): void {
    if (this.#single) this.#entry(root)
  }

  take(element: XmlElement, parent: XmlElement): boolean {
    if (element.name !== 'IntervalReading' || element.ns !== ESPI_NS || parent.name !== 'IntervalBlock') return false
    const list = this.#readings.get(parent) ?? []
    this.#readings.set(parent, list)
    list.push(
      readIntervalReading(element, ['entry', this.#seen, 'IntervalBlock', 'IntervalReading', list.length], this.#log),
    )
    return true
  }

  /** Entries read (with or without a resource). */
  get seen(): number {
    return this.#seen
  }

  #entry(element: XmlElement): void {
    const entry = readEntry(element, this.#seen++, this.#readings, this.#log)
    this.#readings.clear()
    if (entry) this.entries.push(entry)
  }
}

/** Parsing of one document: a reader feeding a builder, and the feed at the end. */
class EspiParse {
  readonly #log: DeviationLog
  readonly #builder: FeedBuilder
  readonly #reader: XmlReader
  readonly limits: ResolvedEspiLimits

  constructor(options: ParseEspiOptions, fromBytes: boolean) {
    if (options === null || typeof options !== 'object')
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'options must be an object')
    if (options.onDeviation !== undefined && typeof options.onDeviation !== 'function') {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, '`onDeviation` must be a function')
    }
    this.limits = resolveEspiLimits(options.limits)
    this.#log = new DeviationLog(options.onDeviation)
    this.#builder = new FeedBuilder(this.#log)
    this.#reader = new XmlReader(this.limits, this.#builder, { checkEncoding: fromBytes })
  }

  write(text: string, size?: number): void {
    this.#reader.write(text, size)
  }

  finish(): EspiFeed {
    this.#reader.close()
    const { entries, meta, seen } = this.#builder
    if (seen > 0 && entries.length === 0) {
      throw invalidEspi([
        { path: [], message: `No ESPI resource in the file: no entry holds an element of ${ESPI_NS}` },
      ])
    }
    const tree = linkTree(entries, this.#log)
    this.#log.finish()
    return { ...meta, ...tree }
  }
}

function notUtf8(cause: unknown): EciError {
  const error = invalidEspi([{ path: [], message: 'The file is not valid UTF-8 text' }])
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true, writable: true })
  return error
}

/** Our errors as they are; anything else (a bug, an exhausted runtime) as `ERR_ECI_INTERNAL`. */
function boundary(error: unknown): EciError {
  return error instanceof EciError ? error : toEciError(error, 'parseEspi')
}

/**
 * Parses a Green Button file (Download My Data) or a Connect My Data response. Synchronous; for
 * a `ReadableStream` use {@link parseEspiStream}.
 *
 * Reads with a streaming XML parser within `limits`; refuses DTDs and entities; validates every
 * ESPI resource against its schema; resolves the Atom `up`/`related` links into usage points.
 *
 * @param xml the file's text, or its bytes (UTF-8).
 * @throws {EciValidationError} for malformed XML, a DTD or entity, a limit exceeded, a file that is
 *   no Atom feed of ESPI resources, or a resource that breaks the ESPI schema (`issues` have the path).
 * @throws {EciConfigError} for an argument that is not a string or bytes, or bad options.
 * @example
 * ```ts
 * import { espiBills, parseEspi } from 'ecis-consumer/green-button'
 *
 * // `upload`: the customer's Download My Data file (a browser upload, a fetched Blob).
 * const feed = parseEspi(new Uint8Array(await upload.arrayBuffer()))
 * for (const point of feed.usagePoints) console.log(point.id, point.serviceKind, point.meterReadings.length)
 * const bills = espiBills(feed)
 * ```
 */
export function parseEspi(xml: string | Uint8Array, options: ParseEspiOptions = {}): EspiFeed {
  const isBytes = xml instanceof Uint8Array
  if (typeof xml !== 'string' && !isBytes) {
    const stream = typeof ReadableStream !== 'undefined' && (xml as unknown) instanceof ReadableStream
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      stream
        ? 'parseEspi reads a string or bytes; use parseEspiStream for a ReadableStream'
        : 'parseEspi reads a string or a Uint8Array',
    )
  }
  try {
    const parse = new EspiParse(options, isBytes)
    if (isBytes) {
      if (xml.byteLength > parse.limits.maxBytes) parse.write('', xml.byteLength)
      let text: string
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(xml)
      } catch (cause) {
        throw notUtf8(cause)
      }
      parse.write(text, xml.byteLength)
    } else {
      parse.write(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml)
    }
    return parse.finish()
  } catch (error) {
    throw boundary(error)
  }
}

/**
 * {@link parseEspi} for a `ReadableStream` of bytes (a `fetch` body, a file stream): reads and
 * parses chunk by chunk, so a file larger than `limits.maxBytes` is refused as soon as the limit
 * is passed, without being read to its end. The stream is cancelled on any error.
 *
 * @throws {EciValidationError} as {@link parseEspi}.
 * @throws {EciConfigError} for an argument that is not a `ReadableStream`, or bad options.
 * @example
 * ```ts
 * import { parseEspiStream } from 'ecis-consumer/green-button'
 *
 * const response = await fetch(feedUrl, { headers: { authorization: `Bearer ${token}` } })
 * const feed = await parseEspiStream(response.body!)
 * ```
 */
export async function parseEspiStream(
  stream: ReadableStream<Uint8Array>,
  options: ParseEspiOptions = {},
): Promise<EspiFeed> {
  if (typeof ReadableStream === 'undefined' || !(stream instanceof ReadableStream)) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'parseEspiStream reads a ReadableStream of bytes')
  }
  const reader = stream.getReader()
  try {
    const parse = new EspiParse(options, true)
    const decoder = new TextDecoder('utf-8', { fatal: true })
    const decode = (chunk?: Uint8Array) => {
      try {
        return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true })
      } catch (cause) {
        throw notUtf8(cause)
      }
    }
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!(value instanceof Uint8Array))
        throw new EciConfigError(ErrorCode.INVALID_OPTION, 'parseEspiStream reads a stream of Uint8Array chunks')
      parse.write(decode(value), value.byteLength)
    }
    parse.write(decode())
    return parse.finish()
  } catch (error) {
    reader.cancel().catch(() => {})
    throw boundary(error)
  } finally {
    reader.releaseLock()
  }
}
