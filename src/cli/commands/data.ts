/**
 * Data commands with the stored grant: `accounts`, `basic`, `invoice`, `invoice-detail`,
 * `invoices`. Tables by default; `--json` prints JSON only on stdout.
 */
import { EciConfigError, ErrorCode } from '../../errors.js'
import type { InvoicesProgress } from '../../grant/invoices.js'
import type { Invoice, InvoiceDetail } from '../../schemas/index.js'
import { isCalendarDate } from '../../schemas/index.js'
import { integer, parse, positionals } from '../args.js'
import { defaultGrantFile, readGrant } from '../grant-store.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { fields } from '../output.js'
import { type Progress, progress } from '../progress.js'
import { DeviationLog, forAccount, GRANT_OPTIONS, GRANT_OPTIONS_USAGE, openStoredSession } from '../stored-session.js'
import { detailColumns, table, usd } from '../table.js'

/** Option lines shared by the data commands (grant, --lenient, --json). */
export const COMMON = `${GRANT_OPTIONS_USAGE}
  --lenient                accept the common provider deviations (numeric strings, date-times),
                           each reported on stderr (default: strict validation)
  --json                   print JSON (and nothing else) on stdout`

export const ACCOUNTS_USAGE = `Usage: ecis accounts [--grant-file PATH] [--json]

Lists the accounts the stored grant covers, with the grant's provider, scopes and expiry.
No request is sent and no key is needed.

Options:
  --grant-file PATH        the grant (default $ECIS_GRANT_FILE or ~/.config/ecis/grant.json)
  --json                   print JSON (and nothing else) on stdout
`

export const BASIC_USAGE = `Usage: ecis basic ACCOUNT [options]

Sends an ECI Basic request for ACCOUNT and prints the account's standing data.

Options:
${COMMON}
`

export const INVOICE_USAGE = `Usage: ecis invoice ACCOUNT INVOICE [options]

Sends an ECI Invoice request and prints the invoice summary.

Options:
${COMMON}
`

export const INVOICE_DETAIL_USAGE = `Usage: ecis invoice-detail ACCOUNT INVOICE [options]

Sends an ECI Invoice Detail request and prints the invoice with its line items and credits.

Options:
${COMMON}
`

export const INVOICES_USAGE = `Usage: ecis invoices ACCOUNT [--detail] [--since YYYY-MM-DD] [--concurrency N] [options]

Reads the account's invoice history (the invoice ids of its Basic, in the provider's order),
with a progress bar on stderr.

Options:
  --detail                 Invoice Detail (line items) instead of Invoice
  --since YYYY-MM-DD       only invoices dated on or after this day (found by binary search:
                           only those are fetched)
  --concurrency N          requests in flight at once, 1-16 (default 4)
${COMMON}
`

/** Options shared by the data commands. */
export const DATA_OPTIONS = {
  ...GRANT_OPTIONS,
  json: { type: 'boolean' },
  lenient: { type: 'boolean' },
} as const

