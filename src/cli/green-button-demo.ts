/** The Green Button part of `ecis demo`: a generated Download My Data file, parsed, billed, audited, mapped. */
import { auditGreenButtonBills, espiBills, parseEspi, toInvoiceDetail } from '../green-button/index.js'
import { generateEspiFeed } from '../mock/green-button/generate.js'
import { BILL_HEADERS, billRow } from './green-button-output.js'
import { table } from './table.js'

/** Prints section 7 of the demo. */
export function printGreenButtonDemo(seed: number, out: (line: string) => void): void {
  const { xml } = generateEspiFeed({ seed, months: 3 })
  const started = performance.now()
  const feed = parseEspi(xml)
  const ms = performance.now() - started
  const readings = feed.usagePoints.reduce(
    (n, p) => n + p.meterReadings.reduce((m, r) => m + r.intervalReadings.length, 0),
    0,
  )
  out('\n7. Green Button (ESPI): a generated "Download My Data" file, as utilities serve today')
  out(
    `   ${(xml.length / 1e6).toFixed(1)} MB, ${feed.usagePoints.length} usage points, ${readings} interval readings, parsed and validated in ${ms.toFixed(0)} ms`,
  )
  const bills = espiBills(feed)
  out(table(BILL_HEADERS, bills.map(billRow)))
  const findings = auditGreenButtonBills(bills)
  out(
    `   audit: ${findings.length === 0 ? 'every bill adds up to its line items, periods contiguous' : `${findings.length} finding(s)`}`,
  )
  const first = bills[0]
  if (first) {
    const { value, missing } = toInvoiceDetail(first)
    out(
      `   as an ECIS Invoice Detail: ${Object.keys(value).length} fields from the feed; no ESPI home for ${missing.length}: ${missing.slice(0, 5).join(', ')}, …`,
    )
  }
  out('   Try it on a real file: ecis green-button bills Download_My_Data.xml (see docs/green-button.md)')
}
