/**
 * Option rules shared by every entry, each written once: `EciConsumer.discover`,
 * `createEciClient`, per-call options and the browser consent entry resolve their options with
 * these, so one option gets one verdict and one message (naming the option as the user wrote it).
 * Dependency-free.
 * @module
 */
import { EciConfigError, ErrorCode } from './errors.js'
import type { ValidationMode } from './schemas/parse.js'

/** Default per-attempt time limit of every request the SDK makes, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** setTimeout's range: larger delays fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** An {@link EciConfigError} `INVALID_OPTION` with `message`. */
export function badOption(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, message)
}

/** A millisecond time limit: positive, finite, within setTimeout's range. */
export function resolveTimeout(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw badOption(`\`${name}\` must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS})`)
  }
  return value
}

/** A positive, finite number of seconds. */
export function resolveSeconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw badOption(`\`${name}\` must be a positive number of seconds`)
  }
  return value
}

/** A non-empty string. */
export function resolveNonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw badOption(`\`${name}\` must be a non-empty string`)
  return value
}

/** An optional function. */
export function resolveFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw badOption(`\`${name}\` must be a function`)
  return value
}

/** `'strict'` (default) or `'lenient'`. */
export function resolveValidation(value: unknown, name = 'validation'): ValidationMode {
  if (value === undefined) return 'strict'
  if (value !== 'strict' && value !== 'lenient') throw badOption(`\`${name}\` must be "strict" or "lenient"`)
  return value
}

/** An optional `AbortSignal`. */
export function resolveSignal(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) throw badOption(`\`${name}\` must be an AbortSignal`)
  return value
}

/** `globalThis.fetch` called late and unbound-safe: browsers throw "Illegal invocation" on a detached `fetch`. */
export const defaultFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

/** RFC 6750 §2.1 `b64token`: what an access or refresh token may contain (no spaces, CR or LF). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Whether `value` is a token that can go into an `Authorization` header as it is. */
export function isTokenSyntax(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 16_384 && B64TOKEN.test(value)
}

/** The host of a URL, for error messages; `undefined` when it is not one. */
export function hostOf(url: string | URL | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined
  } catch {
    return undefined
  }
}

/** Whether `value` is an object with a function under each of `methods` (a store, a client …). */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false
  const record = value as Record<string, unknown>
  return methods.every((name) => typeof record[name] === 'function')
}
