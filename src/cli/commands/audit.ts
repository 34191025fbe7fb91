/**
 * `ecis audit ACCOUNT`: the money audit of an account's invoice history (exact amounts, the
 * bill arithmetic, credits carried from bill to bill, contiguous service periods). Exit code 1
 * when a finding is an error.
 */
import {
  type AuditFinding,
  absAmount,
  addAmounts,
  auditHistory,
  creditValue,
  type ExactAmount,
  exactAmount,
  formatAmount,
  type HistoryAuditOptions,
  ROUNDING_MODES,
  type RoundingMode,
  subAmounts,
} from '../../money/index.js'
import type { InvoiceDetail } from '../../schemas/index.js'
import { isCalendarDate } from '../../schemas/index.js'
import { integer, parse, positionals } from '../args.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { DeviationLog, forAccount, openStoredSession } from '../stored-session.js'
import { table } from '../table.js'
import { COMMON, DATA_OPTIONS } from './data.js'

export const AUDIT_USAGE = `Usage: ecis audit ACCOUNT [--since YYYY-MM-DD] [--tolerance USD] [--json] [options]

Reads the account's invoice history with details and audits its money exactly (docs/money.md):
each line total is quantity × rate to the cent; the invoice total is the line totals less the
credit allocated × the credit rate; remaining credit is carryover + new − allocated and is the
next bill's carryover; service periods meet without gap or overlap; dates are in order; no
invoice id repeats. Exit code 1 when a finding is an error.

Options:
  --since YYYY-MM-DD       only invoices dated on or after this day (the first one's carryover
                           is then not compared with the bill before it)
  --tolerance USD          invoice-total differences up to this are warnings (taxes, fees),
                           larger ones errors (default: every difference is a warning)
  --rounding MODE          how quantity × rate rounds to the cent: half-up (default),
                           half-even, down, up
  --contiguity MODE        next-day (default: a period starts the day after the previous one
                           ends) or same-day (meter read to meter read)
  --concurrency N          requests in flight at once, 1-16 (default 4)
${COMMON}
`

function tolerance(value: string | undefined): ExactAmount | undefined {
  if (value === undefined) return undefined
  try {
    const amount = exactAmount(value)
    if (amount.units >= 0n) return amount
  } catch {
    // Not a decimal number: the usage error below says what is.
  }
  throw new UsageError('--tolerance must be an amount in USD such as 5.00', AUDIT_USAGE)
}

function auditOptions(values: {
  tolerance?: string | undefined
  rounding?: string | undefined
  contiguity?: string | undefined
}): HistoryAuditOptions {
  const rounding = values.rounding as RoundingMode | undefined
  if (rounding !== undefined && !ROUNDING_MODES.includes(rounding)) {
    throw new UsageError(`--rounding must be one of ${ROUNDING_MODES.join(', ')}`, AUDIT_USAGE)
  }
  const contiguity = values.contiguity
  if (contiguity !== undefined && contiguity !== 'next-day' && contiguity !== 'same-day') {
    throw new UsageError('--contiguity must be next-day or same-day', AUDIT_USAGE)
  }
  return { tolerance: tolerance(values.tolerance), rounding, contiguity }
}

/** The findings as a table (invoice, date, severity, check, field, expected, actual), each message below it. */
export function findingsTable(findings: readonly AuditFinding[], details: readonly InvoiceDetail[]): string {
  const rows = findings.map((f) => {
    const [index, ...field] = f.path
    const date = typeof index === 'number' ? (details[index]?.invoice_date ?? '') : ''
    return [f.systemInvoiceId, date, f.severity, f.check, field.join('.'), f.expected, f.actual]
  })
  const messages = findings.map((f, i) => `  ${i + 1}. ${f.systemInvoiceId}: ${f.message}`)
  return `${table(['invoice', 'date', 'severity', 'check', 'field', 'expected', 'actual'], rows)}\n\n${messages.join('\n')}`
}

