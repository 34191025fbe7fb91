/**
 * The ECI call: `POST {eci_resource}` with the access token and a signed request JWT, the
 * response parsed by the matching schema. Retries re-sign (a spent `jti` is never resent).
 * @module
 */
import ky, { type HTTPError, type KyInstance } from 'ky'
import { EciConfigError, EciError, EciHttpError, EciNetworkError, ErrorCode, toEciError } from '../errors.js'
import { type ParseOptions, parseBasic, parseInvoice, parseInvoiceDetail } from '../schemas/parse.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'
import { checkRequestClaims, type EciRequestClaims, type EciRequestType } from './claims.js'
import type { DpopProver } from './dpop.js'
import { httpErrorFromResponse, requestIdOf } from './http-error.js'
import { type ResolvedSigningKey, resolveSigningKey, type SigningKeyInput } from './keys.js'
import { readBodyText } from './read-body.js'
import { type ProviderJwks, ResponseVerifier } from './response-jwt.js'
import { normalizeRetry, type RetryOptions, retryDelay, sleep } from './retry.js'
import { accessTokenHash, checkExpiresIn, signWithResolvedKey } from './sign.js'

/** What {@link EciClientOptions.onInvalidToken} receives. */
export interface InvalidTokenState {
  /** The 401 `invalid_token` error the provider sent. */
  error: EciHttpError
  /** The access token that was refused (compare before refreshing). */
  accessToken: string
}

/** Options of {@link createEciClient}. */
export interface EciClientOptions {
  /** The provider's `eci_resource` URL; requests are POSTed to it and it is the JWT `aud`. */
  resource: string
  /** The ECI Consumer's OAuth `client_id`; the request JWT's `iss`. */
  clientId: string
  /** Key that signs request JWTs: private JWK, PKCS8 PEM or private `CryptoKey`. */
  signingKey: SigningKeyInput
  /** JWS algorithm. @default from the key (ES256, EdDSA; PS256 for RSA) */
  signingAlg?: string | undefined
  /** `kid` of the signing key. @default the JWK's `kid`, else its RFC 7638 thumbprint */
  signingKid?: string | undefined
  /** The access token, or a function that returns the current one (called per call). */
  accessToken: string | (() => string | Promise<string>)
  /**
   * Called once per call when the provider answers 401 `invalid_token`; return a fresh access
   * token to retry with (a new JWT), or `undefined` to give up. The session uses it to refresh.
   */
  onInvalidToken?: ((state: InvalidTokenState) => Promise<string | undefined> | string | undefined) | undefined
  /** `fetch` to use (tests, proxies, instrumentation). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
  /**
   * Per-attempt timeout in milliseconds.
   * @default 30_000
   */
  timeout?: number | undefined
  /** Retry policy, or a retry count. @default { limit: 2 } */
  retry?: number | RetryOptions | undefined
  /** @default 'strict' */
  validation?: ParseOptions['validation']
  /** Called for every deviation from the canonical ECIS form found in a response. */
  onDeviation?: ParseOptions['onDeviation']
  /**
   * Lifetime of request JWTs in seconds (1–300).
   * @default 60
   */
  requestJwtExpiresIn?: number | undefined
  /** The provider's JWKS (or `jwks_uri`), to verify `application/jwt` responses. */
  providerJwks?: ProviderJwks | undefined
  /** The provider's issuer identifier, checked as `iss` of signed responses. */
  providerIssuer?: string | undefined
  /** Current time in epoch seconds; the session passes a skew-corrected clock. @default Date.now()/1000 */
  clock?: (() => number) | undefined
  /** Sends DPoP-bound tokens with a fresh proof per attempt. @internal (set by the consumer's `dpop` option) */
  dpop?: DpopProver | undefined
}

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
  /** ECI Basic request for `systemAccountId`. */
  basic(systemAccountId: string, options?: CallOptions): Promise<Basic>
  /** ECI Invoice request. */
  invoice(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<Invoice>
  /** ECI Invoice Detail request. */
  invoiceDetail(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<InvoiceDetail>
  /** Sends any ECIS request and returns the verified but unvalidated body (conformance tools). */
  request(claims: EciRequestClaims, options?: CallOptions): Promise<RawEciResponse>
}

const WHAT: Record<EciRequestType, string> = {
  basic: 'ECI basic request',
  invoice: 'ECI invoice request',
  invoice_detail: 'ECI invoice_detail request',
}

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, message)
}

/** setTimeout's range: larger values fire at once. */
const validTimeout = (ms: unknown): ms is number =>
  typeof ms === 'number' && Number.isFinite(ms) && ms > 0 && ms <= 2 ** 31 - 1

