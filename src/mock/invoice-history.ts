/**
 * The monthly invoice generator: an account's tariff and usage profile, its billing periods,
 * and one InvoiceDetail per period whose money adds up exactly (see `billing.ts`).
 *
 * Deterministic: every random draw comes from the fixtures' seeded generator, in a fixed order.
 * @module
 */
import type { InvoiceDetail } from '../schemas/responses.js'
import {
  addDays,
  type CreditSettlement,
  civilDate,
  dayOfDate,
  dayOfMonth,
  lineCents,
  settleCredits,
} from './billing.js'
import type { Prng } from './prng.js'
import type { MockAccountType } from './types.js'

const ELECTRIC_RATES = ['R-1', 'R-3 TOU', 'GS-1']
const GAS_RATES = ['G-1', 'G-3']

/** One figure per line item: rates in 1e-5 USD per delivery unit, or line totals in cents. */
interface Lines {
  energy: number
  distribution: number
  transmission: number
  stranded: number
  conservation: number
}

const sumLines = (l: Lines) => l.energy + l.distribution + l.transmission + l.stranded + l.conservation
const mapLines = (l: Lines, f: (n: number) => number): Lines => ({
  energy: f(l.energy),
  distribution: f(l.distribution),
  transmission: f(l.transmission),
  stranded: f(l.stranded),
  conservation: f(l.conservation),
})

/** What stays the same across an account's invoices. */
export interface AccountProfile {
  readonly systemAccountId: string
  readonly electric: boolean
  readonly rateCode: string
  readonly meterNumber: string
  /** Rates of the first year (they rise 3 % a year). */
  readonly baseRates: Lines
  /** Typical monthly usage in the delivery unit. */
  readonly usageBase: number
  /** Value of one kWh of credit, 1e-5 USD; 0 without producer projects. */
  readonly creditRate: number
  /** kWh of credit the subscription brings in a typical month. */
  readonly projectShare: number
  /** kWh of credit carried into the first invoice. */
  readonly carryover: number
  /** Day of the month the service periods start. */
  readonly cycleDay: number
}

/** Draws an account's tariff and usage profile. */
export function drawProfile(
  rng: Prng,
  systemAccountId: string,
  accountType: MockAccountType,
  hasProjects: boolean,
): AccountProfile {
  const electric = accountType === 'electric'
  const rateCode = electric ? rng.pick(ELECTRIC_RATES) : rng.pick(GAS_RATES)
  const meterNumber = `${electric ? 'E' : 'G'}${rng.digits(8)}`
  const baseRates: Lines = electric
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
  const creditRate = hasProjects ? Math.round(sumLines(baseRates) * (0.8 + 0.15 * rng.next())) : 0
  // A subscription sized to about half to all of the usage, in kWh of credit per month.
  const projectShare = hasProjects ? Math.round(usageBase * (0.6 + 0.5 * rng.next())) : 0
  const carryover = hasProjects ? rng.int(0, 300) : 0
  const cycleDay = rng.int(1, 28)
  return {
    systemAccountId,
    electric,
    rateCode,
    meterNumber,
    baseRates,
    usageBase,
    creditRate,
    projectShare,
    carryover,
    cycleDay,
  }
}

/** One service period: `start` to `end`, both days included; the next one starts the day after `end`. */
interface Period {
  start: string
  end: string
  nextRead: string
  /** Calendar month (0–11) of `start`, for the seasons. */
  month0: number
  /** Whole years since the first period's year, for the yearly rate rise. */
  years: number
}

/** Where an account's monthly periods are counted from: period k starts in month `firstMonth0 + k` of `year`. */
export interface BillingCycle {
  readonly year: number
  readonly firstMonth0: number
  /** The calendar year of the first period, for the yearly rate rise. */
  readonly firstYear: number
  readonly cycleDay: number
}

/** Service period number `k` of a cycle (k may run past the periods generated so far). */
export function periodAt(cycle: BillingCycle, k: number): Period {
  const { year, firstMonth0, cycleDay } = cycle
  const m = firstMonth0 + k
  return {
    start: civilDate(dayOfMonth(year, m, cycleDay)),
    end: civilDate(dayOfMonth(year, m + 1, cycleDay) - 1),
    nextRead: civilDate(dayOfMonth(year, m + 2, cycleDay) - 1),
    month0: ((m % 12) + 12) % 12,
    years: year + Math.floor(m / 12) - cycle.firstYear,
  }
}

/** The cycle whose `months` newest periods have their invoice (two days after the period) dated on or before `asOf`. */
function billingCycle(asOf: string, cycleDay: number, months: number): BillingCycle {
  const year = Number(asOf.slice(0, 4))
  let m0 = Number(asOf.slice(5, 7)) - 1
  const asOfDay = dayOfDate(asOf)
  while (dayOfMonth(year, m0 + 1, cycleDay) - 1 + 2 > asOfDay) m0 -= 1
  const firstMonth0 = m0 - (months - 1)
  return { year, firstMonth0, firstYear: year + Math.floor(firstMonth0 / 12), cycleDay }
}

/** Usage of one period: electric peaks in July (cooling), gas in January (heating). */
function drawQuantity(rng: Prng, profile: AccountProfile, month0: number): number {
  const season = profile.electric
    ? 1 + 0.35 * Math.cos((2 * Math.PI * (month0 - 6)) / 12)
    : 1 + 0.8 * Math.cos((2 * Math.PI * month0) / 12)
  return Math.max(profile.electric ? 50 : 5, Math.round(profile.usageBase * season * (0.9 + 0.2 * rng.next())))
}

