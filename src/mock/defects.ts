/**
 * Deliberate defects: switches that make the mock break one rule of docs/protocol.md each, so
 * the conformance suite (`ecis conformance`) can be shown to catch every one.
 * @module
 */
import { decodeJwt } from 'jose/jwt/decode'
import { EciConfigError, ErrorCode } from '../errors.js'

/**
 * The defects, each named after what the provider then does wrong. Each one fails exactly the
 * conformance test that checks its rule (docs/conformance.md).
 */
export const MOCK_DEFECTS = [
  // The ECI endpoint accepts a request JWT it must refuse (§5.2, §5.4).
  'accept-expired-jwt',
  'accept-future-jwt',
  'accept-long-lived-jwt',
  'accept-wrong-aud',
  'accept-wrong-iss',
  'accept-wrong-ath',
  'accept-short-jti',
  'accept-wrong-typ',
  'accept-replayed-jti',
  'accept-unsigned-jwt',
  'accept-alg-none',
  'accept-wrong-key',
  'accept-embedded-jwk',
  'accept-unknown-request-type',
  'accept-missing-invoice-id',
  // Access (§7.1, §4.6).
  'no-www-authenticate',
  'accept-missing-scope',
  '403-for-foreign-account',
  'accept-dpop-token-as-bearer',
  'no-retry-after',
  'cacheable-responses',
  'text-plain-errors',
  // Authorization (§3).
  'no-pkce-required',
  'no-state-echo',
  'no-iss',
  'par-not-enforced',
  'accept-invalid-authorization-details',
  // Token (§3.5, §4).
  'wrong-invalid-grant',
  'no-refresh-rotation',
  'accept-reused-refresh-token',
  'accept-replayed-code',
] as const

/** A deliberate defect of the mock provider. */
export type MockDefect = (typeof MOCK_DEFECTS)[number]

/** Checks the `defects` option. @throws {EciConfigError} for an unknown defect. */
export function resolveDefects(value: readonly MockDefect[] | undefined): ReadonlySet<MockDefect> {
  if (value === undefined) return new Set()
  if (!Array.isArray(value))
    throw new EciConfigError(ErrorCode.INVALID_OPTION, 'createMockProvider: `defects` must be an array')
  for (const d of value) {
    if (!(MOCK_DEFECTS as readonly string[]).includes(d)) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, `createMockProvider: unknown defect "${String(d)}"`)
    }
  }
  return new Set(value)
}

/**
 * The claims of a request JWT a defect lets through without (or despite) its signature check,
 * still refused when expired: only the one rule the defect names is broken.
 */
export function claimsDespiteDefect(jwt: string, now: number, tolerance: number): Record<string, unknown> | undefined {
  try {
    const claims = decodeJwt(jwt) as Record<string, unknown>
    for (const name of ['iss', 'aud', 'iat', 'exp', 'jti']) if (claims[name] === undefined) return undefined
    if (typeof claims.exp !== 'number' || claims.exp < now - tolerance) return undefined
    return claims
  } catch {
    return undefined
  }
}

/** What a defect does to an answer after the endpoint made it (headers the rules require). */
export function withResponseDefects(defects: ReadonlySet<MockDefect>, endpoint: string, response: Response): Response {
  if (endpoint !== 'eci' || defects.size === 0) return response
  const headers = new Headers(response.headers)
  if (defects.has('no-retry-after') && response.status === 429) headers.delete('Retry-After')
  if (defects.has('no-www-authenticate') && response.status === 401) headers.delete('WWW-Authenticate')
  if (defects.has('cacheable-responses') && response.status === 200) headers.set('Cache-Control', 'private, max-age=60')
  if (defects.has('text-plain-errors') && response.status >= 400) headers.set('Content-Type', 'text/plain')
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}