/** One line: how many invoices, which service, and the verdict. */
export function auditSummary(
  account: string,
  findings: readonly AuditFinding[],
  details: readonly InvoiceDetail[],
): string {
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors
  const span =
    details.length > 0 ? `, service ${details[0]!.service_period_start} to ${details.at(-1)!.service_period_end}` : ''
  const verdict =
    findings.length === 0
      ? 'every figure adds up'
      : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
  return `${details.length} invoice(s) of ${account}${span}: ${verdict}`
}

/**
 * The history's credits, summed exactly: carried into the first bill + new − allocated is the
 * `balance` the last bill should leave; `remaining` is what it says it leaves.
 */
export function creditTotals(details: readonly InvoiceDetail[]) {
  const sum = (pick: (d: InvoiceDetail) => number) => addAmounts(...details.map((d) => exactAmount(pick(d))))
  const carriedIn = exactAmount(details[0]?.credit_carryover ?? 0)
  const fresh = sum((d) => d.credit_new)
  const allocated = sum((d) => d.credit_allocated)
  const balance = subAmounts(addAmounts(carriedIn, fresh), allocated)
  const remaining = exactAmount(details.at(-1)?.credit_remaining_total ?? 0)
  return {
    unit: details.at(-1)?.credit_unit,
    carriedIn: formatAmount(carriedIn),
    new: formatAmount(fresh),
    allocated: formatAmount(allocated),
    value: formatAmount(addAmounts(...details.map((d) => creditValue(d)))),
    balance: formatAmount(balance),
    remaining: formatAmount(remaining),
  }
}

/** One line about the credits (and any lost on the way), or `undefined` when the history has none. */
export function creditSummary(details: readonly InvoiceDetail[]): string | undefined {
  if (details.every((d) => d.credit_new === 0 && d.credit_allocated === 0 && d.credit_carryover === 0)) return undefined
  const c = creditTotals(details)
  const head = `credits ${c.carriedIn} ${c.unit} carried in + ${c.new} new − ${c.allocated} allocated (worth $${c.value})`
  const off = subAmounts(exactAmount(c.balance), exactAmount(c.remaining))
  if (off.units === 0n) return `${head} = ${c.remaining} ${c.unit} remaining`
  const what = off.units > 0n ? 'lost' : 'appeared'
  return `${head} = ${c.balance} ${c.unit}, but ${c.remaining} ${c.unit} remain: ${formatAmount(absAmount(off))} ${c.unit} ${what} between bills`
}

/** `ecis audit ACCOUNT`. */
export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    {
      ...DATA_OPTIONS,
      since: { type: 'string' },
      tolerance: { type: 'string' },
      rounding: { type: 'string' },
      contiguity: { type: 'string' },
      concurrency: { type: 'string' },
    },
    AUDIT_USAGE,
  )
  const [account] = positionals(rest, ['ACCOUNT'], AUDIT_USAGE) as [string]
  const since = values.since
  if (since !== undefined && !isCalendarDate(since))
    throw new UsageError('--since must be a YYYY-MM-DD date', AUDIT_USAGE)
  const concurrency = integer(values.concurrency, 'concurrency', AUDIT_USAGE, { min: 1, max: 16 }) ?? 4
  const options = auditOptions(values)
  const deviations = new DeviationLog()
  const { session } = await openStoredSession(values, io, {
    validation: values.lenient ? 'lenient' : 'strict',
    onDeviation: deviations.add,
  })
  const details: InvoiceDetail[] = []
  await forAccount(session, account, async () => {
    const history = session.invoices(account, { detail: true, since, concurrency, signal: io.signal })
    for await (const detail of history) details.push(detail)
  })
  const findings = auditHistory(details, options)
  deviations.print(io.stderr)
  const errors = findings.filter((f) => f.severity === 'error').length
  if (values.json) {
    const summary = { account, since, invoices: details.length, errors, warnings: findings.length - errors }
    json(io.stdout, { ...summary, credit: creditTotals(details), findings })
  } else {
    if (findings.length > 0) line(io.stdout, `${findingsTable(findings, details)}\n`)
    line(io.stdout, auditSummary(account, findings, details))
    const credits = creditSummary(details)
    if (credits) line(io.stdout, credits)
  }
  return errors > 0 ? 1 : 0
}
