/**
 * Deterministic ECIS data for the mock provider: resource owners with electric and gas
 * accounts, at least 24 monthly invoices per account, producer projects and net-metering
 * credits that carry over from month to month.
 *
 * Money is computed in integers so every figure is exact:
 * - each line total is `quantity × rate`, rounded half-up to the cent;
 * - the credit value is `credit_allocated × credit_rate`, rounded half-up to the cent, and is
 *   never more than the line totals (credits never make a bill negative);
 * - `invoice_total` = sum of the five line totals − the credit value;
 * - `credit_remaining_total` = `credit_carryover + credit_new − credit_allocated`, and it is the
 *   next invoice's `credit_carryover`.
 *
 * @module
 */
import { type Invoice, type InvoiceDetail, InvoiceSchema } from '../schemas/responses.js'
import { injectBillErrors } from './bill-errors.js'
import {
  type AccountProfile,
  drawProfile,
  generateInvoices,
  type HistoryState,
  nextInvoice,
} from './invoice-history.js'
import { createPrng, type Prng } from './prng.js'
import type {
  FixtureOptions,
  MockAccount,
  MockAccountSpec,
  MockAccountType,
  MockFixtures,
  MockNewInvoice,
  MockOwner,
  MockOwnerSpec,
} from './types.js'

const OWNER_NAMES = [
  'Avery Chen',
  'Jordan Alvarez',
  'Morgan Okafor',
  'Riley Novak',
  'Casey Lindqvist',
  'Sam Whitfield',
  'Taylor Brennan',
  'Quinn Adeyemi',
  'Harper Sato',
  'Rowan Delacroix',
]
const PROJECT_NAMES = [
  'Maple Ridge Community Solar',
  'Sunny Acres Solar 2',
  'Cedar Creek Solar Garden',
  'Riverbend Wind',
  'Old Mill Solar',
  'Granite Hill Community Solar',
]
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

class Generator {
  readonly #rng: Prng
  readonly #accountIds = new Set<string>()
  readonly #invoiceIds = new Set<string>()
  readonly #asOf: string
  readonly #projectPool: string[]
  /** Each account's profile and where its history stands, to bill the next month. */
  readonly histories = new Map<string, { profile: AccountProfile; state: HistoryState }>()

  constructor(rng: Prng, asOf: string) {
    this.#rng = rng
    this.#asOf = asOf
    const pool = [...PROJECT_NAMES]
    this.#projectPool = []
    for (let i = 0; i < 4; i++) this.#projectPool.push(pool.splice(rng.int(0, pool.length - 1), 1)[0] as string)
  }

