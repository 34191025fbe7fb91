/**
 * Wrong bills on request (the fixtures' `billErrors` option): each kind alters the generated,
 * exactly adding-up invoices so that one audit check fails, and is recorded where it went.
 * @module
 */
import type { Basic, InvoiceDetail } from '../schemas/responses.js'
import { addDays, settleCredits } from './billing.js'
import type {
  MockAccount,
  MockBillError,
  MockBillErrorKind,
  MockBillErrorSpec,
  MockInjectedBillError,
} from './types.js'

/** Every kind, in the order they are applied (those that re-settle credits first). */
const KINDS: readonly MockBillErrorKind[] = [
  'credit-carryover',
  'credit-remaining',
  'line-total',
  'invoice-total',
  'service-period',
  'due-date',
  'period-gap',
  'period-overlap',
  'duplicate-invoice',
  'invoice-order',
]
/** Kinds about an invoice and the one before it. */
const HISTORY_KINDS: ReadonlySet<MockBillErrorKind> = new Set([
  'credit-carryover',
  'period-gap',
  'period-overlap',
  'duplicate-invoice',
  'invoice-order',
])
const LINE_TOTALS = [
  'energy_consumption_total',
  'distribution_total',
  'transmission_total',
  'stranded_costs_total',
  'conservation_total',
] as const

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
/** An account while its invoices may still change (before the fixtures are frozen). */
interface Draft {
  readonly systemAccountId: string
  readonly basic: Mutable<Basic>
  readonly invoices: InvoiceDetail[]
}

const cents = (usd: number) => Math.round(usd * 100)

/** Settles credits again from invoice `from` on, starting with `carryover` kWh. */
function resettle(invoices: InvoiceDetail[], from: number, carryover: number): void {
  let carry = carryover
  for (const d of invoices.slice(from)) {
    const charges = LINE_TOTALS.reduce((sum, field) => sum + cents(d[field]), 0)
    const settled = settleCredits(charges, Math.round(d.credit_rate * 1e5), carry, d.credit_new)
    d.credit_carryover = carry
    d.credit_allocated = settled.allocated
    d.credit_remaining_total = settled.remaining
    d.invoice_total = (charges - settled.creditCents) / 100
    carry = settled.remaining
  }
}

/** Alters invoice `k` of the draft (and what must follow from it); returns the id the audit names. */
const APPLY: Record<MockBillErrorKind, (draft: Draft, k: number) => string | undefined> = {
  'line-total': ({ invoices }, k) => {
    const d = invoices[k]!
    d.distribution_total = (cents(d.distribution_total) + 10) / 100
    d.invoice_total = (cents(d.invoice_total) + 10) / 100
    return d.system_invoice_id
  },
  'invoice-total': ({ invoices }, k) => {
    const d = invoices[k]!
    d.invoice_total = (cents(d.invoice_total) + 250) / 100
    return d.system_invoice_id
  },
  'credit-remaining': ({ invoices }, k) => {
    invoices[k]!.credit_remaining_total += 40
    for (const later of invoices.slice(k + 1)) {
      later.credit_carryover += 40
      later.credit_remaining_total += 40
    }
    return invoices[k]!.system_invoice_id
  },
  'service-period': ({ invoices }, k) => {
    const d = invoices[k]!
    ;[d.service_period_start, d.service_period_end] = [d.service_period_end, d.service_period_start]
    return d.system_invoice_id
  },
  'due-date': ({ invoices }, k) => {
    const d = invoices[k]!
    d.invoice_due_date = addDays(d.invoice_date, -5)
    return d.system_invoice_id
  },
  'credit-carryover': ({ invoices }, k) => {
    if (!(invoices[k - 1]!.credit_remaining_total > 0)) return undefined
    resettle(invoices, k, 0)
    return invoices[k]!.system_invoice_id
  },
  'period-gap': ({ invoices }, k) => {
    const d = invoices[k]!
    d.service_period_start = addDays(d.service_period_start, 3)
    return d.system_invoice_id
  },
  'period-overlap': ({ invoices }, k) => {
    const d = invoices[k]!
    d.service_period_start = addDays(d.service_period_start, -3)
    return d.system_invoice_id
  },
  'duplicate-invoice': ({ basic, invoices }, k) => {
    const repeated = invoices[k - 1]!.system_invoice_id
    const at = basic.system_invoice_ids.indexOf(repeated)
    basic.system_invoice_ids = [...basic.system_invoice_ids.slice(0, at + 1), ...basic.system_invoice_ids.slice(at)]
    return repeated
  },
  'invoice-order': ({ invoices }, k) => {
    const d = invoices[k]!
    d.invoice_date = addDays(invoices[k - 1]!.invoice_date, -1)
    return d.system_invoice_id
  },
}

