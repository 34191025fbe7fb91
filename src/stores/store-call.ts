/**
 * One boundary for every round trip a server-backed grant store makes: a deadline so no call
 * waits forever whatever the client's settings, and the mapping of the driver's errors to SDK
 * errors — a server that does not answer is `ERR_ECI_STORE_UNAVAILABLE`, anything else
 * `ERR_ECI_INTERNAL`, each with a cause stripped of what the driver attached (ioredis puts the
 * command's arguments, i.e. the grant's tokens, on its errors).
 * @internal
 * @module
 */
import { EciConfigError, EciError, EciNetworkError, ErrorCode, redact } from '../errors.js'

/** Longest per-call deadline: what setTimeout can hold. */
const MAX_TIMEOUT = 2 ** 31 - 1

/** How an adapter reads its driver's errors. */
export interface StoreCallContext {
  /** `PostgreSQL` or `Redis`, for messages. */
  readonly server: string
  /** Deadline of one round trip, ms. */
  readonly timeout: number
  /** `unavailable` for "the server did not answer", an SDK error to throw as it is, else undefined. */
  readonly classify: (error: unknown) => 'unavailable' | EciError | undefined
}

/** The store's `timeout` option: a positive integer number of ms. @throws {EciConfigError} */
export function checkStoreTimeout(value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT) {
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      `A grant store timeout must be an integer number of milliseconds from 1 to ${MAX_TIMEOUT}`,
    )
  }
  return value
}

/** Name, message and code of a driver error, and nothing else. */
export function strippedCause(error: unknown): Error {
  const source = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown }
  const stripped = new Error(redact(String(source.message ?? error), []))
  stripped.name = typeof source.name === 'string' ? source.name : 'Error'
  if (typeof source.code === 'string' || typeof source.code === 'number') {
    Object.defineProperty(stripped, 'code', { value: source.code, enumerable: true })
  }
  return stripped
}

/** Error codes Node's sockets report when a server cannot be reached or went away. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOENT',
])

/** The error, or one inside an AggregateError, is a socket-level failure. */
export function isSocketError(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isSocketError)
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && SOCKET_CODES.has(code)
}

function toStoreError(context: StoreCallContext, action: string, error: unknown): EciError {
  if (error instanceof EciError) return error
  const verdict = context.classify(error)
  if (verdict instanceof EciError) return verdict
  const cause = strippedCause(error)
  if (verdict === 'unavailable') {
    return new EciNetworkError(
      ErrorCode.STORE_UNAVAILABLE,
      `The ${context.server} grant store is unavailable (${action})`,
      {
        cause,
      },
    )
  }
  return new EciError(ErrorCode.INTERNAL, `The ${context.server} grant store failed unexpectedly (${action})`, {
    cause,
  })
}

/**
 * Runs one round trip under the context's deadline. When the deadline wins, the caller gets
 * `ERR_ECI_STORE_UNAVAILABLE` while the command may still reach the server later: after a
 * failed `put`, read the grant again before deciding what happened.
 */
export async function storeCall<T>(context: StoreCallContext, action: string, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const work = (async () => run())()
  // The deadline may win the race; the driver's late rejection must not be unhandled.
  work.catch(() => {})
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EciNetworkError(
            ErrorCode.STORE_UNAVAILABLE,
            `The ${context.server} grant store did not answer within ${context.timeout} ms (${action})`,
          ),
        ),
      context.timeout,
    )
  })
  try {
    return await Promise.race([work, deadline])
  } catch (error) {
    throw toStoreError(context, action, error)
  } finally {
    clearTimeout(timer)
  }
}