  #accountId(wanted?: string): string {
    let id = wanted ?? `${this.#rng.digits(4)}-${this.#rng.digits(3)}`
    while (this.#accountIds.has(id)) {
      if (wanted) throw new Error(`Duplicate systemAccountId "${wanted}" in the mock owners`)
      id = `${this.#rng.digits(4)}-${this.#rng.digits(3)}`
    }
    this.#accountIds.add(id)
    return id
  }

  #invoiceId(wanted?: string): string {
    let id = wanted && !this.#invoiceIds.has(wanted) ? wanted : this.#rng.hex(11)
    while (this.#invoiceIds.has(id)) id = this.#rng.hex(11)
    this.#invoiceIds.add(id)
    return id
  }

  owner(index: number, spec: MockOwnerSpec, example: boolean): MockOwner {
    const rng = this.#rng
    const ownerId = spec.ownerId ?? `owner-${index + 1}`
    const name = spec.name ?? OWNER_NAMES[(index + rng.int(0, OWNER_NAMES.length - 1)) % OWNER_NAMES.length]!
    let specs: MockAccountSpec[]
    if (Array.isArray(spec.accounts)) specs = spec.accounts
    else if (example) specs = [{ systemAccountId: '0018-102', accountType: 'electric' }, { accountType: 'gas' }]
    else specs = Array.from({ length: spec.accounts ?? rng.int(1, 4) }, () => ({}))
    const accounts = specs.map((s, i) => this.account(ownerId, s, example && i === 0))
    return { ownerId, name, accounts }
  }

  #projects(spec: MockAccountSpec, electric: boolean, example: boolean): string[] {
    const rng = this.#rng
    if (spec.producerProjects) return [...spec.producerProjects]
    if (!electric || !(example || rng.chance(0.8))) return []
    const projects = [rng.pick(this.#projectPool)]
    if (rng.chance(0.3)) {
      const second = rng.pick(this.#projectPool)
      if (second !== projects[0]) projects.push(second)
    }
    return projects
  }

  account(ownerId: string, spec: MockAccountSpec, example: boolean): MockAccount {
    const rng = this.#rng
    const systemAccountId = this.#accountId(spec.systemAccountId)
    const accountType: MockAccountType = spec.accountType ?? (rng.chance(0.65) ? 'electric' : 'gas')
    const months = Math.max(1, Math.floor(spec.months ?? rng.int(24, 36)))
    const projects = this.#projects(spec, accountType === 'electric', example)
    const profile = drawProfile(rng, systemAccountId, accountType, projects.length > 0)
    const { invoices, state } = generateInvoices(rng, profile, {
      months,
      asOf: this.#asOf,
      invoiceId: (isLast) => this.#invoiceId(example && isLast ? '09183eef267' : undefined),
    })
    this.histories.set(systemAccountId, { profile, state })
    const basic = {
      system_account_id: systemAccountId,
      account_type: accountType,
      rate_code: profile.rateCode,
      next_read_date: invoices[invoices.length - 1]!.next_read_date,
      meter_number: profile.meterNumber,
      producer_projects: projects,
      system_invoice_ids: invoices.map((i) => i.system_invoice_id),
    }
    return { systemAccountId, ownerId, accountType, basic, invoices }
  }

  /** The account with its next month's invoice appended (a new frozen object). */
  nextMonth(account: MockAccount): MockAccount {
    const history = this.histories.get(account.systemAccountId)!
    const { invoice, state } = nextInvoice(this.#rng, history.profile, history.state, this.#invoiceId())
    history.state = state
    const invoices = [...account.invoices, invoice]
    const basic = {
      ...account.basic,
      next_read_date: invoice.next_read_date,
      system_invoice_ids: [...account.basic.system_invoice_ids, invoice.system_invoice_id],
    }
    return deepFreeze({ ...account, basic, invoices })
  }
}

/** The Invoice fields, as the schema names them (an InvoiceDetail holds them all). */
const INVOICE_FIELDS = Object.keys(InvoiceSchema.shape) as (keyof Invoice)[]

/** The Invoice (summary) part of an InvoiceDetail. */
export function invoiceOf(detail: InvoiceDetail): Invoice {
  const out: Record<string, unknown> = {}
  for (const k of INVOICE_FIELDS) if (detail[k] !== undefined) out[k] = detail[k]
  return out as Invoice
}

/** The fixtures' generator, kept to bill further months (`provider.issueInvoices()`). */
const generators = new WeakMap<MockFixtures, (accounts?: readonly string[]) => MockNewInvoice[]>()

/**
 * Bills the next month of each of `accounts` (default: every account): its invoice is appended
 * to the account's history and its Basic's `system_invoice_ids`.
 * @throws {Error} for an account the fixtures do not hold.
 * @internal
 */
export function issueNextInvoices(fixtures: MockFixtures, accounts?: readonly string[]): MockNewInvoice[] {
  return generators.get(fixtures)!(accounts)
}

/**
 * Generates the data set. Deterministic: the same options give the same data everywhere.
 * @throws {Error} when the owner specs repeat an `ownerId` or `systemAccountId`, or `asOf` is not a date.
 */
export function createFixtures(options: FixtureOptions = {}): MockFixtures {
  const seed = options.seed ?? 1
  const asOf = options.asOf ?? '2026-01-15'
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) {
    throw new Error('`asOf` must be a YYYY-MM-DD date')
  }
  const rng = createPrng(seed)
  const generator = new Generator(rng, asOf)
  const specs = options.owners ?? 3
  const list: MockOwnerSpec[] =
    typeof specs === 'number' ? Array.from({ length: Math.max(1, specs) }, () => ({})) : specs
  if (!Array.isArray(list) || list.length === 0) throw new Error('`owners` must name at least one owner')
  let owners: readonly MockOwner[] = list.map((spec, i) =>
    generator.owner(i, spec, typeof specs === 'number' && i === 0),
  )
  const byOwner = new Map<string, MockOwner>()
  for (const o of owners) {
    if (byOwner.has(o.ownerId)) throw new Error(`Duplicate ownerId "${o.ownerId}" in the mock owners`)
    byOwner.set(o.ownerId, o)
  }
  const billErrors = injectBillErrors(
    owners.flatMap((o) => o.accounts),
    options.billErrors,
  )
  deepFreeze(owners)
  deepFreeze(billErrors)

  const byAccount = new Map<string, MockAccount>()
  const byInvoice = new Map<string, InvoiceDetail>()
  const index = (a: MockAccount) => {
    byAccount.set(a.systemAccountId, a)
    for (const inv of a.invoices) byInvoice.set(`${a.systemAccountId}\n${inv.system_invoice_id}`, inv)
  }
  for (const o of owners) for (const a of o.accounts) index(a)
  let all = Object.freeze([...byAccount.values()])
  const detail = (a: string, i: string) => byInvoice.get(`${a}\n${i}`)

  const fixtures: MockFixtures = Object.freeze({
    seed,
    asOf,
    get owners() {
      return owners
    },
    billErrors,
    accounts: () => all,
    account: (id: string) => byAccount.get(id),
    owner: (id: string) => byOwner.get(id),
    basic: (id: string) => byAccount.get(id)?.basic,
    invoice: (a: string, i: string) => {
      const d = detail(a, i)
      return d ? invoiceOf(d) : undefined
    },
    invoiceDetail: detail,
  })
  generators.set(fixtures, (accounts) => {
    const wanted = new Set(accounts ?? byAccount.keys())
    for (const id of wanted) if (!byAccount.has(id)) throw new Error(`No account "${id}" in the mock fixtures`)
    const issued: MockNewInvoice[] = []
    owners = Object.freeze(
      owners.map((o) => {
        if (!o.accounts.some((a) => wanted.has(a.systemAccountId))) return o
        const accounts = o.accounts.map((a) => {
          if (!wanted.has(a.systemAccountId)) return a
          const next = generator.nextMonth(a)
          index(next)
          const invoice = next.invoices[next.invoices.length - 1]!
          issued.push({ systemAccountId: a.systemAccountId, systemInvoiceId: invoice.system_invoice_id })
          return next
        })
        const owner = Object.freeze({ ...o, accounts: Object.freeze(accounts) })
        byOwner.set(owner.ownerId, owner)
        return owner
      }),
    )
    all = Object.freeze([...byAccount.values()])
    return issued
  })
  return fixtures
}
