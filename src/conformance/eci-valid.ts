/**
 * The ECI endpoint, answered: a valid request of each type, judged by the strict schemas and
 * the correlation rule (protocol §6), and the `Cache-Control: no-store` every answer owes.
 * @module
 */

import { toEciError } from '../error-boundary.js'
import { EciValidationError } from '../errors.js'
import type { EciRequestClaims, EciRequestType } from '../protocol/claims.js'
import { checkMatch } from '../request/response-checks.js'
import { parseBasic, parseInvoice, parseInvoiceDetail } from '../schemas/index.js'
import { fail, type Outcome, pass, type Runner, skip } from './runner.js'
import { type Answer, type EciRequests, evidenceOf, type Presented } from './wire.js'

const PARSERS = { basic: parseBasic, invoice: parseInvoice, invoice_detail: parseInvoiceDetail }

/** What the ECI tests work with. */
export interface EciContext {
  runner: Runner
  eci: EciRequests
  /** The grant's current access token. */
  readonly presented: Presented
  /** The granted accounts. */
  accounts: readonly string[]
  /** Request types the grant's scopes allow. */
  granted: readonly EciRequestType[]
  /** Request types the metadata lists. */
  advertised: readonly string[]
  /** An existing account outside the grant, when the caller knows one. */
  foreignAccount: string | undefined
  /** Most requests the rate-limit test may send. */
  rateLimitBurst: number
  /** Every refusal the tests provoked (for the error-body test). */
  refusals: Answer[]
  /** Every successful ECI answer (for the no-store test). */
  answered: Answer[]
  /**
   * An access token for fewer request types than the grant holds (a refresh with a narrower
   * `scope`), or why there is none.
   */
  narrower(types: readonly EciRequestType[]): Promise<Presented | string>
  /** Gives the grant its full scope back after {@link EciContext.narrower}. */
  restore(): Promise<void>
}

/** Claims of a valid request of `type` for `account` (and `invoice`). */
export function claimsOf(type: EciRequestType, account: string, invoice: string | undefined): EciRequestClaims {
  return type === 'basic'
    ? { eci_request_type: 'basic', system_account_id: account }
    : { eci_request_type: type, system_account_id: account, system_invoice_id: invoice as string }
}

/** Judges a 200 answer by the strict schema of `type` and the correlation rule (§6.2). */
function judge(claims: EciRequestClaims, answer: Answer): Outcome {
  const evidence = evidenceOf(answer)
  if (answer.status !== 200) return fail(`a valid request was refused with ${answer.status}`, evidence)
  if (!/^application\/json\b/i.test(answer.headers.get('content-type') ?? '')) {
    return fail('the answer is not application/json', evidence)
  }
  try {
    const value = PARSERS[claims.eci_request_type](answer.body, { validation: 'strict' })
    checkMatch(claims, value, { status: answer.status, requestId: answer.requestId })
  } catch (error) {
    const e = toEciError(error)
    const issues =
      e instanceof EciValidationError ? e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) : []
    return fail(
      issues.length ? `strict validation: ${issues.slice(0, 10).join('; ')}` : `${e.name} [${e.code}]: ${e.message}`,
      evidence,
    )
  }
  return pass(evidence)
}

/**
 * Sends a valid request of each type for the first account and judges each answer; returns
 * the invoice id later tests use (the Basic's newest) and the claims of a request the provider
 * answers (the control every refusal differs from in one way).
 */
export async function validRequests(
  c: EciContext,
): Promise<{ control: EciRequestClaims | undefined; invoice: string | undefined }> {
  const account = c.accounts[0]
  let invoice: string | undefined
  let control: EciRequestClaims | undefined
  for (const type of ['basic', 'invoice', 'invoice_detail'] as const) {
    await c.runner.run(
      `eci.request.${type}`,
      async () => {
        if (account === undefined) return skip('the grant covers no account')
        if (!c.granted.includes(type)) return skip(`not granted (the grant lacks the scope for ${type})`)
        if (!c.advertised.includes(type)) return skip('not in eci_request_types_supported')
        if (type !== 'basic' && invoice === undefined) return skip('no invoice id: the Basic failed or lists none')
        const claims = claimsOf(type, account, invoice)
        const answer = await c.eci.valid(claims, c.presented)
        if (answer.status === 200) c.answered.push(answer)
        else if (answer.status >= 400) c.refusals.push(answer)
        const outcome = judge(claims, answer)
        if (answer.status === 200) {
          control ??= claims
          const ids = (answer.body as { system_invoice_ids?: unknown } | undefined)?.system_invoice_ids
          if (type === 'basic' && Array.isArray(ids) && typeof ids.at(-1) === 'string') invoice = ids.at(-1) as string
        }
        return outcome
      },
      { always: true },
    )
  }
  return { control, invoice }
}

/** §6.4: every answer carries `Cache-Control: no-store`. */
export async function noStoreTest(c: EciContext): Promise<void> {
  await c.runner.run('eci.no-store', async () => {
    const all = [...c.answered, ...c.refusals]
    if (all.length === 0) return skip('no ECI answer to look at')
    const without = all.find((a) => !/\bno-store\b/i.test(a.headers.get('cache-control') ?? ''))
    if (without) return fail(`an answer (${without.status}) lacks Cache-Control: no-store`, evidenceOf(without))
    return pass({ detail: `${all.length} answers, all no-store` })
  })
}

/** §7.1: every refusal is `application/json` `{ error, error_description? }` with string members. */
export async function errorBodyTest(c: EciContext): Promise<void> {
  await c.runner.run('errors.body', async () => {
    if (c.refusals.length === 0) return skip('no refusal to look at')
    for (const answer of c.refusals) {
      const body = answer.body as Record<string, unknown> | undefined
      const problem = !/^application\/json\b/i.test(answer.headers.get('content-type') ?? '')
        ? 'is not application/json'
        : !body || typeof body !== 'object' || Array.isArray(body) || typeof body.error !== 'string'
          ? 'has no string `error`'
          : body.error_description !== undefined && typeof body.error_description !== 'string'
            ? 'has a non-string `error_description`'
            : undefined
      if (problem) return fail(`a ${answer.status} refusal ${problem}`, evidenceOf(answer))
    }
    return pass({ detail: `${c.refusals.length} refusals, all { error, error_description }` })
  })
}