function checkUrl(value: unknown, name: string): string {
  if (typeof value !== 'string' && !(value instanceof URL)) throw bad(`\`${name}\` must be a URL`)
  try {
    return new URL(String(value)).href
  } catch {
    throw bad(`\`${name}\` is not a valid URL`)
  }
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
  if (options === null || typeof options !== 'object') throw bad('createEciClient needs an options object')
  const resource = checkUrl(options.resource, 'resource')
  const { clientId, signingKey } = options
  if (typeof clientId !== 'string' || clientId.length === 0) throw bad('`clientId` must be a non-empty string')
  if (signingKey === undefined || signingKey === null) throw bad('`signingKey` is required')
  const tokenSource = options.accessToken
  if (typeof tokenSource !== 'function' && (typeof tokenSource !== 'string' || tokenSource.length === 0)) {
    throw bad('`accessToken` must be a non-empty string or a function returning one')
  }
  const timeout = options.timeout ?? 30_000
  if (!validTimeout(timeout)) throw bad('`timeout` must be a positive number of milliseconds (at most 2^31 − 1)')
  const expiresIn = checkExpiresIn(options.requestJwtExpiresIn)
  const retry = normalizeRetry(options.retry)
  const parseOptions: ParseOptions = { validation: options.validation, onDeviation: options.onDeviation }
  if (
    parseOptions.validation !== undefined &&
    parseOptions.validation !== 'strict' &&
    parseOptions.validation !== 'lenient'
  ) {
    throw bad('`validation` must be "strict" or "lenient"')
  }
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const clock = options.clock ?? (() => Date.now() / 1000)
  const verifier =
    options.providerJwks === undefined
      ? undefined
      : new ResponseVerifier(options.providerJwks, {
          fetch: fetchImpl,
          issuer: options.providerIssuer,
          clientId,
          timeoutMs: timeout,
        })
  const dpop = options.dpop
  const authHeaders = async (accessToken: string): Promise<Record<string, string>> =>
    dpop
      ? {
          authorization: `DPoP ${accessToken}`,
          dpop: await dpop.proof({ htm: 'POST', htu: resource, accessToken, now: clock() }),
        }
      : { authorization: `Bearer ${accessToken}` }
  let key: Promise<ResolvedSigningKey> | undefined
  const signingKeyReady = () => {
    key ??= resolveSigningKey(signingKey, options.signingAlg, options.signingKid)
    return key
  }
  // The last token's `ath`, so a burst of calls with one token hashes it once.
  let athCache: { token: string; ath: Promise<string> } | undefined
  const athOf = (token: string) => {
    if (athCache?.token !== token) athCache = { token, ath: accessTokenHash(token) }
    return athCache.ath
  }

  // One ky instance, options resolved once. ky does not retry: every attempt needs a new JWT
  // (a spent `jti` is refused), and ky's retry would clone each request body for nothing.
  const http: KyInstance = ky.create({ fetch: fetchImpl, timeout, throwHttpErrors: true, retry: 0 })

  async function send(
    claims: EciRequestClaims,
    accessToken: string,
    call: CallOptions,
    sign: () => Promise<string>,
  ): Promise<Response> {
    const signal = call.signal
    const headers = await authHeaders(accessToken)
    headers['content-type'] = 'application/jwt'
    // Ask for signed responses only when they can be verified.
    headers.accept = verifier ? 'application/json, application/jwt' : 'application/json'
    try {
      const body = await sign()
      return await (call.timeout === undefined
        ? http.post(resource, { body, headers, signal })
        : http.post(resource, { body, headers, signal, timeout: call.timeout }))
    } catch (error) {
      const httpError = error as HTTPError
      if (httpError?.name === 'HTTPError' && httpError.response) {
        throw httpErrorFromResponse(httpError.response, httpError.data, {
          what: WHAT[claims.eci_request_type],
          secrets: [accessToken],
        })
      }
      if (signal?.aborted) {
        throw new EciNetworkError(ErrorCode.ABORTED, `${WHAT[claims.eci_request_type]} was aborted`, {
          cause: signal.reason,
        })
      }
      throw toEciError(error, WHAT[claims.eci_request_type])
    }
  }

  /** Sends and reads the body, with retries; each attempt is signed anew. */
  async function attempt(
    claims: EciRequestClaims,
    accessToken: string,
    call: CallOptions,
  ): Promise<{ response: Response; body: unknown }> {
    const signal = call.signal
    const [signer, ath] = await Promise.all([signingKeyReady(), athOf(accessToken)])
    const sign = () =>
      signWithResolvedKey(signer, { clientId, audience: resource, ath, claims, expiresIn, now: Math.floor(clock()) })
    for (let retries = 0; ; retries++) {
      try {
        const response = await send(claims, accessToken, call, sign)
        // Inside the loop: a body that times out mid-read is retried like a timed-out attempt.
        return { response, body: await readBody(response, claims, call) }
      } catch (error) {
        const wait = retryDelay(error, retries, retry)
        if (wait === undefined || signal?.aborted) throw error
        await sleep(wait, signal)
      }
    }
  }

  async function readBody(response: Response, claims: EciRequestClaims, call: CallOptions): Promise<unknown> {
    const what = WHAT[claims.eci_request_type]
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    const invalid = (reason: string, cause?: unknown) =>
      new EciHttpError(ErrorCode.INVALID_RESPONSE, `${what}: ${reason}`, {
        status: response.status,
        requestId: requestIdOf(response.headers),
        response,
        cause,
      })
    let text: string
    try {
      text = await readBodyText(response, { timeoutMs: call.timeout ?? timeout, signal: call.signal, what })
    } catch (error) {
      throw toEciError(error, what)
    }
    if (type === 'application/jwt') {
      if (!verifier)
        throw invalid('the provider sent a signed (application/jwt) response but no provider JWKS is configured')
      try {
        return await verifier.verify(text.trim())
      } catch (error) {
        if (error instanceof EciError) throw error
        throw invalid('the signed response failed verification', error)
      }
    }
    if (type !== 'application/json' && !type.endsWith('+json')) {
      throw invalid(`expected an application/json response, got ${type ? `"${type.slice(0, 60)}"` : 'no content type'}`)
    }
    try {
      return JSON.parse(text)
    } catch (error) {
      throw invalid('the response body is not valid JSON', error)
    }
  }

  async function request(rawClaims: EciRequestClaims, callOptions: CallOptions = {}): Promise<RawEciResponse> {
    const claims = checkRequestClaims(rawClaims)
    const call = callOptions ?? {}
    if (call.timeout !== undefined && !validTimeout(call.timeout)) {
      throw bad('`timeout` must be a positive number of milliseconds (at most 2^31 − 1)')
    }
    if (call.signal !== undefined && !(call.signal instanceof AbortSignal)) throw bad('`signal` must be an AbortSignal')
    let accessToken = await currentToken()
    let refreshed = false
    let nonceRetried = false
    for (;;) {
      try {
        const { response, body } = await attempt(claims, accessToken, call)
        return { body, status: response.status, requestId: requestIdOf(response.headers) }
      } catch (error) {
        if (
          dpop &&
          !nonceRetried &&
          error instanceof EciHttpError &&
          error.status === 401 &&
          error.error === 'use_dpop_nonce'
        ) {
          nonceRetried = true
          if (error.response) dpop.observe(resource, error.response)
          continue
        }
        if (
          !refreshed &&
          options.onInvalidToken &&
          error instanceof EciHttpError &&
          error.status === 401 &&
          error.error === 'invalid_token'
        ) {
          refreshed = true
          const next = await options.onInvalidToken({ error, accessToken })
          if (typeof next === 'string' && next.length > 0) {
            accessToken = next
            continue
          }
        }
        throw toEciError(error, WHAT[claims.eci_request_type])
      }
    }
  }

  async function currentToken(): Promise<string> {
    const token = typeof tokenSource === 'function' ? await tokenSource() : tokenSource
    if (typeof token !== 'string' || token.length === 0) throw bad('`accessToken` returned no token')
    return token
  }

  function checkMatch(
    claims: EciRequestClaims,
    value: { system_account_id: string; system_invoice_id?: string },
    raw: RawEciResponse,
  ) {
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

  async function typed<T extends { system_account_id: string; system_invoice_id?: string }>(
    claims: EciRequestClaims,
    parse: (raw: unknown, o: ParseOptions) => T,
    callOptions: CallOptions | undefined,
  ): Promise<T> {
    const raw = await request(claims, callOptions)
    let value: T
    try {
      value = parse(raw.body, parseOptions)
    } catch (error) {
      throw toEciError(error, WHAT[claims.eci_request_type])
    }
    checkMatch(claims, value, raw)
    return value
  }

  return {
    basic: (system_account_id, o) => typed({ eci_request_type: 'basic', system_account_id }, parseBasic, o),
    invoice: (system_account_id, system_invoice_id, o) =>
      typed({ eci_request_type: 'invoice', system_account_id, system_invoice_id }, parseInvoice, o),
    invoiceDetail: (system_account_id, system_invoice_id, o) =>
      typed({ eci_request_type: 'invoice_detail', system_account_id, system_invoice_id }, parseInvoiceDetail, o),
    request,
  }
}
