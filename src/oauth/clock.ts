/**
 * The provider's clock as seen through its `Date` headers. Request JWTs carry `iat`/`exp`, so a
 * consumer whose clock is off by minutes would be refused; this offset corrects that.
 * @module
 */

/** Local-vs-provider offsets below this many seconds are ignored (Date has 1 s resolution). */
const IGNORE_BELOW = 5

/** Tracks the offset between the local clock and the provider's. @internal */
export class ProviderClock {
  #offset = 0
  /** The last `Date` header read, so a burst of responses within one second parses it once. */
  #lastDate: string | undefined
  /** The local time (epoch ms) at which {@link #lastDate} was read. */
  #lastAt = 0

  /** Current provider time, epoch seconds. */
  now = (): number => Date.now() / 1000 + this.#offset

  /** Offset applied, seconds (provider − local). */
  get offset(): number {
    return this.#offset
  }

  /** Learns from a response's `Date` header. */
  observe = (response: Response): Response => {
    const date = response.headers.get('date')
    if (!date) return response
    const local = Date.now()
    // The same header string within a second of the last one says nothing new.
    if (date === this.#lastDate && local - this.#lastAt < 1000) return response
    this.#lastDate = date
    this.#lastAt = local
    const at = Date.parse(date)
    if (Number.isNaN(at)) return response
    const offset = Math.round(at / 1000 - local / 1000)
    this.#offset = Math.abs(offset) < IGNORE_BELOW ? 0 : offset
    return response
  }

  /** A `fetch` that reports every response to {@link observe} (no extra async frame). */
  wrap(fetchImpl: typeof fetch): typeof fetch {
    return (input, init) => fetchImpl(input, init).then(this.observe)
  }
}
