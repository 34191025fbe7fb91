/**
 * Reading an account's invoice history: which invoices to fetch (`after`, `skip`, and `since`
 * found by binary search over the date-ordered ids), then ordered, bounded-concurrency fetching.
 * @module
 */
import { EciValidationError } from '../errors.js'
import { badOption } from '../resolve.js'
import { isCalendarDate } from '../schemas/fields.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'

/** How far an `invoices()` iteration has come, for progress displays and job queues. */
export interface InvoicesProgress {
  /** Invoices to fetch, known once the cut is found (after `after`, `since` and `skip`). */
  total: number
  /** Invoices fetched so far (yielded, or handed to `onInvalid`). */
  fetched: number
  /** Invoice requests the `since` search made to find its cut (0 without `since`). */
  searched: number
}

/** An invoice whose response broke the schema, handed to `onInvalid`. */
export interface InvalidInvoice {
  systemAccountId: string
  systemInvoiceId: string
  /** Its position in the Basic's `system_invoice_ids`. */
  position: number
  error: EciValidationError
}

/** Options of `session.invoices()`. */
export interface InvoicesOptions<Detail extends boolean = boolean> {
  /** Yield InvoiceDetail (line items) instead of Invoice. @default false */
  detail?: Detail
  /** Requests in flight at once (1–16). @default 4 */
  concurrency?: number
  /**
   * Only invoices after this `system_invoice_id` in the Basic's (date-ordered, oldest first)
   * `system_invoice_ids`: the last one you stored. No request is made for it or anything
   * before it. An id the list does not hold (the provider dropped it) fetches the whole list,
   * so nothing is missed.
   */
  after?: string
  /** Ids you hold already: never fetched. */
  skip?: Iterable<string>
  /**
   * Only invoices with `invoice_date` on or after this `YYYY-MM-DD` date. The cut is found by
   * binary search over the date-ordered ids (about log2(n) + 1 Invoice requests), and only the
   * invoices from there on are fetched.
   */
  since?: string
  /** The account's Basic, when you fetched it already: its ids are used and no Basic request is made. */
  basic?: Basic
  /** Called once the cut is known and after each invoice. */
  onProgress?: (progress: InvoicesProgress) => void
  /**
   * Called for an invoice whose response breaks the schema; the iteration goes on without it.
   * Without this option the {@link EciValidationError} ends the iteration.
   */
  onInvalid?: (invalid: InvalidInvoice) => void | Promise<void>
  /** Stops the iteration and its requests. */
  signal?: AbortSignal
}

/** What the reader needs from a session: one Invoice or InvoiceDetail request. @internal */
export interface InvoiceFetcher {
  invoice(systemInvoiceId: string, signal: AbortSignal | undefined): Promise<Invoice>
  invoiceDetail(systemInvoiceId: string, signal: AbortSignal | undefined): Promise<InvoiceDetail>
}

/** Checks the selection options once, before any request. @internal */
export function checkInvoicesOptions(options: InvoicesOptions): void {
  const { since, after, skip, concurrency = 4 } = options
  if (since !== undefined && !(typeof since === 'string' && isCalendarDate(since))) {
    throw badOption('`since` must be a YYYY-MM-DD date')
  }
  if (after !== undefined && (typeof after !== 'string' || after === '')) {
    throw badOption('`after` must be a system_invoice_id')
  }
  if (skip !== undefined && (skip === null || typeof (skip as Iterable<string>)[Symbol.iterator] !== 'function')) {
    throw badOption('`skip` must be an iterable of system_invoice_ids')
  }
  checkConcurrency(concurrency)
}

function checkConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw badOption('`concurrency` must be a whole number from 1 to 16')
  }
}

/**
 * The first index in `ids[lo, hi)` whose invoice is dated on or after `since`, by binary search
 * (the ids are ordered by date, oldest first). Each probe is one Invoice request; the probed
 * invoices are returned so the caller need not fetch them again.
 * @internal
 */
