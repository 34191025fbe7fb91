/**
 * What the suite sends and how it reads the answers: raw HTTP under the test's deadline with
 * bounded bodies, and request JWTs built with the SDK's signing code, correct or wrong in
 * exactly one way.
 * @module
 */

import { toEciError } from '../error-boundary.js'
import { EciError } from '../errors.js'
import { MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BYTES, readBodyText } from '../http/body.js'
import { requestIdOf } from '../http/refusal.js'
import type { EciRequestClaims } from '../protocol/claims.js'
import { textToBase64url } from '../request/base64url.js'
import type { DpopProver } from '../request/dpop.js'
import type { ResolvedSigningKey } from '../request/keys.js'
import { accessTokenHash, DEFAULT_REQUEST_JWT_TTL, newJti, REQUEST_JWT_TYPE, signCompactJws } from '../request/sign.js'
import type { ConformanceEvidence } from './report.js'

/** An answer as the tests judge it: headers that matter and the parsed body. */
export interface Answer {
  status: number
  headers: Headers
  /** The JSON body, when it was JSON. */
  body: unknown
  requestId: string | undefined
}

/** The HTTP side of one run: its `fetch`, the secrets to keep out of evidence, the test's signal. */
export class Wire {
  readonly #fetch: typeof fetch
  /** Tokens, codes and JWTs this run handled; scrubbed from anything reported. */
  readonly secrets = new Set<string>()
  /** The running test's deadline (set by the runner). */
  signal: AbortSignal | undefined

  constructor(fetchImpl: typeof fetch) {
    this.#fetch = fetchImpl
  }

  /** Remembers values that must never be reported. */
  secret(...values: (string | undefined)[]): void {
    for (const v of values) if (v) this.secrets.add(v)
  }

  /** A `fetch` bounded by the running test's deadline (for SDK calls the suite makes). */
  get boundedFetch(): typeof fetch {
    return (input, init) => {
      const signals = [this.signal, init?.signal].filter((s): s is AbortSignal => s !== undefined && s !== null)
      return this.#fetch(input, { ...init, signal: signals.length ? AbortSignal.any(signals) : undefined })
    }
  }

  /**
   * Sends one request (never redirected) and reads the answer's body to its cap under the
   * test's deadline. @throws {EciError} when no answer could be read.
   */
  async send(url: string, init: RequestInit, what: string): Promise<Answer> {
    let response: Response | undefined
    try {
      response = await this.boundedFetch(url, { ...init, redirect: 'manual' })
      const text = await readBodyText(response, {
        timeoutMs: Number.POSITIVE_INFINITY,
        maxBytes: response.ok ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES,
        signal: this.signal,
        what,
      })
      let body: unknown
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        body = undefined
      }
      return { status: response.status, headers: response.headers, body, requestId: requestIdOf(response.headers) }
    } catch (error) {
      throw toEciError(error, what, { network: true })
    } finally {
      response?.body?.cancel().catch(() => {})
    }
  }
}

/** The `error` member of a JSON error body. */
export function errorOf(answer: Answer): string | undefined {
  const body = answer.body as { error?: unknown } | undefined
  return typeof body?.error === 'string' ? body.error : undefined
}

/** The evidence of an answer: status, error code, the headers that matter. */
export function evidenceOf(answer: Answer, detail?: string): ConformanceEvidence {
  const evidence: ConformanceEvidence = { status: answer.status }
  const error = errorOf(answer)
  if (error) evidence.error = error
  const www = answer.headers.get('www-authenticate')
  if (www) evidence.wwwAuthenticate = www
  const retryAfter = answer.headers.get('retry-after')
  if (retryAfter) evidence.retryAfter = retryAfter
  const contentType = answer.headers.get('content-type')
  if (contentType) evidence.contentType = contentType
  if (answer.requestId) evidence.requestId = answer.requestId
  if (detail) evidence.detail = detail
  return evidence
}

/** The evidence of an SDK error that ended a test. */
export function evidenceOfError(error: unknown): ConformanceEvidence {
  const e = error instanceof EciError ? error : toEciError(error)
  const fields = e as unknown as { status?: unknown; error?: unknown }
  const evidence: ConformanceEvidence = { detail: `${e.name} [${e.code}]: ${e.message}` }
  if (typeof fields.status === 'number') evidence.status = fields.status
  if (typeof fields.error === 'string') evidence.error = fields.error
  return evidence
}

/** The parts of a request JWT before signing. */
export interface JwtParts {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

/** The access token an ECI request goes with, and how it is presented. */
export interface Presented {
  accessToken: string
  /** The DPoP prover when the token is DPoP-bound. */
  dpop: DpopProver | undefined
}

/** Signs and sends ECI requests for one client. */
export class EciRequests {
  constructor(
    readonly wire: Wire,
    readonly key: ResolvedSigningKey,
    readonly clientId: string,
    readonly resource: string,
    /** The provider's time, epoch seconds. */
    readonly now: () => number,
  ) {}

  /** The request JWT of the wire profile (§5.2, §5.3) for `claims`, before signing. */
  async parts(claims: EciRequestClaims, accessToken: string): Promise<JwtParts> {
    const iat = Math.floor(this.now())
    const payload: Record<string, unknown> = {
      iss: this.clientId,
      aud: this.resource,
      iat,
      exp: iat + DEFAULT_REQUEST_JWT_TTL,
      jti: newJti(),
      ath: await accessTokenHash(accessToken),
      ...claims,
    }
    if (payload.system_invoice_id === undefined) delete payload.system_invoice_id
    return { header: { alg: this.key.alg, kid: this.key.kid, typ: REQUEST_JWT_TYPE }, payload }
  }

  /** `parts` signed with the client's key (or `key`), as a compact JWS. */
  async sign(parts: JwtParts, key: ResolvedSigningKey = this.key): Promise<string> {
    const jwt = await signCompactJws(parts.header, parts.payload, key)
    this.wire.secret(jwt)
    return jwt
  }

  /** `parts` with an empty signature (an unsecured JWS). */
  unsigned(parts: JwtParts): string {
    return `${textToBase64url(JSON.stringify(parts.header))}.${textToBase64url(JSON.stringify(parts.payload))}.`
  }

  /** POSTs `jwt` to the ECI endpoint with the token, as Bearer or (when bound) DPoP with a fresh proof. */
  async post(jwt: string, presented: Presented, options: { scheme?: 'Bearer' } = {}): Promise<Answer> {
    const { accessToken, dpop } = presented
    const headers: Record<string, string> = { 'content-type': 'application/jwt', accept: 'application/json' }
    if (dpop && options.scheme !== 'Bearer') {
      headers.authorization = `DPoP ${accessToken}`
      headers.dpop = await dpop.proof({ htm: 'POST', htu: this.resource, accessToken, now: this.now() })
    } else {
      headers.authorization = `Bearer ${accessToken}`
    }
    return this.wire.send(this.resource, { method: 'POST', headers, body: jwt }, 'ECI request')
  }

  /** A correct request for `claims`, signed and sent. */
  async valid(claims: EciRequestClaims, presented: Presented): Promise<Answer> {
    return this.post(await this.sign(await this.parts(claims, presented.accessToken)), presented)
  }
}
