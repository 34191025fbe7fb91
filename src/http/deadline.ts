/**
 * One attempt's deadline: its timeout and the caller's abort as one `AbortSignal`, given to
 * `fetch`, and one `race` that stops waiting when either fires (a `fetch`, or a body, that
 * ignores its signal still stops). One timer per attempt, whatever the attempt is waiting for.
 * @module
 */

/** @internal */
export class Deadline {
  readonly #controller = new AbortController()
  readonly #timer: ReturnType<typeof setTimeout>
  readonly #caller: AbortSignal | undefined
  #onCallerAbort: (() => void) | undefined
  #reject: ((reason: unknown) => void) | undefined

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.#timer = setTimeout(
      () => this.#abort(new DOMException('The ECI request attempt timed out', 'TimeoutError')),
      timeoutMs,
    )
    this.#caller = caller
    if (caller?.aborted) this.#abort(caller.reason)
    else if (caller) {
      this.#onCallerAbort = () => this.#abort(caller.reason)
      caller.addEventListener('abort', this.#onCallerAbort, { once: true })
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  #abort(reason: unknown): void {
    this.#controller.abort(reason)
    this.#reject?.(reason)
  }

  /** `pending`, or the deadline's reason when it passes first (a `fetch` that ignores its signal still stops). */
  race<T>(pending: Promise<T>): Promise<T> {
    if (this.signal.aborted) {
      pending.catch(() => {})
      return Promise.reject(this.signal.reason)
    }
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject
      pending.then(resolve, reject)
    })
  }

  /** Releases the timer and the caller's listener. */
  done(): void {
    clearTimeout(this.#timer)
    if (this.#onCallerAbort) this.#caller?.removeEventListener('abort', this.#onCallerAbort)
    this.#reject = undefined
  }
}