function spec(error: MockBillError): MockBillErrorSpec {
  const s = typeof error === 'string' ? { kind: error } : error
  if (!s || typeof s !== 'object' || !KINDS.includes(s.kind)) {
    throw new Error(`\`billErrors\`: each must be one of ${KINDS.join(', ')} or { kind, account?, invoice? }`)
  }
  if (s.invoice !== undefined && !Number.isInteger(s.invoice)) {
    throw new Error('`billErrors`: `invoice` must be a whole number (0 the oldest, -1 the newest)')
  }
  return s
}

/** The invoice positions to try for `kind`: the one asked for, or by default nearby recent ones. */
function candidates(kind: MockBillErrorKind, count: number, invoice: number | undefined): number[] {
  const first = HISTORY_KINDS.has(kind) ? 1 : 0
  if (count <= first) return []
  if (invoice !== undefined) {
    const k = invoice < 0 ? count + invoice : invoice
    return k >= first && k < count ? [k] : []
  }
  // A recent invoice, a different one per kind, then (credit-carryover) older and newer ones.
  const start = Math.max(first, Math.min(count - 1, count - 2 - KINDS.indexOf(kind)))
  const older = Array.from({ length: start - first }, (_, i) => start - 1 - i)
  const newer = Array.from({ length: count - 1 - start }, (_, i) => start + 1 + i)
  return [start, ...older, ...newer]
}

/** The position of each injected error in its account's final `system_invoice_ids`. */
function positions(drafts: readonly Draft[], applied: Omit<MockInjectedBillError, 'index'>[]): MockInjectedBillError[] {
  return applied.map((error) => {
    const ids = drafts.find((d) => d.systemAccountId === error.systemAccountId)!.basic.system_invoice_ids
    const first = ids.indexOf(error.systemInvoiceId)
    const index = error.kind === 'duplicate-invoice' ? ids.indexOf(error.systemInvoiceId, first + 1) : first
    return { ...error, index }
  })
}

/**
 * Injects the wrong bills into the accounts (before the fixtures are frozen).
 * @throws {Error} for an unknown kind or account, or an error that cannot apply where it was asked for.
 */
export function injectBillErrors(
  accounts: readonly MockAccount[],
  errors: readonly MockBillError[] | undefined,
): MockInjectedBillError[] {
  if (errors === undefined) return []
  if (!Array.isArray(errors)) throw new Error('`billErrors` must be an array')
  const specs = errors.map(spec).sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind))
  // Not frozen yet: the generator made them a moment ago.
  const drafts = accounts as unknown as readonly Draft[]
  const applied: Omit<MockInjectedBillError, 'index'>[] = []
  for (const s of specs) {
    const targets = s.account === undefined ? drafts : drafts.filter((d) => d.systemAccountId === s.account)
    if (targets.length === 0) throw new Error(`\`billErrors\`: no account "${s.account}"`)
    for (const draft of targets) {
      let id: string | undefined
      for (const k of candidates(s.kind, draft.invoices.length, s.invoice)) {
        id = APPLY[s.kind](draft, k)
        if (id !== undefined) break
      }
      if (id !== undefined) applied.push({ kind: s.kind, systemAccountId: draft.systemAccountId, systemInvoiceId: id })
      else if (s.account !== undefined) {
        throw new Error(`\`billErrors\`: ${s.kind} cannot apply to account "${s.account}" at the invoice asked for`)
      }
    }
  }
  return positions(drafts, applied)
}
