/**
 * The ECI endpoint: `POST {resource}` with an access token and a signed request JWT; answers
 * with the account's Basic, Invoice or InvoiceDetail in the configured dialect.
 * @module
 */
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { EmbeddedJWK } from 'jose/jwk/embedded'
import { decodeJwt } from 'jose/jwt/decode'
import { SignJWT } from 'jose/jwt/sign'
import { jwtVerify } from 'jose/jwt/verify'
import { type CallNote, DPOP_ALGS, KID_HINT, type MockContext, SIGNING_ALGS } from './context.js'
import { claimsDespiteDefect, type MockDefect } from './defects.js'
import { sha256, verifyDpopProof } from './dpop.js'
import { faultyEciData } from './faults.js'
import { invoiceOf } from './fixtures.js'
import { challenge, hasMediaType, json, oauthError, readBody } from './http.js'
import { rateLimitFields } from './rate-limit.js'
import { ACTIONS, type AccessRecord, type Action } from './state.js'
import { toWire } from './wire.js'

/** JWS `typ` of request JWTs. */
const REQUEST_TYP = 'eci-request+jwt'
/** JWS `typ` of signed responses. */
const RESPONSE_TYP = 'eci-response+jwt'
/** Longest request JWT lifetime the profile allows. */
const MAX_LIFETIME = 300
/** Shortest `jti`: 128 bits in base64url (protocol §5.3). */
const MIN_JTI_LENGTH = 22
/** JWS header members that name or carry keys: providers take keys only from the registration (§5.2, §9). */
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'crit']
const BASE64URL = /^[A-Za-z0-9_-]*$/

type Outcome = { ok: true } | { ok: false; response: Response }

function unauthorized(ctx: MockContext, bound: boolean, error: string, description: string): Response {
  const headers: Record<string, string> = {
    'WWW-Authenticate': bound
      ? challenge('DPoP', { error, error_description: description, algs: DPOP_ALGS.join(' ') })
      : challenge('Bearer', { error, error_description: description }),
  }
  if (error === 'use_dpop_nonce') headers['DPoP-Nonce'] = ctx.currentNonce()
  return oauthError(401, error, description, headers)
}

function badJwt(description: string): Response {
  return oauthError(400, 'invalid_request_jwt', description)
}

/** Checks the `Authorization` header (and DPoP proof); returns the token's record. */
async function checkToken(
  ctx: MockContext,
  request: Request,
): Promise<{ ok: true; record: AccessRecord; token: string } | { ok: false; response: Response }> {
  const header = request.headers.get('Authorization') ?? ''
  const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim())
  if (!match) return { ok: false, response: unauthorized(ctx, false, 'invalid_token', 'the access token is missing') }
  const scheme = match[1]!.toLowerCase()
  const token = match[2]!
  const record = ctx.state.accessTokens.get(token)
  if (!record) return { ok: false, response: unauthorized(ctx, false, 'invalid_token', 'the access token is unknown') }
  const bound = record.jkt !== undefined
  const family = ctx.state.families.get(record.familyId)
  if (!family || family.revoked) {
    return { ok: false, response: unauthorized(ctx, bound, 'invalid_token', 'the access token was revoked') }
  }
  if (record.expiresAt <= ctx.now()) {
    return { ok: false, response: unauthorized(ctx, bound, 'invalid_token', 'the access token has expired') }
  }
  if (!bound && scheme === 'dpop') {
    return { ok: false, response: unauthorized(ctx, false, 'invalid_token', 'the access token is not DPoP-bound') }
  }
  if (bound && !(scheme !== 'dpop' && ctx.defects.has('accept-dpop-token-as-bearer'))) {
    if (scheme !== 'dpop') {
      return {
        ok: false,
        response: unauthorized(ctx, true, 'invalid_token', 'a DPoP-bound token needs the DPoP scheme'),
      }
    }
    const proof = await verifyDpopProof(ctx, request, { url: ctx.resource, accessToken: token })
    if (!proof.ok) return { ok: false, response: unauthorized(ctx, true, proof.error, proof.description) }
    if (proof.jkt !== record.jkt) {
      return {
        ok: false,
        response: unauthorized(ctx, true, 'invalid_dpop_proof', 'the DPoP key does not match the token'),
      }
    }
  }
  return { ok: true, record, token }
}

