/**
 * The token endpoint: `authorization_code` (PKCE S256, one-use codes that expire) and
 * `refresh_token` (rotation; reuse of a rotated token revokes the grant), with optional DPoP
 * binding.
 * @module
 */
import { readAuthenticatedForm } from './client-auth.js'
import type { CallNote, MockContext, ResolvedClient } from './context.js'
import { sha256, verifyDpopProof } from './dpop.js'
import { json, oauthError } from './http.js'
import { type Action, type Family, randomToken } from './state.js'

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

/** Headers a DPoP-nonce provider adds to token responses. */
function nonceHeaders(ctx: MockContext): Record<string, string> {
  return ctx.dpopNonce ? { 'DPoP-Nonce': ctx.currentNonce() } : {}
}

function tokenError(ctx: MockContext, status: number, error: string, description: string): Response {
  return oauthError(status, error, description, { 'Cache-Control': 'no-store', ...nonceHeaders(ctx) })
}

/**
 * Mints an access and a refresh token for `family` and returns the token response; with the
 * `no-refresh-rotation` defect a refresh hands back the refresh token it was given.
 */
function issue(ctx: MockContext, family: Family, actions: Action[], presented?: string): Response {
  const now = ctx.now()
  const accessToken = randomToken()
  const refreshToken = presented !== undefined && ctx.defects.has('no-refresh-rotation') ? presented : randomToken()
  ctx.state.accessTokens.set(accessToken, {
    familyId: family.id,
    clientId: family.clientId,
    actions,
    expiresAt: now + ctx.accessTokenTtl,
    jkt: family.jkt,
  })
  ctx.state.refreshTokens.set(refreshToken, { familyId: family.id, expiresAt: now + ctx.refreshTokenTtl, used: false })
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: family.jkt ? 'DPoP' : 'Bearer',
    expires_in: ctx.accessTokenTtl,
    refresh_token: refreshToken,
    scope: actions.map((a) => `eci:${a}`).join(' '),
  }
  // Protocol §4.2: the granted accounts, in `authorization_details` (RAR providers), the
  // top-level `system_account_ids` (providers without RAR), or both.
  if (ctx.tokenResponse !== 'simple') {
    body.authorization_details = [{ type: 'eci', system_account_ids: [...family.accounts], actions: [...actions] }]
  }
  if (ctx.tokenResponse !== 'rar') body.system_account_ids = [...family.accounts]
  return json(body, 200, { 'Cache-Control': 'no-store', Pragma: 'no-cache', ...nonceHeaders(ctx) })
}

/** The error for an unknown code or refresh token: `invalid_grant`, or `invalid_request` with the `wrong-invalid-grant` defect. */
function unknownGrantError(ctx: MockContext): string {
  return ctx.defects.has('wrong-invalid-grant') ? 'invalid_request' : 'invalid_grant'
}

/** DPoP at the token endpoint: the proof's key thumbprint, `undefined` without a proof, or an error response. */
async function dpopBinding(ctx: MockContext, request: Request): Promise<string | undefined | Response> {
  if (!request.headers.has('DPoP')) {
    if (ctx.requireDpop) return tokenError(ctx, 400, 'invalid_dpop_proof', 'this provider requires DPoP')
    return undefined
  }
  const result = await verifyDpopProof(ctx, request, { url: ctx.endpoints.token })
  if (!result.ok) return tokenError(ctx, 400, result.error, result.description)
  return result.jkt
}

