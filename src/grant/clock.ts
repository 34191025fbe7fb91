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

  /** Current provider time, epoch seconds. */
  now = (): number => Date.now() / 1000 + this.#offset

  /** Offset applied, seconds (provider − local). */
  get offset(): number {
    return this.#offset
  }

  /** Learns from a response's `Date` header. */
  observe(response: Response): void {
    const date = response.headers.get('date')
    if (!date) return
    const at = Date.parse(date)
    if (Number.isNaN(at)) return
    const offset = Math.round(at / 1000 - Date.now() / 1000)
    this.#offset = Math.abs(offset) < IGNORE_BELOW ? 0 : offset
  }

  /** A `fetch` that reports every response to {@link observe}. */
  wrap(fetchImpl: typeof fetch): typeof fetch {
    return async (input, init) => {
      const response = await fetchImpl(input, init)
      this.observe(response)
      return response
    }
  }
}
