/**
 * What the ECI call checks in a response besides its status: a redirect (never followed), a
 * clock the provider moved, a body for another account or invoice, and the context a schema
 * break carries.
 * @module
 */
import { type EciError, EciHttpError, EciValidationError, ErrorCode } from '../errors.js'
import { requestIdOf } from '../http/refusal.js'
import type { EciRequestClaims, EciRequestType } from '../protocol/claims.js'

/** What a request was, for messages. */
export const WHAT: Record<EciRequestType, string> = {
  basic: 'ECI basic request',
  invoice: 'ECI invoice request',
  invoice_detail: 'ECI invoice_detail request',
}

/** The request's status and request id, as the checks report them. */
interface Answered {
  status: number
  requestId: string | undefined
}

/** Seconds between a response's `Date` and our signing time beyond which the clocks disagree. */
const CLOCK_TOLERANCE = 5

/** A refused request JWT whose response `Date` is far from the time it was signed at. */
export function clockDisagrees(error: unknown, signedAt: number): boolean {
  if (!(error instanceof EciHttpError) || error.status !== 400 || error.error !== 'invalid_request_jwt') return false
  const date = Date.parse(error.response?.headers.get('date') ?? '')
  return Number.isFinite(date) && Math.abs(date / 1000 - signedAt) >= CLOCK_TOLERANCE
}

export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)
}

/**
 * A redirect of the ECI POST: refused, naming where it pointed (origin only, never the query); a
 * relative `Location` is read against `requestUrl`.
 */
export function redirectRefused(what: string, response: Response, secrets: string[], requestUrl: string): EciHttpError {
  let origin: string | undefined
  try {
    origin = new URL(response.headers.get('location') ?? '', response.url || requestUrl).origin
  } catch {}
  return new EciHttpError(
    ErrorCode.UNEXPECTED_REDIRECT,
    `${what}: the provider redirected the request (HTTP ${response.status}${origin && origin !== 'null' ? ` to ${origin}` : ''}); ` +
      'ECI requests are never redirected, since the request JWT is addressed to one endpoint',
    { status: response.status, requestId: requestIdOf(response.headers, secrets), response },
  )
}

/** A schema break from an ECI call says which response broke it, so it can be reported to the provider. */
export function withResponseContext(error: EciError, claims: EciRequestClaims, raw: Answered): EciError {
  if (!(error instanceof EciValidationError)) return error
  return new EciValidationError(error.message, error.issues, {
    issueCount: error.issueCount,
    status: raw.status,
    requestId: raw.requestId,
    requestType: claims.eci_request_type,
    systemAccountId: claims.system_account_id,
    cause: error.cause,
  })
}

/** A response for another account or invoice than requested is a protocol violation. */
export function checkMatch(
  claims: EciRequestClaims,
  value: { system_account_id: string; system_invoice_id?: string },
  raw: Answered,
): void {
  const wrongAccount = value.system_account_id !== claims.system_account_id
  const wrongInvoice = claims.system_invoice_id !== undefined && value.system_invoice_id !== claims.system_invoice_id
  if (wrongAccount || wrongInvoice) {
    throw new EciHttpError(
      ErrorCode.RESPONSE_MISMATCH,
      `${WHAT[claims.eci_request_type]}: the provider answered for another ${wrongAccount ? 'account' : 'invoice'} than requested`,
      { status: raw.status, requestId: raw.requestId },
    )
  }
}
