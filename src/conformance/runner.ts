/**
 * Runs tests one at a time: each under its own deadline, its outcome recorded with the
 * catalog's level and section, its evidence scrubbed of every secret the run handled.
 * @module
 */

import { toEciError } from '../error-boundary.js'
import { EciNetworkError, ErrorCode, redact } from '../errors.js'
import { specOf } from './catalog.js'
import type { ConformanceEvidence, ConformanceProgress, ConformanceResult } from './report.js'
import { type Answer, evidenceOf, evidenceOfError, type Wire } from './wire.js'

/** A test's verdict. */
export interface Outcome {
  status: 'pass' | 'fail' | 'skip'
  reason?: string | undefined
  evidence?: ConformanceEvidence | undefined
}

export const pass = (evidence?: ConformanceEvidence, reason?: string): Outcome => ({ status: 'pass', evidence, reason })
export const fail = (reason: string, evidence?: ConformanceEvidence): Outcome => ({ status: 'fail', reason, evidence })
export const skip = (reason: string): Outcome => ({ status: 'skip', reason })

/**
 * The verdict on a refusal: `status` with one of `errors` passes; anything else fails, saying
 * what came instead. Every refusal the suite provoked is kept for the error-body test.
 */
export function refusal(answer: Answer, status: number, errors: readonly string[], refusals: Answer[]): Outcome {
  if (answer.status >= 400) refusals.push(answer)
  const error = (answer.body as { error?: unknown } | undefined)?.error
  const evidence = evidenceOf(answer)
  if (answer.status === status && typeof error === 'string' && errors.includes(error)) return pass(evidence)
  const got =
    answer.status < 400 ? `${answer.status}: accepted` : `${answer.status} ${String(error ?? '(no error code)')}`
  return fail(`expected ${status} ${errors.join(' or ')}, got ${got}`, evidence)
}

/** Options of a {@link Runner}. */
export interface RunnerOptions {
  wire: Wire
  /** Per-test deadline, ms. */
  timeout: number
  /** Test ids or id prefixes to run (`eci.jwt` runs every `eci.jwt.*`); all when empty. */
  only: readonly string[]
  onProgress: ((progress: ConformanceProgress) => void) | undefined
  /** How many tests the run selects, for progress. */
  total: number
}

/** Runs tests and keeps their results in catalog order of running. */
export class Runner {
  readonly results: ConformanceResult[] = []
  readonly #o: RunnerOptions

  constructor(options: RunnerOptions) {
    this.#o = options
  }

  /** Whether `id` is selected by `only`. */
  selected(id: string): boolean {
    const { only } = this.#o
    return only.length === 0 || only.some((o) => id === o || id.startsWith(`${o}.`))
  }

  /** Records an outcome decided without running anything. */
  record(id: string, outcome: Outcome, durationMs = 0): void {
    if (!this.selected(id)) return
    const spec = specOf(id)
    const secrets = [...this.#o.wire.secrets]
    const clean = (text: string | undefined) => (text === undefined ? undefined : redact(text, secrets))
    const result: ConformanceResult = {
      id,
      title: spec.title,
      level: spec.level,
      section: spec.section,
      status: outcome.status,
      durationMs: Math.round(durationMs),
    }
    const reason = clean(outcome.reason)
    if (reason) result.reason = reason
    if (outcome.status === 'fail') result.fix = spec.fix
    if (outcome.evidence) {
      const evidence: ConformanceEvidence = {}
      for (const [k, v] of Object.entries(outcome.evidence)) {
        if (v !== undefined) (evidence as Record<string, unknown>)[k] = typeof v === 'string' ? clean(v) : v
      }
      result.evidence = evidence
    }
    this.results.push(result)
    this.#o.onProgress?.({ done: this.results.length, total: this.#o.total, result })
  }

  /**
   * Runs `test` under the per-test deadline and records its outcome. With `always`, a test
   * that `only` leaves out still runs (later tests need what it finds) but is not reported.
   * A test that throws fails with the error as evidence; one past its deadline fails as a timeout.
   */
  async run(id: string, test: () => Promise<Outcome>, options: { always?: boolean } = {}): Promise<Outcome> {
    if (!this.selected(id) && !options.always) return skip('not selected')
    const started = performance.now()
    const { wire, timeout } = this.#o
    const signal = AbortSignal.timeout(timeout)
    wire.signal = signal
    let outcome: Outcome
    let onAbort = () => {}
    const expired = new Promise<never>((_, reject) => {
      onAbort = () => reject(new EciNetworkError(ErrorCode.TIMEOUT, `The test did not finish within ${timeout} ms`))
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      outcome = await Promise.race([test(), expired])
    } catch (error) {
      const e = signal.aborted
        ? new EciNetworkError(ErrorCode.TIMEOUT, `The test did not finish within ${timeout} ms`)
        : toEciError(error)
      outcome = fail(`${e.name} [${e.code}]`, evidenceOfError(e))
    } finally {
      signal.removeEventListener('abort', onAbort)
      expired.catch(() => {})
      wire.signal = undefined
    }
    this.record(id, outcome, performance.now() - started)
    return outcome
  }
}
