/**
 * The ECI call: `POST {eci_resource}` with the access token and a signed request JWT, the
 * response parsed by the matching schema. Retries re-sign (a spent `jti` is never resent).
 * Options are validated once (`client-options.ts`); this module constructs the client.
 * @module
 */
import ky, { type HTTPError, type KyInstance } from 'ky'
import { type EciError, EciHttpError, EciNetworkError, EciValidationError, ErrorCode, toEciError } from '../errors.js'
import { badOption, isTokenSyntax, resolveSignal, resolveTimeout } from '../resolve.js'
import { type ParseOptions, parseBasic, parseInvoice, parseInvoiceDetail } from '../schemas/parse.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'
import { callHook, type RequestState, type SpanAttributeValue, traced } from '../telemetry.js'
import { checkRequestClaims, type EciRequestClaims, type EciRequestType } from './claims.js'
import { type EciClientOptions, type ResolvedClientOptions, resolveClientOptions } from './client-options.js'
import { httpErrorFromResponse, requestIdOf } from './http-error.js'
import { readEciBody } from './read-body.js'
import { withRetries } from './retry.js'
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

const WHAT: Record<EciRequestType, string> = {
  basic: 'ECI basic request',
  invoice: 'ECI invoice request',
  invoice_detail: 'ECI invoice_detail request',
}