/** `ecis accounts`: what the grant covers, from the grant file (no request). */
export async function accountsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    { 'grant-file': { type: 'string' }, json: { type: 'boolean' } },
    ACCOUNTS_USAGE,
  )
  positionals(rest, [], ACCOUNTS_USAGE)
  const grantFile = values['grant-file'] ?? defaultGrantFile(io.env)
  const grant = await readGrant(grantFile)
  if (!grant || typeof grant !== 'object' || !Array.isArray(grant.accounts)) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The grant file ${grantFile} does not hold a grant`)
  }
  const expires = new Date(grant.expiresAt * 1000).toISOString()
  const expired = grant.expiresAt * 1000 <= Date.now()
  const refreshable = typeof grant.refreshToken === 'string' && grant.refreshToken !== ''
  if (values.json) {
    // The grant without its tokens.
    json(io.stdout, {
      issuer: grant.issuer,
      clientId: grant.clientId,
      resource: grant.resource,
      scopes: grant.scopes,
      accounts: grant.accounts,
      expiresAt: grant.expiresAt,
      expired,
      refreshable,
    })
    return 0
  }
  line(io.stdout, `Grant ${grantFile}`)
  line(io.stdout, `  provider   ${grant.issuer} (client ${grant.clientId})`)
  line(io.stdout, `  resource   ${grant.resource}`)
  line(io.stdout, `  scopes     ${grant.scopes.join(' ')}`)
  line(io.stdout, `  token      ${tokenState(expires, expired, refreshable)}`)
  line(io.stdout)
  line(
    io.stdout,
    table(
      ['account'],
      grant.accounts.map((a) => [a]),
    ),
  )
  return 0
}

/** The access token's state in words: when it expires, and what happens then. */
function tokenState(expires: string, expired: boolean, refreshable: boolean): string {
  if (!expired) return `expires ${expires}${refreshable ? ', refreshed automatically' : ', no refresh token'}`
  if (refreshable) return `expired ${expires}; the next request refreshes it`
  return `EXPIRED ${expires}, no refresh token: run "ecis consent" again`
}

type One = 'basic' | 'invoice' | 'invoice-detail'

const ONE_USAGE: Record<One, string> = {
  basic: BASIC_USAGE,
  invoice: INVOICE_USAGE,
  'invoice-detail': INVOICE_DETAIL_USAGE,
}

/** `ecis basic`, `ecis invoice`, `ecis invoice-detail`: one request, one object. */
export function singleCommand(which: One) {
  return async (args: string[], io: CliIo): Promise<number> => {
    const usage = ONE_USAGE[which]
    const { values, positionals: rest } = parse(args, DATA_OPTIONS, usage)
    const [account, invoice] = positionals(rest, which === 'basic' ? ['ACCOUNT'] : ['ACCOUNT', 'INVOICE'], usage)
    const deviations = new DeviationLog()
    const { session } = await openStoredSession(values, io, {
      validation: values.lenient ? 'lenient' : 'strict',
      onDeviation: deviations.add,
    })
    const call = { signal: io.signal }
    const result = await forAccount(
      session,
      account as string,
      (): Promise<object> =>
        which === 'basic'
          ? session.basic(account as string, call)
          : which === 'invoice'
            ? session.invoice(account as string, invoice as string, call)
            : session.invoiceDetail(account as string, invoice as string, call),
    )
    deviations.print(io.stderr)
    if (values.json) json(io.stdout, result)
    else line(io.stdout, fields(result))
    return 0
  }
}

/** `ecis invoices`: the account's history, ordered, bounded concurrency, progress on stderr. */
export async function invoicesCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    { ...DATA_OPTIONS, detail: { type: 'boolean' }, since: { type: 'string' }, concurrency: { type: 'string' } },
    INVOICES_USAGE,
  )
  const [account] = positionals(rest, ['ACCOUNT'], INVOICES_USAGE) as [string]
  const concurrency = integer(values.concurrency, 'concurrency', INVOICES_USAGE, { min: 1, max: 16 }) ?? 4
  const since = values.since
  if (since !== undefined && !isCalendarDate(since)) {
    throw new UsageError('--since must be a YYYY-MM-DD date', INVOICES_USAGE)
  }
  const detail = values.detail === true
  const deviations = new DeviationLog()
  const { session } = await openStoredSession(values, io, {
    validation: values.lenient ? 'lenient' : 'strict',
    onDeviation: deviations.add,
  })
  // The bar counts what is really fetched: with --since only the invoices from the cut on,
  // which a binary search over the date-ordered ids finds with a few Invoice requests.
  let bar: Progress | undefined
  let searched = 0
  const onProgress = (p: InvoicesProgress) => {
    if (!bar) {
      searched = p.searched
      bar = progress(io.stderr, p.total, `invoices of ${account}`, io.env)
    } else bar.tick()
  }
  const invoices: (Invoice | InvoiceDetail)[] = []
  try {
    await forAccount(session, account, async () => {
      for await (const invoice of session.invoices(account, {
        detail,
        since,
        concurrency,
        onProgress,
        signal: io.signal,
      })) {
        invoices.push(invoice)
      }
    })
  } finally {
    bar?.done()
  }
  if (since !== undefined && bar)
    line(io.stderr, `${searched} Invoice request(s) found the first invoice since ${since}`)
  deviations.print(io.stderr)
  if (values.json) {
    json(io.stdout, invoices)
    return 0
  }
  const rows = invoices.map((i) => {
    const row: (string | number)[] = [
      i.system_invoice_id,
      i.invoice_date,
      `${i.service_period_start} → ${i.service_period_end}`,
    ]
    if (detail) {
      const d = i as InvoiceDetail
      row.push(...detailColumns(d))
    }
    row.push(usd(i.invoice_total), i.invoice_due_date, i.invoice_paid ? 'paid' : 'open')
    return row
  })
  const headers = ['invoice', 'date', 'service period']
  if (detail) headers.push('usage', 'charges', 'credit used')
  headers.push('total', 'due', 'status')
  line(io.stdout, table(headers, rows))
  line(
    io.stdout,
    `${invoices.length} invoice(s)${since ? ` since ${since}` : ''} of ${account}${detail ? ' with details' : ''}`,
  )
  return 0
}
