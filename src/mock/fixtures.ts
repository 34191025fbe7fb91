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
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'
import { createPrng, type Prng } from './prng.js'

/** The kinds of account the ECIS vocabulary knows. */
export type MockAccountType = 'electric' | 'gas'

/** Shape of one account to generate; anything left out is drawn from the seed. */
export interface MockAccountSpec {
  /** The account's `system_account_id`. @default a random `NNNN-NNN` */
  systemAccountId?: string | undefined
  /** @default electric about two times in three */
  accountType?: MockAccountType | undefined
  /** Number of monthly invoices (at least 1). @default 24 to 36 */
  months?: number | undefined
  /** Producer projects the account receives credits from (electric only). @default drawn from the seed */
  producerProjects?: string[] | undefined
}

/** Shape of one resource owner to generate. */
export interface MockOwnerSpec {
  /** @default `owner-N` */
  ownerId?: string | undefined
  /** Display name on the consent page. @default drawn from the seed */
  name?: string | undefined
  /** How many accounts, or one spec per account. @default 1 to 4 */
  accounts?: number | MockAccountSpec[] | undefined
}

/** One generated account with its canonical (SDK-output) data. */
export interface MockAccount {
  readonly systemAccountId: string
  readonly ownerId: string
  readonly accountType: MockAccountType
  /** The ECI Basic response, canonical spelling. */
  readonly basic: Basic
  /** Every invoice with its details, oldest first (the order of `basic.system_invoice_ids`). */
  readonly invoices: readonly InvoiceDetail[]
}

/** One generated resource owner (the shared customer). */
export interface MockOwner {
  readonly ownerId: string
  readonly name: string
  readonly accounts: readonly MockAccount[]
}

/** Options of {@link createFixtures}. */
export interface FixtureOptions {
  /** Same seed, same data. @default 1 */
  seed?: number | string | undefined
  /**
   * How many owners to generate, or one spec per owner. With a number, the first owner always
   * has the seed document's example account `0018-102` (electric, with a producer project) and
   * a gas account.
   * @default 3
   */
  owners?: number | MockOwnerSpec[] | undefined
  /**
   * The data's "today" (`YYYY-MM-DD`): the newest invoice is dated on or before it. Fixed so the
   * data never depends on the machine's clock.
   * @default '2026-01-15'
   */
  asOf?: string | undefined
}

/** The generated data set, with lookups. All objects are frozen. */
export interface MockFixtures {
  readonly seed: number | string
  readonly asOf: string
  readonly owners: readonly MockOwner[]
  /** Every account of every owner. */
  accounts(): readonly MockAccount[]
  account(systemAccountId: string): MockAccount | undefined
  owner(ownerId: string): MockOwner | undefined
  /** The canonical Basic of an account, as the SDK's `parseBasic` returns it. */
  basic(systemAccountId: string): Basic | undefined
  /** The canonical Invoice, as the SDK's `parseInvoice` returns it. */
  invoice(systemAccountId: string, systemInvoiceId: string): Invoice | undefined
  /** The canonical InvoiceDetail, as the SDK's `parseInvoiceDetail` returns it. */
  invoiceDetail(systemAccountId: string, systemInvoiceId: string): InvoiceDetail | undefined
}

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
const ELECTRIC_RATES = ['R-1', 'R-3 TOU', 'GS-1']
const GAS_RATES = ['G-1', 'G-3']

/** Exact half-up rounding of `value / 1000` for a non-negative integer `value`. */
function roundThousandth(value: number): number {
  const rem = value % 1000
  return (value - rem) / 1000 + (rem >= 500 ? 1 : 0)
}

/** Cents of `quantity × rate`, with `rate` in units of 1e-5 USD. */
function lineCents(quantity: number, rate5: number): number {
  return roundThousandth(quantity * rate5)
}

