/**
 * The ECI call: `POST {eci_resource}` with the access token and a signed request JWT, the
 * response parsed by the matching schema. Retries re-sign (a spent `jti` is never resent).
 * Options are validated once (`client-options.ts`); this module constructs the client.
 * @module
 */

import { toEciError } from '../error-boundary.js'
import { EciHttpError, EciNetworkError, EciValidationError, ErrorCode } from '../errors.js'
import { MAX_ERROR_BODY_BYTES, readBodyText, releaseBody } from '../http/body.js'
import { Deadline } from '../http/deadline.js'
import { httpErrorFromResponse, isRedirect, redirectRefused, requestIdOf } from '../http/refusal.js'
import { withRetries } from '../http/retry.js'
import { checkRequestClaims, type EciRequestClaims } from '../protocol/claims.js'
import { badOption, isTokenSyntax, resolveSignal, resolveTimeout } from '../resolve.js'
import { type ParseOptions, parseBasic, parseInvoice, parseInvoiceDetail } from '../schemas/parse.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'
import {
  callHook,
  type RequestState,
  reportResponse,
  requestAttributes,
  retryHook,
  type SpanAttributeValue,
  traced,
} from '../telemetry.js'
import { type EciClientOptions, type ResolvedClientOptions, resolveClientOptions } from './client-options.js'
import type { ResolvedSigningKey } from './keys.js'
import { readEciBody } from './read-body.js'
import { checkMatch, clockDisagrees, WHAT, withResponseContext } from './response-checks.js'
import { accessTokenHash, signWithResolvedKey } from './sign.js'

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal | undefined
  /** Per-attempt timeout for this call, ms. @default the client's `timeout` */
  timeout?: number | undefined
}

/** Raw result of {@link EciClient.request}: the unvalidated body and response metadata. */
export interface RawEciResponse {
  body: unknown
  status: number
  requestId: string | undefined
}

/** Typed access to the three ECIS request types for one access token source. */
export interface EciClient {
  /**
   * ECI Basic request for `systemAccountId`.
   * @throws {EciHttpError} refused or unusable response; {@link EciValidationError} schema break;
   *   {@link EciNetworkError} no response; {@link EciConfigError} bad arguments.
   */
  basic(systemAccountId: string, options?: CallOptions): Promise<Basic>
  /** ECI Invoice request. @throws {EciError} as {@link EciClient.basic} */
  invoice(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<Invoice>
  /** ECI Invoice Detail request. @throws {EciError} as {@link EciClient.basic} */
  invoiceDetail(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<InvoiceDetail>
  /** Sends any ECIS request and returns the verified but unvalidated body (conformance tools). @throws {EciError} */
  request(claims: EciRequestClaims, options?: CallOptions): Promise<RawEciResponse>
}

/** Records a span attribute (a no-op without a tracer). */
type Record_ = (key: string, value: SpanAttributeValue | undefined) => void

/** The headers of an ECI POST. */
type RequestHeaders = Readonly<Record<string, string>>

/** One call's options, checked. */
interface Call {
  readonly signal: AbortSignal | undefined
  readonly timeout: number
}

/**
 * Creates the data-plane client. Most apps get one from `consumer.session(grant)`, which adds
 * token refresh; use this directly when you manage access tokens yourself.
 *
 * @throws {EciConfigError} for bad options (synchronously).
 * @example
 * ```ts
 * const eci = createEciClient({
 *   resource: 'https://api.utility.example/eci/v1',
 *   clientId: 'acme-solar',
 *   signingKey: privateJwk,
 *   accessToken: () => tokens.current(),
 * })
 * const basic = await eci.basic('0018-102')
 * ```
 */
export function createEciClient(options: EciClientOptions): EciClient {
  return constructEciClient(resolveClientOptions(options))
}

/** Builds a client from resolved options (the consumer shares the per-provider part). @internal */
export function constructEciClient(o: ResolvedClientOptions): EciClient {
  const data = new DataPlane(o)
  const parseOptions: ParseOptions = { validation: o.validation, onDeviation: o.onDeviation }
  async function typed<T extends { system_account_id: string; system_invoice_id?: string }>(
    claims: EciRequestClaims,
    parse: (raw: unknown, o: ParseOptions) => T,
    callOptions: CallOptions | undefined,
  ): Promise<T> {
    const raw = await data.request(claims, callOptions)
    let value: T
    try {
      value = parse(raw.body, parseOptions)
    } catch (error) {
      throw withResponseContext(toEciError(error, WHAT[claims.eci_request_type]), claims, raw)
    }
    checkMatch(claims, value, raw)
    return value
  }
  return {
    basic: (system_account_id, co) => typed({ eci_request_type: 'basic', system_account_id }, parseBasic, co),
    invoice: (system_account_id, system_invoice_id, co) =>
      typed({ eci_request_type: 'invoice', system_account_id, system_invoice_id }, parseInvoice, co),
    invoiceDetail: (system_account_id, system_invoice_id, co) =>
      typed({ eci_request_type: 'invoice_detail', system_account_id, system_invoice_id }, parseInvoiceDetail, co),
    request: (claims, co) => data.request(claims, co),
  }
}

/** Sends ECIS requests: sign, POST, read, retry; refresh once on `invalid_token`; DPoP nonces. */
class DataPlane {
  readonly #o: ResolvedClientOptions
  /** The last token's `ath` (a promise until hashed), so a burst of calls with one token hashes it once. */
  #ath: { token: string; ath: string | Promise<string> } | undefined
  /** The last token that passed the syntax check, and its Bearer headers. */
  #bearer: { token: string; headers: RequestHeaders } | undefined
  #key: ResolvedSigningKey | undefined

  constructor(o: ResolvedClientOptions) {
    this.#o = o
  }

  #athOf(token: string): string | Promise<string> {
    if (this.#ath?.token !== token) {
      const entry: { token: string; ath: string | Promise<string> } = { token, ath: '' }
      entry.ath = accessTokenHash(token).then((ath) => {
        entry.ath = ath
        return ath
      })
      this.#ath = entry
    }
    return this.#ath.ath
  }

  /** The request headers: for Bearer tokens the same frozen object for every call with one token. */
  #headers(accessToken: string): RequestHeaders | Promise<RequestHeaders> {
    const { dpop, resource, clock, verifier } = this.#o
    const { userAgent } = this.#o.telemetry
    // Ask for signed responses only when they can be verified.
    const accept = verifier ? 'application/json, application/jwt' : 'application/json'
    if (dpop) {
      return dpop.proof({ htm: 'POST', htu: resource, accessToken, now: clock() }).then((proof) => ({
        authorization: `DPoP ${accessToken}`,
        dpop: proof,
        'content-type': 'application/jwt',
        accept,
        'user-agent': userAgent,
      }))
    }
    if (this.#bearer?.token !== accessToken) {
      const headers = {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/jwt',
        accept,
        'user-agent': userAgent,
      }
      this.#bearer = { token: accessToken, headers: Object.freeze(headers) }
    }
    return this.#bearer.headers
  }

