import { describe, expect, it } from 'vitest'
import {
  EciConfigError,
  EciValidationError,
  type EspiDeviation,
  parseEspi,
  parseEspiStream,
} from '../../src/green-button/index.js'
import { generateEspiFeed } from '../../src/mock/index.js'

const ATOM = 'http://www.w3.org/2005/Atom'
const ESPI = 'http://naesb.org/espi'

function feedOf(...contents: string[]): string {
  const entries = contents.map(
    (c, i) => `<entry><id>urn:uuid:${i}</id><link rel="self" href="/UsagePoint/${i}"/><content>${c}</content></entry>`,
  )
  return `<?xml version="1.0"?><feed xmlns="${ATOM}">${entries.join('')}</feed>`
}

function refusal(run: () => unknown): EciValidationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(EciValidationError)
    return error as EciValidationError
  }
  throw new Error('expected a refusal')
}

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="${ATOM}"><title>&lol9;</title></feed>`

describe('hostile ESPI files get a typed error in bounded time and memory', () => {
  it('refuses a DTD with entity expansion ("billion laughs")', () => {
    const error = refusal(() => parseEspi(LAUGHS))
    expect(error.message).toMatch(/DOCTYPE/)
    expect(error.code).toBe('ERR_ECI_VALIDATION')
  })

  it('refuses an external entity (XXE) and never reads the file it names', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feed xmlns="${ATOM}"><title>&xxe;</title></feed>`
    expect(refusal(() => parseEspi(xxe)).message).not.toMatch(/root:/)
  })

  it('refuses an entity reference with no DTD at all', () => {
    expect(refusal(() => parseEspi(`<feed xmlns="${ATOM}"><title>&secret;</title></feed>`)).message).toMatch(
      /not well-formed/,
    )
  })

  it('refuses nesting deeper than limits.maxDepth', () => {
    const deep = `<feed xmlns="${ATOM}">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</feed>`
    expect(refusal(() => parseEspi(deep)).message).toMatch(/nested deeper than 64/)
    expect(
      refusal(() => parseEspi(`<feed xmlns="${ATOM}"><a><b/></a></feed>`, { limits: { maxDepth: 2 } })).message,
    ).toMatch(/maxDepth/)
  })

  it('refuses a file over limits.maxBytes, more elements than limits.maxElements, or too many attributes', () => {
    const { xml } = generateEspiFeed({ months: 1 })
    expect(refusal(() => parseEspi(xml, { limits: { maxBytes: 10_000 } })).message).toMatch(/larger than 10000 bytes/)
    expect(refusal(() => parseEspi(xml, { limits: { maxElements: 1000 } })).message).toMatch(/more than 1000 elements/)
    const attributes = Array.from({ length: 40 }, (_, i) => `a${i}="x"`).join(' ')
    expect(refusal(() => parseEspi(`<feed xmlns="${ATOM}" ${attributes}/>`)).message).toMatch(/more than 32 attributes/)
    expect(
      refusal(() => parseEspi(`<feed xmlns="${ATOM}"><title>${'x'.repeat(70_000)}</title></feed>`)).message,
    ).toMatch(/longer than 65536/)
  })

  it('stops reading a stream as soon as it passes limits.maxBytes, and cancels it', async () => {
    let pulled = 0
    let cancelled = false
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(
          new TextEncoder().encode(pulled === 1 ? `<feed xmlns="${ATOM}">` : `<title>${'x'.repeat(1000)}</title>`),
        )
      },
      cancel() {
        cancelled = true
      },
    })
    await expect(parseEspiStream(endless, { limits: { maxBytes: 100_000 } })).rejects.toThrow(
      /larger than 100000 bytes/,
    )
    expect(pulled).toBeLessThan(200)
    expect(cancelled).toBe(true)
  })

  it('refuses a truncated file', () => {
    const { xml } = generateEspiFeed({ months: 1 })
    expect(refusal(() => parseEspi(xml.slice(0, Math.floor(xml.length / 2)))).message).toMatch(/not well-formed/)
  })

  it('refuses a root that is not an Atom feed or entry, and a feed whose entries hold nothing in the ESPI namespace', () => {
    expect(refusal(() => parseEspi('<feed xmlns="http://example.com/not-atom"/>')).message).toMatch(
      /Expected an Atom feed/,
    )
    expect(refusal(() => parseEspi('<feed/>')).message).toMatch(/in no namespace/)
    const wrong = feedOf(
      '<UsagePoint xmlns="http://naesb.org/espi/v0"><ServiceCategory><kind>0</kind></ServiceCategory></UsagePoint>',
    )
    const deviations: EspiDeviation[] = []
    expect(refusal(() => parseEspi(wrong, { onDeviation: (d) => deviations.push(d) })).message).toMatch(
      /No ESPI resource/,
    )
    expect(deviations[0]).toMatchObject({ kind: 'unknown-resource', path: ['entry', 0, 'UsagePoint'] })
  })

  it('refuses bytes that are not UTF-8, and a declared encoding other than UTF-8', () => {
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode(`<feed xmlns="${ATOM}"><title>`),
      0xe9,
      ...new TextEncoder().encode('</title></feed>'),
    ])
    expect(refusal(() => parseEspi(latin1)).message).toMatch(/not valid UTF-8/)
    const declared = new TextEncoder().encode(`<?xml version="1.0" encoding="ISO-8859-1"?><feed xmlns="${ATOM}"/>`)
    expect(refusal(() => parseEspi(declared)).message).toMatch(/only UTF-8/)
  })

  it('names the path of a value that breaks the ESPI schema', () => {
    const bad = feedOf(`<ReadingType xmlns="${ESPI}"><uom>seventy-two</uom></ReadingType>`)
    const error = refusal(() => parseEspi(bad))
    expect(error.issues[0]?.path).toEqual(['entry', 0, 'ReadingType', 'uom'])
    const reading = feedOf(
      `<IntervalBlock xmlns="${ESPI}"><IntervalReading><timePeriod><duration>900</duration><start>1</start></timePeriod><value>99999999999999999999</value></IntervalReading></IntervalBlock>`,
    )
    expect(refusal(() => parseEspi(reading)).issues[0]?.path).toEqual([
      'entry',
      0,
      'IntervalBlock',
      'IntervalReading',
      0,
      'value',
    ])
  })

  it('drops and reports unknown elements, and reports usage data no link ties to a usage point', () => {
    const feed = feedOf(
      `<UsagePoint xmlns="${ESPI}"><ServiceCategory><kind>1</kind></ServiceCategory><favouriteColour>green</favouriteColour></UsagePoint>`,
      `<MeterReading xmlns="${ESPI}"/>`,
    )
    const deviations: EspiDeviation[] = []
    const parsed = parseEspi(feed, { onDeviation: (d) => deviations.push(d) })
    expect(parsed.usagePoints[0]).not.toHaveProperty('favouriteColour')
    expect(parsed.usagePoints[0]?.meterReadings).toEqual([])
    expect(deviations.map((d) => [d.kind, d.path])).toEqual([
      ['unknown-element', ['entry', 0, 'UsagePoint', 'favouriteColour']],
      ['unlinked-entry', ['entry', 1, 'MeterReading']],
    ])
  })

  it('bounds link fan-out: every entry related to every other is refused, not walked quadratically', () => {
    const n = 3000
    const entries = Array.from({ length: n }, (_, i) => {
      const kind = i % 2 === 0 ? `<UsagePoint xmlns="${ESPI}"/>` : `<MeterReading xmlns="${ESPI}"/>`
      return `<entry><link rel="self" href="/x/${i}"/><link rel="up" href="/all"/><link rel="related" href="/all"/><content>${kind}</content></entry>`
    })
    expect(refusal(() => parseEspi(`<feed xmlns="${ATOM}">${entries.join('')}</feed>`)).message).toMatch(/fan out/)
  })

  it('takes only strings and bytes (a stream goes to parseEspiStream) and checks its options', () => {
    expect(() => parseEspi(new ReadableStream() as never)).toThrow(/use parseEspiStream/)
    expect(() => parseEspi(42 as never)).toThrow(EciConfigError)
    expect(() => parseEspi('<feed/>', { limits: { maxDepth: 0 } })).toThrow(/limits.maxDepth/)
  })
})