function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/** `YYYY-MM-DD` of (year, month0, day); month0 may run past 0–11. */
function periodStart(year: number, month0: number, day: number): string {
  const date = new Date(Date.UTC(year, month0, day))
  return date.toISOString().slice(0, 10)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

interface Rates {
  energy: number
  distribution: number
  transmission: number
  stranded: number
  conservation: number
}

class Generator {
  readonly #rng: Prng
  readonly #accountIds = new Set<string>()
  readonly #invoiceIds = new Set<string>()
  readonly #asOf: string
  readonly #projects: string[]

  constructor(rng: Prng, asOf: string) {
    this.#rng = rng
    this.#asOf = asOf
    const pool = [...PROJECT_NAMES]
    this.#projects = []
    for (let i = 0; i < 4; i++) this.#projects.push(pool.splice(rng.int(0, pool.length - 1), 1)[0] as string)
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

  account(ownerId: string, spec: MockAccountSpec, example: boolean): MockAccount {
    const rng = this.#rng
    const systemAccountId = this.#accountId(spec.systemAccountId)
    const accountType: MockAccountType = spec.accountType ?? (rng.chance(0.65) ? 'electric' : 'gas')
    const electric = accountType === 'electric'
    const months = Math.max(1, Math.floor(spec.months ?? rng.int(24, 36)))
    let projects: string[] = []
    if (spec.producerProjects) projects = [...spec.producerProjects]
    else if (electric && (example || rng.chance(0.8))) {
      projects = [rng.pick(this.#projects)]
      if (rng.chance(0.3)) {
        const second = rng.pick(this.#projects)
        if (second !== projects[0]) projects.push(second)
      }
    }
    const rateCode = electric ? rng.pick(ELECTRIC_RATES) : rng.pick(GAS_RATES)
    const meterNumber = `${electric ? 'E' : 'G'}${rng.digits(8)}`
    const baseRates: Rates = electric
      ? {
          energy: rng.int(9000, 15000),
          distribution: rng.int(3000, 6000),
          transmission: rng.int(1200, 2500),
          stranded: rng.int(100, 500),
          conservation: rng.int(200, 600),
        }
      : {
          energy: rng.int(50000, 90000),
          distribution: rng.int(30000, 60000),
          transmission: rng.int(5000, 10000),
          stranded: 0,
          conservation: rng.int(2000, 6000),
        }
    const usageBase = electric ? rng.int(450, 1100) : rng.int(30, 90)
    // Net-metering credits are valued near the retail rate, so sunny months leave credit to carry over.
    const retail =
      baseRates.energy + baseRates.distribution + baseRates.transmission + baseRates.stranded + baseRates.conservation
    const creditRate = projects.length > 0 ? Math.round(retail * (0.8 + 0.15 * rng.next())) : 0
    // A subscription sized to about half to all of the usage, in kWh of credit per month.
    const projectShare = projects.length > 0 ? Math.round(usageBase * (0.6 + 0.5 * rng.next())) : 0
    let carryover = projects.length > 0 ? rng.int(0, 300) : 0
    const cycleDay = rng.int(1, 28)

    // The newest period is the last one whose invoice (two days after it ends) is not after asOf.
    const asOfDate = new Date(`${this.#asOf}T00:00:00Z`)
    const y = asOfDate.getUTCFullYear()
    let m0 = asOfDate.getUTCMonth()
    for (;;) {
      const end = addDays(periodStart(y, m0 + 1, cycleDay), -1)
      if (addDays(end, 2) <= this.#asOf) break
      m0 -= 1
    }
    const firstMonth0 = m0 - (months - 1)
    const firstYear = new Date(Date.UTC(y, firstMonth0, 1)).getUTCFullYear()

    const invoices: InvoiceDetail[] = []
    for (let k = 0; k < months; k++) {
      const start = periodStart(y, firstMonth0 + k, cycleDay)
      const end = addDays(periodStart(y, firstMonth0 + k + 1, cycleDay), -1)
      const nextRead = addDays(periodStart(y, firstMonth0 + k + 2, cycleDay), -1)
      const month0 = new Date(`${start}T00:00:00Z`).getUTCMonth()
      const years = new Date(`${start}T00:00:00Z`).getUTCFullYear() - firstYear
      const escalate = (rate: number) => Math.round(rate * 1.03 ** years)
      const rates: Rates = {
        energy: escalate(baseRates.energy),
        distribution: escalate(baseRates.distribution),
        transmission: escalate(baseRates.transmission),
        stranded: escalate(baseRates.stranded),
        conservation: escalate(baseRates.conservation),
      }
      // Electric peaks in July (cooling), gas in January (heating).
      const season = electric
        ? 1 + 0.35 * Math.cos((2 * Math.PI * (month0 - 6)) / 12)
        : 1 + 0.8 * Math.cos((2 * Math.PI * month0) / 12)
      const quantity = Math.max(electric ? 50 : 5, Math.round(usageBase * season * (0.9 + 0.2 * rng.next())))
      const lines = {
        energy: lineCents(quantity, rates.energy),
        distribution: lineCents(quantity, rates.distribution),
        transmission: lineCents(quantity, rates.transmission),
        stranded: lineCents(quantity, rates.stranded),
        conservation: lineCents(quantity, rates.conservation),
      }
      const charges = lines.energy + lines.distribution + lines.transmission + lines.stranded + lines.conservation

      // Solar credits peak in June.
      const creditNew =
        projectShare > 0
          ? Math.round(
              projectShare * (1 + 0.6 * Math.cos((2 * Math.PI * (month0 - 5)) / 12)) * (0.85 + 0.3 * rng.next()),
            )
          : 0
      const available = carryover + creditNew
      const affordable = creditRate > 0 ? Math.floor((charges * 1000) / creditRate) : 0
      const allocated = Math.min(available, affordable)
      const creditCents = creditRate > 0 ? roundThousandth(allocated * creditRate) : 0
      const remaining = available - allocated

      const invoiceDate = addDays(end, 2)
      const dueDate = addDays(invoiceDate, 21)
      const isLast = k === months - 1
      const paid = !(isLast && dueDate >= this.#asOf && rng.chance(0.7))
      const id = this.#invoiceId(example && isLast ? '09183eef267' : undefined)

      invoices.push({
        system_account_id: systemAccountId,
        system_invoice_id: id,
        rate_code: rateCode,
        next_read_date: nextRead,
        meter_number: meterNumber,
        invoice_date: invoiceDate,
        invoice_due_date: dueDate,
        invoice_total: (charges - creditCents) / 100,
        invoice_paid: paid,
        service_period_start: start,
        service_period_end: end,
        delivery_unit: electric ? 'kWh' : 'therm',
        service_unit: 'day',
        energy_consumption_quantity: quantity,
        energy_consumption_rate: rates.energy / 1e5,
        energy_consumption_total: lines.energy / 100,
        distribution_quantity: quantity,
        distribution_rate: rates.distribution / 1e5,
        distribution_total: lines.distribution / 100,
        transmission_quantity: quantity,
        transmission_rate: rates.transmission / 1e5,
        transmission_total: lines.transmission / 100,
        stranded_costs_quantity: quantity,
        stranded_costs_rate: rates.stranded / 1e5,
        stranded_costs_total: lines.stranded / 100,
        conservation_quantity: quantity,
        conservation_rate: rates.conservation / 1e5,
        conservation_total: lines.conservation / 100,
        credit_unit: 'kWh',
        credit_rate: creditRate / 1e5,
        credit_carryover: carryover,
        credit_new: creditNew,
        credit_allocated: allocated,
        credit_remaining_total: remaining,
      })
      carryover = remaining
    }
    const last = invoices[invoices.length - 1]!
    const basic: Basic = {
      system_account_id: systemAccountId,
      account_type: accountType,
      rate_code: rateCode,
      next_read_date: last.next_read_date,
      meter_number: meterNumber,
      producer_projects: projects,
      system_invoice_ids: invoices.map((i) => i.system_invoice_id),
    }
    return { systemAccountId, ownerId, accountType, basic, invoices }
  }
}

const INVOICE_FIELDS = [
  'system_account_id',
  'system_invoice_id',
  'rate_code',
  'next_read_date',
  'meter_number',
  'invoice_date',
  'invoice_due_date',
  'invoice_total',
  'invoice_paid',
  'service_period_start',
  'service_period_end',
] as const

/** The Invoice (summary) part of an InvoiceDetail. */
export function invoiceOf(detail: InvoiceDetail): Invoice {
  const out: Record<string, unknown> = {}
  for (const k of INVOICE_FIELDS) out[k] = detail[k]
  return out as Invoice
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
  const owners = list.map((spec, i) => generator.owner(i, spec, typeof specs === 'number' && i === 0))
  const ownerIds = new Set<string>()
  for (const o of owners) {
    if (ownerIds.has(o.ownerId)) throw new Error(`Duplicate ownerId "${o.ownerId}" in the mock owners`)
    ownerIds.add(o.ownerId)
  }
  deepFreeze(owners)

  const byAccount = new Map<string, MockAccount>()
  const byInvoice = new Map<string, InvoiceDetail>()
  for (const o of owners) {
    for (const a of o.accounts) {
      byAccount.set(a.systemAccountId, a)
      for (const inv of a.invoices) byInvoice.set(`${a.systemAccountId}\n${inv.system_invoice_id}`, inv)
    }
  }
  const all = Object.freeze([...byAccount.values()])
  const detail = (a: string, i: string) => byInvoice.get(`${a}\n${i}`)

  return Object.freeze({
    seed,
    asOf,
    owners,
    accounts: () => all,
    account: (id: string) => byAccount.get(id),
    owner: (id: string) => owners.find((o) => o.ownerId === id),
    basic: (id: string) => byAccount.get(id)?.basic,
    invoice: (a: string, i: string) => {
      const d = detail(a, i)
      return d ? invoiceOf(d) : undefined
    },
    invoiceDetail: detail,
  })
}