  /**
   * One attempt: a new request JWT, the POST and the body read, all under one deadline. Any
   * response not read to its end (a refusal, a redirect, a body over its cap, a timeout) is
   * cancelled, so its connection is released.
   */
  async #attempt(
    claims: EciRequestClaims,
    accessToken: string,
    ath: string,
    key: ResolvedSigningKey,
    call: Call,
    state: RequestState,
    record: Record_,
  ) {
    const { clientId, resource, clock, requestJwtExpiresIn: expiresIn, fetch } = this.#o
    const { onRequest } = this.#o.telemetry
    const what = WHAT[claims.eci_request_type]
    const deadline = new Deadline(call.timeout, call.signal)
    let response: Response | undefined
    try {
      const input = { clientId, audience: resource, ath, claims, expiresIn, now: Math.floor(clock()) }
      const [jwt, headers] = await deadline.race(
        Promise.all([signWithResolvedKey(key, input), this.#headers(accessToken)]),
      )
      record('http.request.resend_count', state.attempt - 1)
      callHook(onRequest, state)
      const sentAt = performance.now()
      // A request JWT is addressed to one `aud`: the POST is never redirected (docs/protocol.md).
      const init: RequestInit = { method: 'POST', headers, body: jwt, redirect: 'manual', signal: deadline.signal }
      response = await deadline.race(fetch(resource, init)).catch((error: unknown) => {
        throw toEciError(error, what, { network: true, host: new URL(resource).host })
      })
      record('http.response.status_code', response.status)
      reportResponse(this.#o.telemetry, state, response, sentAt, [accessToken])
      if (isRedirect(response)) {
        throw redirectRefused(`The ${what}`, response, {
          secrets: [accessToken],
          requestUrl: resource,
          why: 'ECI requests are never redirected, since the request JWT is addressed to one endpoint',
        })
      }
      if (!response.ok) throw await this.#refusal(response, what, accessToken, deadline)
      const body = await deadline.race(
        readEciBody(response, {
          verifier: this.#o.verifier,
          timeoutMs: Number.POSITIVE_INFINITY,
          what,
          secrets: [accessToken],
        }),
      )
      return { response, body }
    } catch (error) {
      if (call.signal?.aborted) {
        throw new EciNetworkError(ErrorCode.ABORTED, `${what} was aborted`, { cause: call.signal.reason })
      }
      throw toEciError(error, what)
    } finally {
      deadline.done()
      // A body not read is cancelled: its connection is released, not left open while the
      // provider keeps writing.
      releaseBody(response)
    }
  }

  /** The error for a refusal: its body read within the attempt's deadline and at most 64 KiB. */
  async #refusal(response: Response, what: string, accessToken: string, deadline: Deadline) {
    let data: unknown
    try {
      const text = await deadline.race(
        readBodyText(response, {
          timeoutMs: Number.POSITIVE_INFINITY,
          maxBytes: MAX_ERROR_BODY_BYTES,
          signal: deadline.signal,
          what,
        }),
      )
      data = JSON.parse(text)
    } catch (error) {
      // A refusal whose body is cut, too large or not JSON is still the refusal; a deadline is not.
      if (deadline.signal.aborted) throw error
    }
    return httpErrorFromResponse(response, data, { what, secrets: [accessToken] })
  }

  /** Sends and reads the body, with retries; each attempt is signed anew. */
  async #attempts(claims: EciRequestClaims, accessToken: string, call: Call, record: Record_) {
    this.#key ??= await this.#o.signingKey()
    const key = this.#key
    const hashed = this.#athOf(accessToken)
    const ath = typeof hashed === 'string' ? hashed : await hashed
    const { telemetry, resource } = this.#o
    const state = (attempt: number): RequestState => ({
      requestType: claims.eci_request_type,
      url: resource,
      attempt,
      ...(telemetry.accountIds ? { systemAccountId: claims.system_account_id } : {}),
    })
    return withRetries((attempt) => this.#attempt(claims, accessToken, ath, key, call, state(attempt), record), {
      policy: this.#o.retry,
      signal: call.signal,
      what: `The ${WHAT[claims.eci_request_type]}`,
      onRetry: retryHook(telemetry, state, WHAT[claims.eci_request_type]),
    })
  }

  async #currentToken(): Promise<string> {
    const source = this.#o.accessToken
    const token = typeof source === 'function' ? await source() : source
    if (token === this.#bearer?.token) return token
    if (typeof token !== 'string' || token.length === 0) throw badOption('`accessToken` returned no token')
    // Never let a malformed token reach a header: the runtime's TypeError would quote it.
    if (!isTokenSyntax(token)) throw badOption('`accessToken` is not an RFC 6750 token (b64token characters only)')
    return token
  }

  async request(rawClaims: EciRequestClaims, callOptions: CallOptions = {}): Promise<RawEciResponse> {
    const claims = checkRequestClaims(rawClaims)
    const given = callOptions ?? {}
    const call: Call = {
      timeout: resolveTimeout(given.timeout, 'timeout', this.#o.timeout),
      signal: resolveSignal(given.signal),
    }
    const { telemetry, resource } = this.#o
    // Built only when a tracer or a channel subscriber observes the span: not on the plain hot path.
    const attributes = () => requestAttributes(resource, claims, telemetry.accountIds)
    return traced(telemetry, 'ecis.request', attributes, async (record) => {
      const raw = await this.#request(claims, call, record)
      record('ecis.request_id', raw.requestId)
      return raw
    })
  }

  async #request(claims: EciRequestClaims, call: Call, record: Record_): Promise<RawEciResponse> {
    let accessToken = await this.#currentToken()
    let refreshed = false
    let nonceRetried = false
    let resigned = false
    for (;;) {
      const signedAt = this.#o.clock()
      try {
        const { response, body } = await this.#attempts(claims, accessToken, call, record)
        return { body, status: response.status, requestId: requestIdOf(response.headers, [accessToken]) }
      } catch (error) {
        const refused = error instanceof EciHttpError && error.status === 401 ? error : undefined
        const { dpop, onInvalidToken } = this.#o
        if (dpop && !nonceRetried && refused?.error === 'use_dpop_nonce') {
          nonceRetried = true
          if (refused.response) dpop.observe(this.#o.resource, refused.response)
          continue
        }
        if (!resigned && clockDisagrees(error, signedAt)) {
          // The provider's clock moved mid-session; the clock has learnt its Date: sign anew, once.
          resigned = true
          continue
        }
        if (!refreshed && onInvalidToken && refused?.error === 'invalid_token') {
          refreshed = true
          const next = await onInvalidToken({ error: refused, accessToken })
          if (typeof next === 'string' && next.length > 0) {
            accessToken = next
            continue
          }
        }
        throw toEciError(error, WHAT[claims.eci_request_type])
      }
    }
  }
}

export type { EciClientOptions, InvalidTokenHandler, InvalidTokenState } from './client-options.js'