async function authorizationCode(
  ctx: MockContext,
  request: Request,
  form: URLSearchParams,
  client: ResolvedClient,
): Promise<Response> {
  const code = form.get('code')
  const record = code ? ctx.state.codes.get(code) : undefined
  if (!code || !record) return tokenError(ctx, 400, unknownGrantError(ctx), 'the authorization code is invalid')
  if (record.request.clientId !== client.clientId) {
    return tokenError(ctx, 400, 'invalid_grant', 'the authorization code was issued to another client')
  }
  if (record.used && !ctx.defects.has('accept-replayed-code')) {
    // RFC 6749 §4.1.2: a replayed code revokes what was issued from it.
    if (record.familyId) ctx.state.revokeFamily(record.familyId)
    return tokenError(ctx, 400, 'invalid_grant', 'the authorization code was used already')
  }
  // DPoP first: a `use_dpop_nonce` answer must leave the code usable for the retry.
  const jkt = await dpopBinding(ctx, request)
  if (jkt instanceof Response) return jkt
  record.used = true
  if (record.expiresAt < ctx.now()) return tokenError(ctx, 400, 'invalid_grant', 'the authorization code has expired')
  if (form.get('redirect_uri') !== record.request.redirectUri) {
    return tokenError(ctx, 400, 'invalid_grant', 'redirect_uri does not match the authorization request')
  }
  const verifier = form.get('code_verifier')
  if (!verifier || !VERIFIER.test(verifier)) {
    return tokenError(ctx, 400, 'invalid_grant', 'code_verifier is missing or malformed')
  }
  if ((await sha256(verifier)) !== record.request.codeChallenge) {
    return tokenError(ctx, 400, 'invalid_grant', 'PKCE verification failed')
  }
  if (record.request.dpopJkt !== undefined && jkt !== record.request.dpopJkt) {
    return tokenError(ctx, 400, 'invalid_dpop_proof', 'the DPoP key does not match dpop_jkt')
  }
  const family: Family = {
    id: randomToken(12),
    clientId: client.clientId,
    ownerId: record.ownerId,
    accounts: [...record.accounts],
    actions: [...record.request.actions],
    revoked: false,
    jkt,
  }
  ctx.state.families.set(family.id, family)
  record.familyId = family.id
  return issue(ctx, family, family.actions)
}

async function refresh(
  ctx: MockContext,
  request: Request,
  form: URLSearchParams,
  client: ResolvedClient,
): Promise<Response> {
  const token = form.get('refresh_token')
  const record = token ? ctx.state.refreshTokens.get(token) : undefined
  const family = record ? ctx.state.families.get(record.familyId) : undefined
  if (!token || !record || !family) return tokenError(ctx, 400, unknownGrantError(ctx), 'the refresh token is invalid')
  if (family.clientId !== client.clientId) {
    return tokenError(ctx, 400, 'invalid_grant', 'the refresh token was issued to another client')
  }
  if (family.revoked) return tokenError(ctx, 400, 'invalid_grant', 'the grant was revoked')
  const reused = record.usedAt !== undefined && !ctx.defects.has('accept-reused-refresh-token')
  if (reused && !(ctx.refreshReuseWindow > 0 && ctx.now() - (record.usedAt as number) <= ctx.refreshReuseWindow)) {
    ctx.state.revokeFamily(family.id)
    return tokenError(ctx, 400, 'invalid_grant', 'the refresh token was used already; the grant is revoked')
  }
  if (record.expiresAt < ctx.now()) return tokenError(ctx, 400, 'invalid_grant', 'the refresh token has expired')
  let actions = family.actions
  const scope = form.get('scope')
  if (scope !== null) {
    const wanted = scope.split(' ').filter(Boolean)
    if (wanted.some((s) => !family.actions.map((a) => `eci:${a}`).includes(s))) {
      return tokenError(ctx, 400, 'invalid_scope', 'a refresh cannot widen the granted scope')
    }
    actions = family.actions.filter((a) => wanted.includes(`eci:${a}`))
  }
  const jkt = await dpopBinding(ctx, request)
  if (jkt instanceof Response) return jkt
  // RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a confidential
  // client's is not, so it may move the grant to a new DPoP key (a key rotation) on refresh.
  const rebind = client.authMethod !== 'none' && family.jkt !== undefined && jkt !== undefined
  if (family.jkt !== undefined && jkt !== family.jkt && !rebind) {
    return tokenError(ctx, 400, 'invalid_dpop_proof', 'the grant is bound to another DPoP key')
  }
  if (rebind) family.jkt = jkt
  const rotate = !ctx.defects.has('no-refresh-rotation')
  record.used = rotate
  if (rotate) record.usedAt ??= ctx.now()
  return issue(ctx, family, actions, token)
}

/** `POST /token`. */
export async function handleToken(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  const auth = await readAuthenticatedForm(ctx, request, note, ctx.endpoints.token)
  if (!auth.ok) return tokenError(ctx, auth.status, auth.error, auth.description)
  const form = auth.form
  for (const resource of form.getAll('resource')) {
    if (resource !== ctx.resource) return tokenError(ctx, 400, 'invalid_target', 'unknown resource')
  }
  const grantType = form.get('grant_type')
  if (grantType === 'authorization_code') return authorizationCode(ctx, request, form, auth.client)
  if (grantType === 'refresh_token') return refresh(ctx, request, form, auth.client)
  return tokenError(ctx, 400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token')
}
