/**
 * Fault injection: a queue of faults per endpoint, and the pipeline that answers a call under
 * its fault (latency, a dropped connection, an injected status, a broken or altered body).
 * @module
 */
import { decodeJwt } from 'jose/jwt/decode'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { CallNote, MockContext } from './context.js'
import { invoiceOf } from './fixtures.js'
import { challenge, errorPage, oauthError, readBody } from './http.js'
import type { Action } from './state.js'
import type { MockAccount, MockEndpoint, MockFault } from './types.js'
import type { MockDialect } from './wire.js'

const ENDPOINTS: readonly MockEndpoint[] = ['metadata', 'jwks', 'authorize', 'par', 'token', 'revocation', 'eci']
const BODIES = ['malformed', 'html', 'truncated', 'wrong-account', 'deviant', 'invalid']

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, `fault(): ${message}`)
}

function nonNegative(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
    throw bad(`\`${name}\` must be a non-negative number`)
  }
}

/** Pending faults, consumed one call at a time in the order they were added. */
export class FaultQueue {
  readonly #queue: { spec: MockFault; left: number }[] = []

  /**
   * Adds a fault.
   * @throws {EciConfigError} for an unknown endpoint or an out-of-range field.
   */
  add(spec: MockFault): void {
    if (!spec || typeof spec !== 'object' || !ENDPOINTS.includes(spec.endpoint)) {
      throw bad(`\`endpoint\` must be one of ${ENDPOINTS.join(', ')}`)
    }
    if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 200 || spec.status > 599)) {
      throw bad('`status` must be an HTTP status between 200 and 599')
    }
    nonNegative('retryAfter', spec.retryAfter)
    nonNegative('delayMs', spec.delayMs)
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw bad('`times` must be a positive integer')
    if (spec.body !== undefined && !BODIES.includes(spec.body))
      throw bad(`\`body\` must be one of ${BODIES.join(', ')}`)
    if (spec.network !== undefined && spec.network !== 'reset') throw bad("`network` must be 'reset'")
    this.#queue.push({ spec: { ...spec }, left: times })
  }

  /** The fault for the next call of `endpoint`, if one is pending. */
  take(endpoint: MockEndpoint): MockFault | undefined {
    const index = this.#queue.findIndex((f) => f.spec.endpoint === endpoint)
    if (index < 0) return undefined
    const entry = this.#queue[index]!
    entry.left -= 1
    if (entry.left === 0) this.#queue.splice(index, 1)
    return entry.spec
  }

  /** Drops every pending fault. */
  clear(): void {
    this.#queue.length = 0
  }
}

/** An endpoint's real handler. */
export type Handler = (ctx: MockContext, request: Request, note: CallNote) => Response | Promise<Response>

