/**
 * The authorization endpoint: validates the request, asks the consent policy (or shows the
 * consent page) and redirects back with `code`, `state` and `iss` (RFC 9207).
 * @module
 */
import { checkAuthorizationParams, checkClientAndRedirect } from './authorization-request.js'
import { consentPage } from './consent-page.js'
import type { CallNote, MockContext } from './context.js'
import { errorPage, readForm, redirect } from './http.js'
import { type AuthorizationRequest, randomToken } from './state.js'
import type { MockConsentDecision, MockOwner } from './types.js'

const PENDING_TTL = 600

function back(
  ctx: MockContext,
  request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>,
  params: Record<string, string>,
): Response {
  const url = new URL(request.redirectUri)
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v)
  if (request.state !== undefined && !ctx.defects.has('no-state-echo')) url.searchParams.append('state', request.state)
  if (!ctx.defects.has('no-iss')) url.searchParams.append('iss', ctx.issuer)
  return redirect(url.href)
}

function backWithError(
  ctx: MockContext,
  request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>,
  error: string,
  description: string,
): Response {
  return back(ctx, request, { error, error_description: description })
}

/** Owner and accounts the policy grants, or a denial. */
function resolveDecision(
  ctx: MockContext,
  request: AuthorizationRequest,
  decision: MockConsentDecision,
): { owner: MockOwner; accounts: string[] } | { deny: string } {
  if (decision === 'deny') return { deny: 'the customer denied consent' }
  const owner = decision.owner === undefined ? ctx.fixtures.owners[0] : ctx.fixtures.owner(decision.owner)
  if (!owner) return { deny: 'the customer could not be identified' }
  let accounts = owner.accounts.map((a) => a.systemAccountId)
  if (decision.accounts !== undefined) accounts = accounts.filter((a) => decision.accounts!.includes(a))
  if (request.requestedAccounts !== undefined) accounts = accounts.filter((a) => request.requestedAccounts!.includes(a))
  if (accounts.length === 0) return { deny: 'none of the requested accounts was granted' }
  return { owner, accounts }
}

function issueCode(ctx: MockContext, request: AuthorizationRequest, ownerId: string, accounts: string[]): Response {
  const code = randomToken()
  ctx.state.codes.set(code, {
    request,
    ownerId,
    accounts,
    expiresAt: ctx.now() + ctx.codeTtl,
    used: false,
    familyId: undefined,
  })
  return back(ctx, request, { code })
}

async function decide(ctx: MockContext, request: AuthorizationRequest): Promise<Response> {
  const policy = ctx.consent
  let decision: MockConsentDecision
  if (policy === 'auto') decision = {}
  else if (policy === 'deny') decision = 'deny'
  else if (typeof policy === 'function') {
    decision = await policy({
      clientId: request.clientId,
      scopes: request.actions.map((a) => `eci:${a}`),
      requestedAccounts: request.requestedAccounts ? [...request.requestedAccounts] : undefined,
      owners: ctx.fixtures.owners,
    })
  } else if (policy === 'interactive') {
    const txn = randomToken(16)
    ctx.state.pendingConsent.set(txn, { request, expiresAt: ctx.now() + PENDING_TTL })
    const owner = ctx.fixtures.owners[0]!
    const accounts = owner.accounts
      .map((a) => a.systemAccountId)
      .filter((a) => request.requestedAccounts === undefined || request.requestedAccounts.includes(a))
    return consentPage({ action: ctx.endpoints.authorize, txn, request, owner, accounts })
  } else decision = policy
  const outcome = resolveDecision(ctx, request, decision)
  if ('deny' in outcome) return backWithError(ctx, request, 'access_denied', outcome.deny)
  return issueCode(ctx, request, outcome.owner.ownerId, outcome.accounts)
}

/** `GET /authorize`. */
export async function handleAuthorize(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  const params = new URL(request.url).searchParams
  const requestUri = params.get('request_uri')
  let authz: AuthorizationRequest
  if (requestUri !== null) {
    note.client = params.get('client_id') ?? undefined
    const pushed = ctx.state.pushed.get(requestUri)
    if (!pushed || pushed.expiresAt < ctx.now()) {
      ctx.state.pushed.delete(requestUri)
      return errorPage(400, 'invalid_request_uri', 'request_uri is unknown, used or expired')
    }
    if (params.get('client_id') !== pushed.request.clientId) {
      return errorPage(400, 'invalid_request', 'client_id does not match the pushed request')
    }
    ctx.state.pushed.delete(requestUri)
    authz = pushed.request
  } else {
    const checked = checkClientAndRedirect(ctx, params)
    if ('error' in checked) {
      note.client = params.get('client_id') ?? undefined
      return errorPage(400, checked.error, checked.description)
    }
    note.client = checked.client.clientId
    const fallback = { redirectUri: checked.redirectUri, state: params.get('state') ?? undefined }
    if (ctx.requirePar && !ctx.defects.has('par-not-enforced')) {
      return backWithError(ctx, fallback, 'invalid_request', 'this provider requires pushed authorization requests')
    }
    const result = checkAuthorizationParams(ctx, params, checked.client, checked.redirectUri)
    if ('error' in result) return backWithError(ctx, fallback, result.error, result.description)
    authz = result
  }
  if (note.fault?.error && note.fault.status === undefined) {
    return backWithError(ctx, authz, note.fault.error, 'injected fault')
  }
  return decide(ctx, authz)
}

/** `POST /authorize`: the consent page's form (Approve / Deny). */
export async function handleConsentForm(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  const form = await readForm(request)
  const txn = form?.get('txn')
  const pending = txn ? ctx.state.pendingConsent.get(txn) : undefined
  if (!form || !txn || !pending || pending.expiresAt < ctx.now()) {
    return errorPage(400, 'invalid_request', 'this consent screen has expired; start again from the application')
  }
  ctx.state.pendingConsent.delete(txn)
  const authz = pending.request
  note.client = authz.clientId
  if (form.get('decision') !== 'approve')
    return backWithError(ctx, authz, 'access_denied', 'the customer denied consent')
  const owner = ctx.fixtures.owners[0]!
  const outcome = resolveDecision(ctx, authz, { owner: owner.ownerId, accounts: form.getAll('account') })
  if ('deny' in outcome) return backWithError(ctx, authz, 'access_denied', outcome.deny)
  return issueCode(ctx, authz, outcome.owner.ownerId, outcome.accounts)
}