/**
 * Protocol §5.4 step 2: the body must be a compact JWS — three base64url segments whose first
 * is a JSON object header. Returns the header, or `undefined` when the body is not one.
 */
function parseCompactJws(body: string, unsigned = false): Record<string, unknown> | undefined {
  const parts = body.split('.')
  if (parts.length !== 3 || parts.some((p) => !BASE64URL.test(p)) || !parts[0] || !(parts[2] || unsigned))
    return undefined
  try {
    const header = decodeProtectedHeader(body) as unknown
    return header && typeof header === 'object' && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** Verifies the request JWT (§5.4 steps 3–8) for the token's client. */
async function checkRequestJwt(
  ctx: MockContext,
  jwt: string,
  header: Record<string, unknown>,
  record: AccessRecord,
  token: string,
): Promise<({ ok: true; claims: Record<string, unknown> } & Outcome) | { ok: false; response: Response }> {
  const fail = (description: string) => ({ ok: false as const, response: badJwt(description) })
  const tolerance = ctx.clockTolerance
  const defect = (d: MockDefect) => ctx.defects.has(d)
  // Defects let one kind of bad signature through (alg none, an empty signature, a stranger's key).
  const unsigned = jwt.endsWith('.')
  const lax =
    (header.alg === 'none' && defect('accept-alg-none')) ||
    (unsigned && header.alg !== 'none' && defect('accept-unsigned-jwt'))
  const embedded = 'jwk' in header && defect('accept-embedded-jwk')
  if (header.typ !== REQUEST_TYP && !defect('accept-wrong-typ')) return fail(`the JWS typ must be ${REQUEST_TYP}`)
  if (!lax && (typeof header.alg !== 'string' || !SIGNING_ALGS.includes(header.alg))) {
    return fail('the request JWT alg is not supported')
  }
  if (typeof header.kid !== 'string' || !header.kid) return fail('the JWS header needs the kid of a registered key')
  const named = FORBIDDEN_HEADERS.filter((h) => h in header && !(h === 'jwk' && embedded))
  if (named.length > 0) {
    return fail(`the JWS header must not carry ${named.join(', ')}: keys come only from the client's registration`)
  }
  const client = ctx.clients.get(record.clientId)
  if (!client?.keys) return fail('the client has registered no keys to verify request JWTs')
  let claims: Record<string, unknown>
  try {
    if (lax) {
      const despite = claimsDespiteDefect(jwt, ctx.now(), tolerance)
      if (!despite) return fail('the request JWT signature is invalid')
      claims = despite
    } else {
      ;({ payload: claims } = await jwtVerify(jwt, embedded ? EmbeddedJWK : client.keys, {
        algorithms: SIGNING_ALGS,
        typ: defect('accept-wrong-typ') ? undefined : REQUEST_TYP,
        currentDate: ctx.date(),
        clockTolerance: tolerance,
        requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
      }))
    }
  } catch (error) {
    const code = (error as { code?: string }).code
    const despite =
      (code === 'ERR_JWT_EXPIRED' && defect('accept-expired-jwt')) ||
      (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' && defect('accept-wrong-key'))
    if (despite) return checkClaims(ctx, decodeJwt(jwt) as Record<string, unknown>, record, token)
    if (code === 'ERR_JWT_EXPIRED') return fail('the request JWT has expired')
    if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
      return fail(`no registered key matches the request JWT kid${KID_HINT}`)
    }
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
      return fail('the request JWT lacks a required claim or is not yet valid')
    if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return fail('the request JWT alg is not supported')
    if (code === 'ERR_JWT_INVALID') return fail('the request JWT payload is not a JSON claims set')
    return fail('the request JWT signature is invalid')
  }
  return checkClaims(ctx, claims, record, token)
}

/** §5.4 steps 5–8 on verified (or, under a defect, merely decoded) claims. */
async function checkClaims(
  ctx: MockContext,
  claims: Record<string, unknown>,
  record: AccessRecord,
  token: string,
): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; response: Response }> {
  const fail = (description: string) => ({ ok: false as const, response: badJwt(description) })
  const defect = (d: MockDefect) => ctx.defects.has(d)
  const tolerance = ctx.clockTolerance
  if (claims.iss !== record.clientId && !defect('accept-wrong-iss'))
    return fail('iss must be the client_id the access token was issued to')
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if ((aud.length !== 1 || aud[0] !== ctx.resource) && !defect('accept-wrong-aud'))
    return fail('aud must be the eci_resource')
  const iat = claims.iat as number
  const exp = claims.exp as number
  if (!Number.isInteger(iat)) return fail('iat must be a NumericDate in whole seconds')
  if (iat > ctx.now() + tolerance && !defect('accept-future-jwt')) return fail('the request JWT iat is in the future')
  if (exp <= iat) return fail('the request JWT exp must be after its iat')
  if (exp - iat > MAX_LIFETIME && !defect('accept-long-lived-jwt'))
    return fail(`the request JWT lifetime exceeds ${MAX_LIFETIME} seconds`)
  if (typeof claims.jti !== 'string' || (claims.jti.length < MIN_JTI_LENGTH && !defect('accept-short-jti'))) {
    return fail(`jti must be a string of at least 128 bits (${MIN_JTI_LENGTH} base64url characters)`)
  }
  if (claims.ath !== (await sha256(token)) && !defect('accept-wrong-ath'))
    return fail('ath does not match the access token')
  const fresh = ctx.state.requestJtis.use(`${record.clientId}\n${claims.jti}`, exp + tolerance, ctx.now())
  if (!fresh && !defect('accept-replayed-jti')) {
    return fail('the request JWT jti was used already')
  }
  return { ok: true, claims }
}

function prefersJwt(request: Request): boolean {
  const accept = (request.headers.get('Accept') ?? '').toLowerCase()
  const jwt = accept.indexOf('application/jwt')
  if (jwt < 0) return false
  const plain = accept.indexOf('application/json')
  return plain < 0 || jwt < plain
}

/** What a verified request JWT asks for (protocol §5.4 steps 9–10): type, account, invoice, scope. */
function checkEciClaims(
  ctx: MockContext,
  claims: Record<string, unknown>,
  record: AccessRecord,
): { ok: true; type: Action; accountId: string; invoiceId: unknown } | { ok: false; response: Response } {
  const fail = (response: Response) => ({ ok: false as const, response })
  const named = claims.eci_request_type
  // The `accept-unknown-request-type` defect answers an unknown type as a Basic request.
  const unknown = typeof named !== 'string' || !ACTIONS.includes(named as Action)
  const type = unknown && ctx.defects.has('accept-unknown-request-type') ? 'basic' : named
  if (type === 'basic' && unknown) delete claims.system_invoice_id
  if (typeof type !== 'string' || !ACTIONS.includes(type as Action)) {
    return fail(oauthError(400, 'invalid_request', 'eci_request_type must be basic, invoice or invoice_detail'))
  }
  const accountId = claims.system_account_id
  if (typeof accountId !== 'string' || !accountId) {
    return fail(oauthError(400, 'invalid_request', 'system_account_id is missing'))
  }
  const invoiceId = claims.system_invoice_id
  const lenient = ctx.defects.has('accept-missing-invoice-id')
  if (type !== 'basic' && (typeof invoiceId !== 'string' || !invoiceId) && !lenient) {
    return fail(oauthError(400, 'invalid_request', `an ${type} request needs system_invoice_id`))
  }
  if (type === 'basic' && invoiceId !== undefined) {
    return fail(oauthError(400, 'invalid_request', 'a basic request must not carry system_invoice_id'))
  }
  if (!record.actions.includes(type as Action) && !ctx.defects.has('accept-missing-scope')) {
    const scope = `eci:${type}`
    return fail(
      oauthError(403, 'insufficient_scope', `the grant does not include ${scope}`, {
        'WWW-Authenticate': challenge(record.jkt ? 'DPoP' : 'Bearer', {
          error: 'insufficient_scope',
          error_description: `the grant does not include ${scope}`,
          scope,
        }),
      }),
    )
  }
  return { ok: true, type: type as Action, accountId, invoiceId }
}

/** The data as JSON, or as a JWT signed by the provider when the client prefers `application/jwt`. */
async function answer(
  ctx: MockContext,
  request: Request,
  record: AccessRecord,
  wire: Record<string, unknown>,
): Promise<Response> {
  if (!prefersJwt(request)) return json(wire)
  const { privateKey, publicJwk } = await ctx.providerKey()
  const now = ctx.now()
  const signed = await new SignJWT(wire)
    .setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid!, typ: RESPONSE_TYP })
    .setIssuer(ctx.issuer)
    .setAudience(record.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + MAX_LIFETIME)
    .sign(privateKey)
  return new Response(signed, { status: 200, headers: { 'Content-Type': 'application/jwt' } })
}

