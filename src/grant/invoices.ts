/**
 * Ordered, bounded-concurrency iteration over an account's invoices.
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'

/** Options of `session.invoices()`. */
export interface InvoicesOptions<Detail extends boolean = boolean> {
  /** Yield InvoiceDetail (line items) instead of Invoice. @default false */
  detail?: Detail
  /** Requests in flight at once (1–16). @default 4 */
  concurrency?: number
  /** Only invoices with `invoice_date` on or after this `YYYY-MM-DD` date. */
  since?: string
  /** Stops the iteration and its requests. */
  signal?: AbortSignal
}

/**
 * Yields `fetchOne(id)` for each id in order, with at most `concurrency` requests in flight.
 * Leaving the loop early aborts what is in flight and starts nothing new.
 * @internal
 */
export async function* orderedFetch<T>(
  ids: readonly string[],
  concurrency: number,
  fetchOne: (id: string, signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): AsyncGenerator<T> {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, '`concurrency` must be a whole number from 1 to 16')
  }
  const controller = new AbortController()
  const abort = () => controller.abort(outer?.reason)
  outer?.addEventListener('abort', abort, { once: true })
  const window: Promise<T>[] = []
  let next = 0
  const fill = () => {
    while (window.length < concurrency && next < ids.length && !controller.signal.aborted) {
      const pending = fetchOne(ids[next++] as string, controller.signal)
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