export async function searchSince(
  ids: readonly string[],
  lo: number,
  hi: number,
  since: string,
  probe: (id: string) => Promise<Invoice>,
): Promise<{ index: number; probes: Map<string, Invoice> }> {
  const probes = new Map<string, Invoice>()
  let low = lo
  let high = hi
  while (low < high) {
    const mid = low + Math.floor((high - low) / 2)
    const id = ids[mid] as string
    const invoice = probes.get(id) ?? (await probe(id))
    probes.set(id, invoice)
    if (invoice.invoice_date >= since) high = mid
    else low = mid + 1
  }
  return { index: low, probes }
}

/** The first position after `after` (the last occurrence, should the list repeat it); 0 without it or when the list lacks it. @internal */
export function positionAfter(ids: readonly string[], after: string | undefined): number {
  if (after === undefined) return 0
  const at = ids.lastIndexOf(after)
  return at < 0 ? 0 : at + 1
}

/** A fetch that failed validation and was handed to `onInvalid`. */
const SKIPPED: unique symbol = Symbol('skipped')

/**
 * Yields the selected invoices of `basic` in the provider's order: the cut after `after`, then
 * the `since` search over what is left, then `skip`; with at most `concurrency` requests in flight.
 * @internal
 */
export async function* readInvoices<T extends Invoice | InvoiceDetail>(
  basic: Basic,
  options: InvoicesOptions,
  fetcher: InvoiceFetcher,
): AsyncGenerator<T> {
  const { detail = false, concurrency = 4, since, after, signal, onProgress, onInvalid } = options
  const ids = basic.system_invoice_ids
  let start = positionAfter(ids, after)
  let probes = new Map<string, Invoice>()
  if (since !== undefined) {
    ;({ index: start, probes } = await searchSince(ids, start, ids.length, since, (id) => fetcher.invoice(id, signal)))
  }
  const skip = new Set(options.skip ?? [])
  const positions: number[] = []
  for (let i = start; i < ids.length; i++) if (!skip.has(ids[i] as string)) positions.push(i)
  const progress: InvoicesProgress = { total: positions.length, fetched: 0, searched: probes.size }
  onProgress?.({ ...progress })
  const fetchOne = async (position: number, s: AbortSignal): Promise<T | typeof SKIPPED> => {
    const id = ids[position] as string
    try {
      const probed = detail ? undefined : probes.get(id)
      return (probed ?? (await (detail ? fetcher.invoiceDetail(id, s) : fetcher.invoice(id, s)))) as T
    } catch (error) {
      if (!(onInvalid && error instanceof EciValidationError)) throw error
      await onInvalid({ systemAccountId: basic.system_account_id, systemInvoiceId: id, position, error })
      return SKIPPED
    } finally {
      progress.fetched++
      onProgress?.({ ...progress })
    }
  }
  for await (const invoice of orderedFetch(positions, concurrency, fetchOne, signal)) {
    // The search relies on the date order; an invoice out of order before `since` is still left out.
    if (invoice === SKIPPED || (since !== undefined && invoice.invoice_date < since)) continue
    yield invoice
  }
}

/**
 * Yields `fetchOne(item)` for each item in order, with at most `concurrency` requests in flight.
 * Leaving the loop early aborts what is in flight and starts nothing new.
 * @internal
 */
export async function* orderedFetch<I, T>(
  items: readonly I[],
  concurrency: number,
  fetchOne: (item: I, signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): AsyncGenerator<T> {
  checkConcurrency(concurrency)
  const controller = new AbortController()
  const abort = () => controller.abort(outer?.reason)
  outer?.addEventListener('abort', abort, { once: true })
  const window: Promise<T>[] = []
  let next = 0
  const fill = () => {
    while (window.length < concurrency && next < items.length && !controller.signal.aborted) {
      const pending = fetchOne(items[next++] as I, controller.signal)
      pending.catch(() => {}) // observed when its turn comes; avoids unhandled rejections on early exit
      window.push(pending)
    }
  }
  try {
    fill()
    while (window.length > 0) {
      const value = await (window.shift() as Promise<T>)
      fill()
      yield value
    }
  } finally {
    controller.abort()
    outer?.removeEventListener('abort', abort)
  }
}