/**
 * Any method but `POST` (and the CORS preflight) at the ECI endpoint: `400 invalid_request`
 * (protocol §7.1, "wrong method"), with `Allow: POST`.
 */
export function handleEciMethod(_ctx: MockContext, request: Request): Response {
  return oauthError(400, 'invalid_request', `the ECI endpoint accepts POST only, not ${request.method}`, {
    Allow: 'POST',
  })
}

/** `POST {resource}`. */
export async function handleEci(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  // Read (bounded) and decode first so that every logged call, refused ones included, shows its claims.
  const raw = await readBody(request)
  const body = (raw ?? '').trim()
  try {
    note.claims = decodeJwt(body)
  } catch {
    // Not a JWT: reported below.
  }
  const presented = /^(?:Bearer|DPoP) (\S+)$/i.exec(request.headers.get('Authorization') ?? '')?.[1]
  note.client = presented ? ctx.state.accessTokens.get(presented)?.clientId : undefined
  // §5.4 step 1: the access token.
  const auth = await checkToken(ctx, request)
  if (!auth.ok) return auth.response
  const { record, token } = auth
  note.client = record.clientId
  // The client's rate limit, before the costly JWT checks (a gateway in front of the API), on
  // the arrival times the call log records.
  const client = ctx.clients.get(record.clientId)
  const limited = client?.rateLimit?.take(note.at)
  if (client?.rateLimitSpec && limited) note.headers = rateLimitFields(client.rateLimitSpec, limited, Date.now())
  if (limited && limited.wait > 0) {
    return oauthError(429, 'rate_limited', 'too many requests for this client', {
      'Retry-After': String(Math.max(1, Math.ceil(limited.wait / 1000))),
    })
  }
  // Step 2: Content-Type and a compact JWS, else invalid_request.
  if (!hasMediaType(request, 'application/jwt')) {
    return oauthError(400, 'invalid_request', 'Content-Type must be application/jwt')
  }
  if (raw === undefined) return oauthError(400, 'invalid_request', 'the body is unreadable or larger than 64 kB')
  const header = parseCompactJws(body, ctx.defects.has('accept-alg-none') || ctx.defects.has('accept-unsigned-jwt'))
  if (!header) return oauthError(400, 'invalid_request', 'the body is not a compact JWS')
  // Steps 3–8.
  const verified = await checkRequestJwt(ctx, body, header, record, token)
  if (!verified.ok) return verified.response
  const { claims } = verified

  const asked = checkEciClaims(ctx, claims, record)
  if (!asked.ok) return asked.response
  const { type, accountId, invoiceId } = asked
  const family = ctx.state.families.get(record.familyId)!
  const account = family.accounts.includes(accountId) ? ctx.fixtures.account(accountId) : undefined
  if (!account && ctx.defects.has('403-for-foreign-account') && ctx.fixtures.account(accountId)) {
    return oauthError(403, 'forbidden', 'the account is not in the grant')
  }
  // Accounts outside the grant answer exactly like unknown ones, so ids cannot be probed.
  if (!account) return oauthError(404, 'not_found', 'no such account')

  let data: object
  if (type === 'basic') data = account.basic
  else {
    const detail =
      account.invoices.find((i) => i.system_invoice_id === invoiceId) ??
      (invoiceId === undefined && ctx.defects.has('accept-missing-invoice-id') ? account.invoices.at(-1) : undefined)
    if (!detail) return oauthError(404, 'not_found', 'no such invoice')
    data = type === 'invoice' ? invoiceOf(detail) : detail
  }

  const faulty = faultyEciData(ctx, note.fault, type, account, data)
  return answer(ctx, request, record, toWire(faulty.data, faulty.dialect))
}
