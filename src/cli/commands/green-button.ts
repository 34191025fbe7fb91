/**
 * `ecis green-button bills|usage|audit FILE.xml`: a Green Button (ESPI) file — a utility's
 * Download My Data export — read as exact bills, interval usage totals, or a money audit.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { EciConfigError, ErrorCode } from '../../errors.js'
import {
  auditGreenButtonBills,
  type EspiDeviation,
  type EspiFeed,
  espiBills,
  parseEspiStream,
  usageTotals,
} from '../../green-button/index.js'
import { oneOf, parse, positionals } from '../args.js'
import {
  BILL_HEADERS,
  billJson,
  billRow,
  csv,
  findingRows,
  jsonable,
  USAGE_HEADERS,
  usageRow,
} from '../green-button-output.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { table } from '../table.js'
import { GREEN_BUTTON_CONSENT_USAGE, greenButtonConsentCommand, readStoredFeed } from './green-button-connect.js'

export const GREEN_BUTTON_USAGE = `Usage: ecis green-button <bills|usage|audit> [FILE.xml] [options]
       ecis green-button consent --authorization-endpoint URL --token-endpoint URL … (below)

Reads a Green Button (ESPI) file: the XML a utility's "Download My Data" button exports, or a
Connect My Data response saved to a file. Without FILE, reads the subscription of the grant
"ecis green-button consent" stored (Connect My Data). Money and units are exact
(docs/green-button.md).

Commands:
  bills [FILE.xml]         the bills (usage summaries and costed billing-period readings)
  usage [FILE.xml]         interval readings totalled per local day or month
  audit [FILE.xml]         line items against totals, contiguous and unrepeated periods
                           (exit 1 when a finding is an error)
  consent …                Connect My Data consent; stores the grant (mode 0600)

Options:
  --json                   JSON on stdout (amounts as exact decimal strings)
  --csv                    CSV on stdout (bills, usage)
  --by day|month           usage: the period to total over (default day)
  --tolerance AMOUNT       audit: differences up to this are warnings (default 0)
  --quiet                  do not list the file's deviations from ESPI on stderr
  --grant-file PATH        without FILE: the stored grant to use (default
                           $ECIS_GREEN_BUTTON_GRANT_FILE or ~/.config/ecis/green-button-grant.json)

${GREEN_BUTTON_CONSENT_USAGE}`

const SUBCOMMANDS = ['bills', 'usage', 'audit'] as const

/** Parses the file as a stream, deviations to stderr unless quiet. */
async function readFeed(file: string, io: CliIo, quiet: boolean): Promise<EspiFeed> {
  const info = await stat(file).catch((cause: unknown) => {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `cannot read ${file}`, { cause })
  })
  if (!info.isFile()) throw new EciConfigError(ErrorCode.INVALID_OPTION, `${file} is not a file`)
  const stream = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>
  const onDeviation = quiet
    ? undefined
    : (d: EspiDeviation) => line(io.stderr, `deviation: ${d.path.join('.') || '(file)'}: ${d.message}`)
  return parseEspiStream(stream, { onDeviation })
}

function billsOutput(feed: EspiFeed, io: CliIo, format: 'table' | 'json' | 'csv'): number {
  const bills = espiBills(feed)
  if (format === 'json') json(io.stdout, bills.map(billJson))
  else if (format === 'csv') line(io.stdout, csv(BILL_HEADERS, bills.map(billRow)))
  else {
    line(io.stdout, table(BILL_HEADERS, bills.map(billRow)))
    line(io.stdout, `\n${bills.length} bill(s) of ${feed.usagePoints.length} usage point(s)`)
  }
  return 0
}

function usageOutput(feed: EspiFeed, io: CliIo, format: 'table' | 'json' | 'csv', by: 'day' | 'month'): number {
  const rows: (string | number)[][] = []
  const out: unknown[] = []
  for (const point of feed.usagePoints) {
    point.meterReadings.forEach((series, i) => {
      const name = series.atom.title ?? `#${i + 1}`
      const totals = usageTotals(series, by, point.localTimeParameters)
      for (const t of totals) rows.push(usageRow(point.id, name, t, series.readingType?.currencyLetters))
      out.push({ usagePointId: point.id, meterReading: name, by, totals: jsonable(totals) })
    })
  }
  if (format === 'json') json(io.stdout, out)
  else if (format === 'csv') line(io.stdout, csv(USAGE_HEADERS, rows))
  else line(io.stdout, table(USAGE_HEADERS, rows))
  return 0
}

function auditOutput(feed: EspiFeed, io: CliIo, asJson: boolean, tolerance: string | undefined): number {
  const bills = espiBills(feed)
  const findings = auditGreenButtonBills(bills, { tolerance })
  const errors = findings.filter((f) => f.severity === 'error').length
  if (asJson) json(io.stdout, findings)
  else {
    if (findings.length > 0) {
      line(
        io.stdout,
        table(['usage point', 'period', 'severity', 'check', 'expected', 'actual'], findingRows(findings, bills)),
      )
      for (const [i, f] of findings.entries()) line(io.stdout, `  ${i + 1}. ${f.usagePointId}: ${f.message}`)
    }
    const verdict =
      findings.length === 0 ? 'every figure adds up' : `${errors} error(s), ${findings.length - errors} warning(s)`
    line(io.stdout, `${bills.length} bill(s) of ${feed.usagePoints.length} usage point(s): ${verdict}`)
  }
  return errors > 0 ? 1 : 0
}

export async function greenButtonCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === 'consent') return greenButtonConsentCommand(args.slice(1), io)
  const { values, positionals: rest } = parse(
    args,
    {
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      by: { type: 'string' },
      tolerance: { type: 'string' },
      quiet: { type: 'boolean' },
      'grant-file': { type: 'string' },
    },
    GREEN_BUTTON_USAGE,
  )
  const [sub, file] = positionals(rest, rest.length > 1 ? ['COMMAND', 'FILE.xml'] : ['COMMAND'], GREEN_BUTTON_USAGE)
  const command = SUBCOMMANDS.find((c) => c === sub)
  if (!command) throw new UsageError(`unknown green-button command "${sub}": bills, usage or audit`, GREEN_BUTTON_USAGE)
  if (values.json && values.csv) throw new UsageError('--json and --csv exclude each other', GREEN_BUTTON_USAGE)
  if (command === 'audit' && values.csv) throw new UsageError('audit has no --csv', GREEN_BUTTON_USAGE)
  if (command !== 'usage' && values.by !== undefined)
    throw new UsageError('--by is an option of usage', GREEN_BUTTON_USAGE)
  if (command !== 'audit' && values.tolerance !== undefined)
    throw new UsageError('--tolerance is an option of audit', GREEN_BUTTON_USAGE)
  const by = oneOf(values.by, ['day', 'month'] as const, 'by', GREEN_BUTTON_USAGE) ?? 'day'
  const format = values.json ? 'json' : values.csv ? 'csv' : 'table'
  if (file !== undefined && values['grant-file'] !== undefined)
    throw new UsageError('--grant-file reads the stored grant: give it or FILE.xml, not both', GREEN_BUTTON_USAGE)
  const feed =
    file === undefined
      ? await readStoredFeed(io, values['grant-file'])
      : await readFeed(file as string, io, values.quiet === true)
  if (command === 'bills') return billsOutput(feed, io, format)
  if (command === 'usage') return usageOutput(feed, io, format, by)
  return auditOutput(feed, io, format === 'json', values.tolerance)
}
