/**
 * Client authentication at the token, PAR and revocation endpoints: `private_key_jwt`
 * (RFC 7523) or `none` for public clients.
 * @module
 */
import { decodeJwt } from 'jose/jwt/decode'
import { jwtVerify } from 'jose/jwt/verify'
import { type CallNote, KID_HINT, type MockContext, type ResolvedClient, SIGNING_ALGS } from './context.js'
import { readForm } from './http.js'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Longest client assertion lifetime (`exp` − `iat`) accepted, in seconds. */
const MAX_ASSERTION_LIFETIME = 300

/** The outcome of client authentication. */
export type ClientAuthResult =
  | { ok: true; client: ResolvedClient }
  | { ok: false; status: number; error: string; description: string; clientId: string | undefined }

function refuse(description: string, clientId?: string, status = 401): ClientAuthResult {
  return { ok: false, status, error: 'invalid_client', description, clientId }
}

/**
 * Authenticates the client of a form-encoded request.
 * `endpoint` is the URL the assertion may name as `aud` besides the issuer.
 */
export async function authenticateClient(
  ctx: MockContext,
  request: Request,
  form: URLSearchParams,
  endpoint: string,
): Promise<ClientAuthResult> {
  const paramId = form.get('client_id') ?? undefined
  if (request.headers.has('Authorization')) {
    return refuse('client_secret_basic is not supported; use private_key_jwt', paramId)
  }
  const assertion = form.get('client_assertion')
  const assertionType = form.get('client_assertion_type')
  if (assertion === null && assertionType === null) {
    if (paramId === undefined) return refuse('client authentication is required')
    const client = ctx.clients.get(paramId)
    if (!client) return refuse('unknown client', paramId)
    if (client.authMethod !== 'none') return refuse('this client must authenticate with private_key_jwt', paramId)
    return { ok: true, client }
  }
  if (assertionType !== JWT_BEARER) return refuse('unsupported client_assertion_type', paramId, 400)
  if (!assertion) return refuse('client_assertion is empty', paramId)

  let claimed: Record<string, unknown>
  try {
    claimed = decodeJwt(assertion)
  } catch {
    return refuse('client_assertion is not a JWT', paramId)
  }
  const clientId = typeof claimed.iss === 'string' ? claimed.iss : undefined
  if (!clientId) return refuse('client_assertion has no iss', paramId)
  if (paramId !== undefined && paramId !== clientId) return refuse('client_id does not match the assertion', paramId)
  const client = ctx.clients.get(clientId)
  if (!client) return refuse('unknown client', clientId)
  if (client.authMethod !== 'private_key_jwt' || !client.keys) {
    return refuse('this client is registered for token_endpoint_auth_method none', clientId)
  }
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(assertion, client.keys, {
      algorithms: SIGNING_ALGS,
      currentDate: ctx.date(),
      clockTolerance: ctx.clockTolerance,
      requiredClaims: ['iat', 'exp', 'jti', 'sub', 'aud'],
    }))
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ERR_JWT_EXPIRED') return refuse('client_assertion has expired', clientId)
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return refuse('client_assertion misses a required claim', clientId)
    if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
      return refuse(`no registered key matches the client_assertion kid${KID_HINT}`, clientId)
    }
    return refuse('client_assertion signature or format is invalid', clientId)
  }
  if (payload.sub !== clientId) return refuse('client_assertion sub must equal iss (the client_id)', clientId)
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (!aud.some((a) => a === ctx.issuer || a === endpoint || a === ctx.endpoints.token)) {
    return refuse('client_assertion aud must be the issuer or the token endpoint', clientId)
  }
  if (typeof payload.jti !== 'string' || !payload.jti) return refuse('client_assertion needs a jti', clientId)
  const now = ctx.now()
  const iat = payload.iat as number
  const exp = payload.exp as number
  if (iat > now + ctx.clockTolerance) return refuse('client_assertion iat is in the future', clientId)
  if (exp <= iat) return refuse('client_assertion exp must be after its iat', clientId)
  if (exp - iat > MAX_ASSERTION_LIFETIME) {
    return refuse(`client_assertion lifetime (exp - iat) exceeds ${MAX_ASSERTION_LIFETIME} seconds`, clientId)
  }
  if (!ctx.state.assertionJtis.use(`${clientId}\n${payload.jti}`, exp + ctx.clockTolerance, now)) {
    return refuse('client_assertion jti was used already', clientId)
  }
  return { ok: true, client }
}

/** The outcome of {@link readAuthenticatedForm}: the form and its client, or what to refuse with. */
export type AuthenticatedForm =
  | { ok: true; form: URLSearchParams; client: ResolvedClient }
  | { ok: false; status: number; error: string; description: string }

/**
 * Reads a form-encoded body and authenticates its client, recording the client on the call
 * note: the first steps of the token, PAR and revocation endpoints.
 */
export async function readAuthenticatedForm(
  ctx: MockContext,
  request: Request,
  note: CallNote,
  endpoint: string,
): Promise<AuthenticatedForm> {
  const form = await readForm(request)
  if (!form) {
    return {
      ok: false,
      status: 400,
      error: 'invalid_request',
      description: 'the body must be application/x-www-form-urlencoded',
    }
  }
  note.client = form.get('client_id') ?? undefined
  const auth = await authenticateClient(ctx, request, form, endpoint)
  if (!auth.ok) {
    note.client = auth.clientId
    return auth
  }
  note.client = auth.client.clientId
  return { ok: true, form, client: auth.client }
}
