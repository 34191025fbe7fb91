/**
 * The ECIS request types and the claims each one carries.
 * @module
 */
import { EciConfigError, ErrorCode } from '../errors.js'

/** The ECIS request types. */
export const REQUEST_TYPES = ['basic', 'invoice', 'invoice_detail'] as const
/** An ECIS request type (`eci_request_type`). */
export type EciRequestType = (typeof REQUEST_TYPES)[number]

/** The ECIS claims of a request JWT. */
export type EciRequestClaims =
  | { eci_request_type: 'basic'; system_account_id: string; system_invoice_id?: undefined }
  | { eci_request_type: 'invoice' | 'invoice_detail'; system_account_id: string; system_invoice_id: string }

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, message)
}

/**
 * Checks the ECIS claims: a known request type, a non-empty `system_account_id`, and
 * `system_invoice_id` required for `invoice`/`invoice_detail` and refused for `basic`.
 * @throws {EciConfigError}
 */
export function checkRequestClaims(claims: unknown): EciRequestClaims {
  if (claims === null || typeof claims !== 'object') throw bad('`claims` must be an object')
  const c = claims as Record<string, unknown>
  const type = c.eci_request_type
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type)) {
    throw bad(`Unknown eci_request_type; expected one of ${REQUEST_TYPES.join(', ')}`)
  }
  if (typeof c.system_account_id !== 'string' || c.system_account_id.length === 0) {
    throw bad('`system_account_id` must be a non-empty string')
  }
  if (type === 'basic') {
    if (c.system_invoice_id !== undefined) throw bad('A basic request must not carry `system_invoice_id`')
    return { eci_request_type: 'basic', system_account_id: c.system_account_id }
  }
  if (typeof c.system_invoice_id !== 'string' || c.system_invoice_id.length === 0) {
    throw bad(`An ${type} request needs a non-empty \`system_invoice_id\``)
  }
  return {
    eci_request_type: type as 'invoice' | 'invoice_detail',
    system_account_id: c.system_account_id,
    system_invoice_id: c.system_invoice_id,
  }
}
