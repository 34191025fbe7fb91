/**
 * The one place XML is read: saxes (a maintained, streaming, namespace-aware parser) wrapped in
 * the {@link EspiLimits}, with DTDs refused. It builds small element trees and hands each child
 * of the root to its sink as soon as it closes, so a feed is never held as a whole document.
 *
 * @module
 */
import { type SaxesAttributeNS, SaxesParser, type SaxesTagNS } from 'saxes'
import { EciValidationError } from '../errors.js'
import type { ResolvedEspiLimits } from './limits.js'

/** The Atom namespace (RFC 4287). */
export const ATOM_NS = 'http://www.w3.org/2005/Atom'
/** The ESPI usage namespace (NAESB REQ.21). */
export const ESPI_NS = 'http://naesb.org/espi'
/** The ESPI retail customer namespace. */
export const CUSTOMER_NS = 'http://naesb.org/espi/customer'

/** One element: its local name, namespace, attributes (by local name), children and text. */
export interface XmlElement {
  readonly name: string
  readonly ns: string
  readonly attributes: Readonly<Record<string, string>>
  readonly children: XmlElement[]
  /** The element's own text, trimmed; whitespace between children is not kept. */
  text: string
  /** Line of the start tag, for messages. */
  readonly line: number
}

/** What the reader hands its elements to. */
export interface XmlSink {
  /** The root element opened: throw to refuse it. `true` streams its children (a feed) instead of keeping them. */
  root(name: string, ns: string): boolean
  /** A child of a streamed root closed (an Atom entry, the feed's id, …). */
  child(element: XmlElement): void
  /** The root closed (with its children when it was not streamed). */
  end(root: XmlElement): void
  /** An element closed below the root: `true` when the sink took it and it is not to be kept in its parent. */
  take?(element: XmlElement, parent: XmlElement): boolean
}

/** Shared by every element without attributes (most of an ESPI file): never written to. */
const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>

const ACCEPTED_ENCODINGS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii'])

function refused(message: string, line?: number): EciValidationError {
  const where = line === undefined ? '' : ` (line ${line})`
  return new EciValidationError(`Invalid ESPI file: ${message}${where}`, [{ path: [], message: message + where }])
}

/**
 * Reads one XML document from text chunks into `sink`, within `limits`.
 * Every failure is an {@link EciValidationError}: malformed XML, a DTD, an entity other than the
 * five XML ones, a limit exceeded, a truncated file.
 */
export class XmlReader {
  readonly #parser = new SaxesParser({ xmlns: true, position: true })
  readonly #limits: ResolvedEspiLimits
  readonly #sink: XmlSink
  readonly #open: XmlElement[] = []
  #streamRoot = false
  #size = 0
  #elements = 0
  #text = ''

  /** `checkEncoding`: the text was decoded from bytes as UTF-8, so a declaration of another encoding is an error. */
  constructor(limits: ResolvedEspiLimits, sink: XmlSink, options: { checkEncoding?: boolean } = {}) {
    this.#limits = limits
    this.#sink = sink
    const p = this.#parser
    // At most six handlers, and none for `error` (saxes then throws, and `#run` maps it): saxes
    // stores each handler with a computed-key write, and V8 turns an object that gains a seventh
    // property that way into a dictionary — every field read of the parser then goes through a
    // hash lookup, and the whole parse ran at a fifth of its speed (21 vs 101 MB/s bare).
    // The limits on elements, depth and attributes are checked at `opentag`, so `opentagstart`
    // and `attribute` need no handler either.
    p.on('doctype', () => {
      throw refused(
        'a DOCTYPE (DTD) is not accepted: ESPI files have none, and DTD entities are a denial-of-service and XXE risk',
        p.line,
      )
    })
    if (options.checkEncoding) {
      p.on('xmldecl', (decl) => {
        if (decl.encoding !== undefined && !ACCEPTED_ENCODINGS.has(decl.encoding.toLowerCase())) {
          throw refused(`the file declares encoding "${decl.encoding.slice(0, 40)}"; only UTF-8 is read`)
        }
      })
    }
    p.on('opentag', (tag) => this.#openTag(tag))
    p.on('text', (text) => this.#addText(text))
    p.on('cdata', (text) => this.#addText(text))
    p.on('closetag', () => this.#closeTag())
  }

  /** Feeds the next chunk of text. `size` is its size in bytes when it came from bytes (else its length). */
  write(chunk: string, size = chunk.length): void {
    this.#size += size
    if (this.#size > this.#limits.maxBytes)
      throw refused(`the file is larger than ${this.#limits.maxBytes} bytes (limits.maxBytes)`)
    this.#run(() => this.#parser.write(chunk))
  }

  /** Ends the document: a truncated file or one without a root is an error here. */
  close(): void {
    this.#run(() => this.#parser.close())
    if (this.#elements === 0) throw refused('the file holds no XML element')
  }

  /** Runs the parser: what saxes throws (malformed XML, `line:column: message`) becomes a refusal. */
  #run(step: () => unknown): void {
    try {
      step()
    } catch (error) {
      const saxes = error instanceof Error && Object.getPrototypeOf(error) === Error.prototype
      const message = saxes ? /^\d+:\d+: (.*)$/s.exec(error.message)?.[1] : undefined
      if (message === undefined) throw error
      throw refused(`not well-formed XML: ${message}`, this.#parser.line)
    }
  }

  #openTag(tag: SaxesTagNS): void {
    const limits = this.#limits
    if (++this.#elements > limits.maxElements)
      throw refused(`more than ${limits.maxElements} elements (limits.maxElements)`, this.#parser.line)
    if (this.#open.length >= limits.maxDepth)
      throw refused(`elements nested deeper than ${limits.maxDepth} (limits.maxDepth)`, this.#parser.line)
    let attributes: Record<string, string> = NO_ATTRIBUTES
    let count = 0
    for (const name in tag.attributes) {
      if (++count > limits.maxAttributes) {
        throw refused(
          `an element with more than ${limits.maxAttributes} attributes (limits.maxAttributes)`,
          this.#parser.line,
        )
      }
      const a = tag.attributes[name] as SaxesAttributeNS
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue
      if (attributes === NO_ATTRIBUTES) attributes = {}
      attributes[a.local] = a.value
    }
    const element: XmlElement = {
      name: tag.local,
      ns: tag.uri,
      attributes,
      children: [],
      text: '',
      line: this.#parser.line,
    }
    if (this.#open.length === 0) this.#streamRoot = this.#sink.root(element.name, element.ns)
    this.#open.push(element)
    this.#text = ''
  }

  #addText(text: string): void {
    if (this.#open.length === 0 || (this.#text.length === 0 && text.trim().length === 0)) return
    this.#text += text
    if (this.#text.length > this.#limits.maxTextLength) {
      throw refused(
        `an element's text is longer than ${this.#limits.maxTextLength} characters (limits.maxTextLength)`,
        this.#parser.line,
      )
    }
  }

  #closeTag(): void {
    const element = this.#open.pop() as XmlElement
    if (element.children.length === 0) element.text = this.#text.trim()
    this.#text = ''
    const parent = this.#open.at(-1)
    if (!parent) {
      this.#sink.end(element)
      return
    }
    if (this.#open.length === 1 && this.#streamRoot) {
      this.#sink.child(element)
      return
    }
    if (this.#sink.take?.(element, parent)) return
    parent.children.push(element)
  }
}