/** New credit of one period: solar credits peak in June. */
function drawCreditNew(rng: Prng, profile: AccountProfile, month0: number): number {
  if (profile.projectShare <= 0) return 0
  const season = 1 + 0.6 * Math.cos((2 * Math.PI * (month0 - 5)) / 12)
  return Math.round(profile.projectShare * season * (0.85 + 0.3 * rng.next()))
}

/** Everything one invoice says, in integers. */
interface Bill {
  id: string
  period: Period
  paid: boolean
  quantity: number
  rates: Lines
  totals: Lines
  creditNew: number
  carryover: number
  credit: CreditSettlement
}

/** The canonical InvoiceDetail of a bill (money to the cent, rates to 1e-5). */
/** What an account's energy is measured in: kWh for electric, therm for gas. */
function unitOf(profile: AccountProfile): 'kWh' | 'therm' {
  return profile.electric ? 'kWh' : 'therm'
}

function invoiceDetail(profile: AccountProfile, bill: Bill): InvoiceDetail {
  const { period, quantity, rates, totals, credit } = bill
  const invoiceDate = addDays(period.end, 2)
  return {
    system_account_id: profile.systemAccountId,
    system_invoice_id: bill.id,
    rate_code: profile.rateCode,
    next_read_date: period.nextRead,
    meter_number: profile.meterNumber,
    invoice_date: invoiceDate,
    invoice_due_date: addDays(invoiceDate, 21),
    invoice_total: (sumLines(totals) - credit.creditCents) / 100,
    invoice_paid: bill.paid,
    service_period_start: period.start,
    service_period_end: period.end,
    delivery_unit: unitOf(profile),
    service_unit: 'day',
    energy_consumption_quantity: quantity,
    energy_consumption_rate: rates.energy / 1e5,
    energy_consumption_total: totals.energy / 100,
    distribution_quantity: quantity,
    distribution_rate: rates.distribution / 1e5,
    distribution_total: totals.distribution / 100,
    transmission_quantity: quantity,
    transmission_rate: rates.transmission / 1e5,
    transmission_total: totals.transmission / 100,
    stranded_costs_quantity: quantity,
    stranded_costs_rate: rates.stranded / 1e5,
    stranded_costs_total: totals.stranded / 100,
    conservation_quantity: quantity,
    conservation_rate: rates.conservation / 1e5,
    conservation_total: totals.conservation / 100,
    // Credits count in the account's own unit: credit_rate is priced per delivered unit (see creditRate).
    credit_unit: unitOf(profile),
    credit_rate: profile.creditRate / 1e5,
    credit_carryover: bill.carryover,
    credit_new: bill.creditNew,
    credit_allocated: credit.allocated,
    credit_remaining_total: credit.remaining,
  }
}

/** Options of {@link generateInvoices}. */
export interface HistoryOptions {
  months: number
  /** The data's "today": the newest invoice is dated on or before it. */
  asOf: string
  /** A fresh invoice id (the newest invoice may want a fixed one). */
  invoiceId: (isLast: boolean) => string
}

/** Where an account's history stands, to bill the next month. */
export interface HistoryState {
  readonly cycle: BillingCycle
  /** The number of the next period. */
  readonly next: number
  /** kWh of credit carried into the next invoice. */
  readonly carryover: number
}

/** One period's bill: usage and line totals drawn, credit settled against them. */
function bill(rng: Prng, profile: AccountProfile, period: Period, carryover: number): Omit<Bill, 'id' | 'paid'> {
  const rates = mapLines(profile.baseRates, (rate) => Math.round(rate * 1.03 ** period.years))
  const quantity = drawQuantity(rng, profile, period.month0)
  const totals = mapLines(rates, (rate) => lineCents(quantity, rate))
  const creditNew = drawCreditNew(rng, profile, period.month0)
  const credit = settleCredits(sumLines(totals), profile.creditRate, carryover, creditNew)
  return { period, quantity, rates, totals, creditNew, carryover, credit }
}

/**
 * The account's monthly invoices, oldest first: each period's usage and line totals, the credit
 * settled against them, and the remaining credit carried into the next invoice.
 */
export function generateInvoices(
  rng: Prng,
  profile: AccountProfile,
  options: HistoryOptions,
): { invoices: InvoiceDetail[]; state: HistoryState } {
  const cycle = billingCycle(options.asOf, profile.cycleDay, options.months)
  let carryover = profile.carryover
  const invoices = Array.from({ length: options.months }, (_, k) => {
    const drawn = bill(rng, profile, periodAt(cycle, k), carryover)
    const isLast = k === options.months - 1
    const dueDate = addDays(drawn.period.end, 2 + 21)
    const paid = !(isLast && dueDate >= options.asOf && rng.chance(0.7))
    const id = options.invoiceId(isLast)
    carryover = drawn.credit.remaining
    return invoiceDetail(profile, { ...drawn, id, paid })
  })
  return { invoices, state: { cycle, next: options.months, carryover } }
}

/** The next month's invoice after `state` (just issued, so not paid yet), and the state after it. */
export function nextInvoice(
  rng: Prng,
  profile: AccountProfile,
  state: HistoryState,
  id: string,
): { invoice: InvoiceDetail; state: HistoryState } {
  const drawn = bill(rng, profile, periodAt(state.cycle, state.next), state.carryover)
  return {
    invoice: invoiceDetail(profile, { ...drawn, id, paid: false }),
    state: { cycle: state.cycle, next: state.next + 1, carryover: drawn.credit.remaining },
  }
}