/** Records a span attribute (a no-op without a tracer). */
type Record_ = (key: string, value: SpanAttributeValue | undefined) => void

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
  /** One ky instance. ky does not retry: every attempt needs a new JWT (a spent `jti` is
   * refused), and ky's retry would clone each request body for nothing. */
  readonly #http: KyInstance
  /** The last token's `ath`, so a burst of calls with one token hashes it once. */
  #ath: { token: string; ath: Promise<string> } | undefined

  constructor(o: ResolvedClientOptions) {
    this.#o = o
    // A request JWT is addressed to one `aud`: the POST is never redirected (docs/protocol.md).
    this.#http = ky.create({ fetch: o.fetch, timeout: o.timeout, throwHttpErrors: true, retry: 0, redirect: 'manual' })
  }

  #athOf(token: string): Promise<string> {
    if (this.#ath?.token !== token) this.#ath = { token, ath: accessTokenHash(token) }
    return this.#ath.ath
  }

  async #authHeaders(accessToken: string): Promise<Record<string, string>> {
    const { dpop, resource, clock } = this.#o
    if (!dpop) return { authorization: `Bearer ${accessToken}` }
    const proof = await dpop.proof({ htm: 'POST', htu: resource, accessToken, now: clock() })
    return { authorization: `DPoP ${accessToken}`, dpop: proof }
  }

  async #send(what: string, accessToken: string, body: string, call: Call, state: RequestState): Promise<Response> {
    const headers = await this.#authHeaders(accessToken)
    headers['content-type'] = 'application/jwt'
    headers['user-agent'] = this.#o.telemetry.userAgent
    const { onRequest, onResponse } = this.#o.telemetry
    callHook(onRequest, state)
    const sentAt = performance.now()
    const answered = (response: Response) =>
      onResponse &&
      callHook(onResponse, {
        ...state,
        status: response.status,
        requestId: requestIdOf(response.headers, [accessToken]),
        durationMs: performance.now() - sentAt,
      })
    // Ask for signed responses only when they can be verified.
    headers.accept = this.#o.verifier ? 'application/json, application/jwt' : 'application/json'
    try {
      const response = await this.#http.post(this.#o.resource, {
        body,
        headers,
        signal: call.signal,
        timeout: call.timeout,
      })
      answered(response)
      return response
    } catch (error) {
      const httpError = error as HTTPError
      if (httpError?.name === 'HTTPError' && httpError.response) {
        const { response } = httpError
        answered(response)
        if (isRedirect(response)) throw redirectRefused(what, response, [accessToken])
        throw httpErrorFromResponse(response, httpError.data, { what, secrets: [accessToken] })
      }
      if (call.signal?.aborted) {
        throw new EciNetworkError(ErrorCode.ABORTED, `${what} was aborted`, { cause: call.signal.reason })
      }
      throw toEciError(error, what, { host: new URL(this.#o.resource).host })
    }
  }

  /** Sends and reads the body, with retries; each attempt is signed anew. */
  async #attempts(claims: EciRequestClaims, accessToken: string, call: Call, record: Record_) {
    const { clientId, resource, clock, verifier, requestJwtExpiresIn: expiresIn, telemetry } = this.#o
    const what = WHAT[claims.eci_request_type]
    const [key, ath] = await Promise.all([this.#o.signingKey(), this.#athOf(accessToken)])
    const secrets = [accessToken]
    const state = (attempt: number): RequestState => ({
      requestType: claims.eci_request_type,
      url: resource,
      attempt,
      ...(telemetry.accountIds ? { systemAccountId: claims.system_account_id } : {}),
    })
    const onRetry = (error: unknown, delayMs: number, attempt: number) =>
      callHook(telemetry.onRetry, { ...state(attempt), error: toEciError(error, what), delayMs })
    return withRetries(
      async (attempt) => {
        record('http.request.resend_count', attempt - 1)
        const now = Math.floor(clock())
        const jwt = await signWithResolvedKey(key, { clientId, audience: resource, ath, claims, expiresIn, now })
        const response = await this.#send(what, accessToken, jwt, call, state(attempt))
        record('http.response.status_code', response.status)
        // Inside the loop: a body that times out mid-read is retried like a timed-out attempt.
        const body = await readEciBody(response, {
          verifier,
          timeoutMs: call.timeout,
          signal: call.signal,
          what,
          secrets,
        })
        return { response, body }
      },
      this.#o.retry,
      call.signal,
      onRetry,
    )
  }

  async #currentToken(): Promise<string> {
    const source = this.#o.accessToken
    const token = typeof source === 'function' ? await source() : source
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
    const url = new URL(resource)
    const attributes = {
      'ecis.request_type': claims.eci_request_type,
      'http.request.method': 'POST',
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      'url.full': `${url.origin}${url.pathname}`,
      'ecis.account_id': telemetry.accountIds ? claims.system_account_id : undefined,
    }
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

/** Seconds between a response's `Date` and our signing time beyond which the clocks disagree. */
const CLOCK_TOLERANCE = 5

/** A refused request JWT whose response `Date` is far from the time it was signed at. */
function clockDisagrees(error: unknown, signedAt: number): boolean {
  if (!(error instanceof EciHttpError) || error.status !== 400 || error.error !== 'invalid_request_jwt') return false
  const date = Date.parse(error.response?.headers.get('date') ?? '')
  return Number.isFinite(date) && Math.abs(date / 1000 - signedAt) >= CLOCK_TOLERANCE
}

function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)
}

/** A redirect of the ECI POST: refused, naming where it pointed (origin only, never the query). */
function redirectRefused(what: string, response: Response, secrets: string[]): EciHttpError {
  let origin: string | undefined
  try {
    origin = new URL(response.headers.get('location') ?? '', response.url || undefined).origin
  } catch {}
  return new EciHttpError(
    ErrorCode.UNEXPECTED_REDIRECT,
    `${what}: the provider redirected the request (HTTP ${response.status}${origin && origin !== 'null' ? ` to ${origin}` : ''}); ` +
      'ECI requests are never redirected, since the request JWT is addressed to one endpoint',
    { status: response.status, requestId: requestIdOf(response.headers, secrets), response },
  )
}

/** A schema break from an ECI call says which response broke it, so it can be reported to the provider. */
function withResponseContext(error: EciError, claims: EciRequestClaims, raw: RawEciResponse): EciError {
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
function checkMatch(
  claims: EciRequestClaims,
  value: { system_account_id: string; system_invoice_id?: string },
  raw: RawEciResponse,
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

export type { EciClientOptions, InvalidTokenHandler, InvalidTokenState } from './client-options.js'