/** Best-effort `client_id` (and request claims) of a request a fault answered before the real handler ran. */
async function peek(ctx: MockContext, endpoint: MockEndpoint, request: Request, note: CallNote): Promise<void> {
  try {
    if (endpoint === 'authorize') {
      note.client = new URL(request.url).searchParams.get('client_id') ?? undefined
    } else if (endpoint === 'eci') {
      const token = /^(?:Bearer|DPoP) (\S+)$/i.exec(request.headers.get('Authorization') ?? '')?.[1]
      note.client = token ? ctx.state.accessTokens.get(token)?.clientId : undefined
      note.claims = decodeJwt(((await readBody(request.clone())) ?? '').trim())
    } else if (endpoint === 'token' || endpoint === 'par' || endpoint === 'revocation') {
      const form = new URLSearchParams((await readBody(request.clone())) ?? '')
      const assertion = form.get('client_assertion')
      const iss = assertion ? decodeJwt(assertion).iss : undefined
      note.client = form.get('client_id') ?? iss
    }
  } catch {
    // Unreadable requests simply stay anonymous in the log.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function defaultError(endpoint: MockEndpoint, status: number): string {
  if (status === 401) return endpoint === 'eci' ? 'invalid_token' : 'invalid_client'
  if (status === 403) return endpoint === 'eci' ? 'insufficient_scope' : 'access_denied'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limited'
  if (status === 502 || status === 503 || status === 504) return 'temporarily_unavailable'
  if (status >= 500) return 'server_error'
  return 'invalid_request'
}

/** True when the fault replaces the real answer with an error status. */
export function isStatusFault(endpoint: MockEndpoint, fault: MockFault): boolean {
  if (fault.body !== undefined) return false
  return fault.status !== undefined || (fault.error !== undefined && endpoint !== 'authorize')
}

/** The injected error answer of a status fault. */
export function statusFaultResponse(endpoint: MockEndpoint, fault: MockFault): Response {
  const status = fault.status ?? 400
  const error = fault.error ?? defaultError(endpoint, status)
  if (endpoint === 'authorize') return errorPage(status, error, 'injected fault')
  const headers: Record<string, string> = {}
  if (endpoint === 'eci' && (status === 401 || status === 403)) {
    headers['WWW-Authenticate'] = challenge('Bearer', { error, error_description: 'injected fault' })
  }
  return oauthError(status, error, 'injected fault', headers)
}

/** A body that is not what its content type promises. */
export function brokenBodyResponse(kind: 'malformed' | 'html', status: number): Response {
  if (kind === 'malformed') {
    return new Response('{"system_account_id": "0018-102", "account_type": ', {
      status,
      headers: { 'Content-Type': 'application/json' },
    })
  }
  return new Response(
    '<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>',
    { status, headers: { 'Content-Type': 'text/html; charset=utf-8' } },
  )
}

/** The same response with its body cut in half. */
export async function truncate(response: Response, status: number): Promise<Response> {
  const text = await response.text()
  return new Response(text.slice(0, Math.floor(text.length / 2)), { status, headers: response.headers })
}

/**
 * Answers one call under `fault` (from `note.fault`): waits `delayMs`, then either drops the
 * connection (`'reset'`), answers an injected status or broken body without running the
 * handler, or runs the handler and alters its answer (truncated body, status, `Retry-After`).
 */
export async function answerUnderFault(
  ctx: MockContext,
  endpoint: MockEndpoint,
  request: Request,
  note: CallNote,
  handler: Handler,
): Promise<Response | 'reset'> {
  const fault = note.fault
  if (fault?.delayMs) await sleep(fault.delayMs)
  if (fault?.network === 'reset') {
    await peek(ctx, endpoint, request, note)
    return 'reset'
  }
  let response: Response
  if (fault && isStatusFault(endpoint, fault)) {
    await peek(ctx, endpoint, request, note)
    response = statusFaultResponse(endpoint, fault)
  } else if (fault?.body === 'malformed' || fault?.body === 'html') {
    await peek(ctx, endpoint, request, note)
    response = brokenBodyResponse(fault.body, fault.status ?? 200)
  } else {
    response = await handler(ctx, request, note)
    if (fault?.body === 'truncated') response = await truncate(response, fault.status ?? response.status)
    else if (fault?.body !== undefined && fault.status !== undefined) {
      response = new Response(response.body, { status: fault.status, headers: response.headers })
    }
  }
  if (fault?.retryAfter !== undefined || (response.status === 429 && !response.headers.has('Retry-After'))) {
    const headers = new Headers(response.headers)
    headers.set('Retry-After', String(Math.ceil(fault?.retryAfter ?? 0)))
    response = new Response(response.body, { status: response.status, headers })
  }
  return response
}

/**
 * The ECI data an answer carries under a body fault: another account's data (`wrong-account`),
 * the `deviant` dialect, or the data without `meter_number` (`invalid`).
 */
export function faultyEciData(
  ctx: MockContext,
  fault: MockFault | undefined,
  type: Action,
  account: MockAccount,
  data: object,
): { data: object; dialect: MockDialect } {
  if (fault?.body === 'wrong-account') {
    const other = ctx.fixtures.accounts().find((a) => a.systemAccountId !== account.systemAccountId) ?? account
    const otherInvoice = other.invoices[other.invoices.length - 1]!
    const wrong = type === 'basic' ? other.basic : type === 'invoice' ? invoiceOf(otherInvoice) : otherInvoice
    return { data: wrong, dialect: ctx.dialect }
  }
  if (fault?.body === 'deviant') return { data, dialect: 'deviant' }
  if (fault?.body === 'invalid') {
    const { meter_number: _dropped, ...rest } = data as Record<string, unknown>
    return { data: rest, dialect: ctx.dialect }
  }
  return { data, dialect: ctx.dialect }
}
