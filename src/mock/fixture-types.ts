/**
 * Public types of the mock provider's fixtures: the generated owners, accounts and invoices, and
 * the wrong bills it can inject.
 * @module
 */
import type { AuditCheck } from '../money/findings.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'

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
  /**
   * Every invoice with its details, oldest first: the order of `basic.system_invoice_ids`
   * (which, with a `duplicate-invoice` bill error, lists one id twice).
   */
  readonly invoices: readonly InvoiceDetail[]
}

/** One generated resource owner (the shared customer). */
export interface MockOwner {
  readonly ownerId: string
  readonly name: string
  readonly accounts: readonly MockAccount[]
}

/**
 * A kind of wrong bill the mock can emit, named after the `ecis-consumer` audit check that
 * catches it (`auditInvoice` / `auditHistory`, docs/money.md):
 * - `line-total`: `distribution_total` 10 cents more than quantity × rate (the invoice total
 *   includes the 10 cents, so only the line is wrong);
 * - `invoice-total`: $2.50 added to `invoice_total` that no line explains;
 * - `credit-remaining`: 40 kWh more `credit_remaining_total` than carryover + new − allocated
 *   (carried on, so later bills agree with it);
 * - `service-period`: `service_period_start` and `service_period_end` swapped (the periods
 *   around it then do not meet either: `period-gap` findings follow);
 * - `due-date`: `invoice_due_date` five days before `invoice_date`;
 * - `credit-carryover`: the previous bill's remaining credit lost (carryover 0; later bills
 *   settle from there, so they add up);
 * - `period-gap` / `period-overlap`: `service_period_start` three days late / early;
 * - `duplicate-invoice`: the Basic lists the previous invoice's id a second time;
 * - `invoice-order`: `invoice_date` the day before the previous invoice's.
 */
export type MockBillErrorKind = AuditCheck

/** Where to inject a wrong bill. */
export interface MockBillErrorSpec {
  kind: MockBillErrorKind
  /** Only this account (it must be one the error can apply to). @default every account it can apply to */
  account?: string | undefined
  /**
   * Position in the account's invoice list: 0 the oldest, −1 the newest. History kinds need an
   * invoice before it (position ≥ 1); `credit-carryover` needs the previous invoice to leave credit.
   * @default a recent invoice, a different one for each kind
   */
  invoice?: number | undefined
}

/** A kind of wrong bill (applied to every account it can apply to), or where to inject it. */
export type MockBillError = MockBillErrorKind | MockBillErrorSpec

/** A wrong bill the fixtures hold: what an audit of the account's history must report. */
export interface MockInjectedBillError {
  kind: MockBillErrorKind
  systemAccountId: string
  /** The invoice the audit's finding names. */
  systemInvoiceId: string
  /** Its position in the account's `basic.system_invoice_ids` (the finding's `path[0]`). */
  index: number
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
  /**
   * Wrong bills to emit, for testing reconciliation: each kind makes the audit report the
   * finding of the same name. `fixtures.billErrors` lists where each one went.
   * @default [] (every bill adds up)
   */
  billErrors?: readonly MockBillError[] | undefined
}

/** An invoice {@link MockProvider.issueInvoices} billed. */
export interface MockNewInvoice {
  systemAccountId: string
  systemInvoiceId: string
}

/** The generated data set, with lookups. All objects are frozen. */
export interface MockFixtures {
  readonly seed: number | string
  readonly asOf: string
  readonly owners: readonly MockOwner[]
  /** The wrong bills injected with the `billErrors` option, in the order applied. */
  readonly billErrors: readonly MockInjectedBillError[]
  /** Every account of every owner (after {@link MockProvider.issueInvoices}, the accounts with their new invoices). */
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
