/**
 * Validation of authorization request parameters, shared by `/authorize` and `/par`.
 * @module
 */
import type { MockContext, ResolvedClient } from './context.js'
import { ACTIONS, type Action, type AuthorizationRequest } from './state.js'

/** An error the client learns about (through the redirect, or the PAR response). */
export interface AuthorizationError {
  error: string
  description: string
}

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/
/** Scopes a generic OAuth client may add; they grant nothing here. */
const IGNORED_SCOPES = new Set(['offline_access'])
/** Shortest `state`: 128 bits in base64url (protocol §3.2). */
const MIN_STATE_LENGTH = 22

const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]'])

/**
 * Exact match, except that loopback IP redirect URIs match on any port (RFC 8252 §7.3: a native
 * app listens on an ephemeral port chosen at the time of the request).
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true
  let a: URL
  let b: URL
  try {
    a = new URL(registered)
    b = new URL(requested)
  } catch {
    return false
  }
  return (
    a.protocol === 'http:' &&
    b.protocol === 'http:' &&
    LOOPBACK_IPS.has(a.hostname) &&
    a.hostname === b.hostname &&
    a.pathname === b.pathname &&
    a.search === b.search &&
    b.hash === '' &&
    b.username === '' &&
    b.password === ''
  )
}

/**
 * Checks the client and `redirect_uri`. Failures here must never be redirected: the redirect
 * target is not trustworthy.
 */
export function checkClientAndRedirect(
  ctx: MockContext,
  params: URLSearchParams,
): { client: ResolvedClient; redirectUri: string } | AuthorizationError {
  const clientId = params.get('client_id')
  if (!clientId) return { error: 'invalid_request', description: 'client_id is missing' }
  const client = ctx.clients.get(clientId)
  if (!client) return { error: 'invalid_client', description: 'unknown client_id' }
  const redirectUri = params.get('redirect_uri')
  if (!redirectUri) return { error: 'invalid_request', description: 'redirect_uri is missing' }
  if (!client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
    return { error: 'invalid_request', description: 'redirect_uri is not registered for this client' }
  }
  return { client, redirectUri }
}

const SINGLE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'authorization_details',
  'dpop_jkt',
]

/** `state` and the PKCE challenge (protocol §3.2: both required; state with ≥ 128 bits). */
function checkStateAndPkce(
  params: URLSearchParams,
  lax: boolean,
): { state: string; challenge: string } | AuthorizationError {
  const state = params.get('state')
  if (state === null || state === '') return { error: 'invalid_request', description: 'state is required' }
  if (state.length < MIN_STATE_LENGTH) {
    return {
      error: 'invalid_request',
      description: `state must carry at least 128 bits (${MIN_STATE_LENGTH} base64url characters)`,
    }
  }
  const challenge = params.get('code_challenge')
  // The `no-pkce-required` defect: any challenge, or none, is taken.
  if (lax) return { state, challenge: challenge ?? '' }
  if (!challenge) return { error: 'invalid_request', description: 'PKCE is required: code_challenge is missing' }
  if (params.get('code_challenge_method') !== 'S256') {
    return { error: 'invalid_request', description: 'PKCE code_challenge_method must be S256' }
  }
  if (!CHALLENGE.test(challenge)) {
    return { error: 'invalid_request', description: 'code_challenge is not a base64url SHA-256 value' }
  }
  return { state, challenge }
}

/** The ECIS actions asked for through `scope` and `authorization_details`, and the accounts RAR names. */
function requestedActions(
  ctx: MockContext,
  params: URLSearchParams,
): { actions: Set<Action>; requestedAccounts: string[] | undefined } | AuthorizationError {
  const actions = new Set<Action>()
  for (const s of (params.get('scope') ?? '').split(' ').filter(Boolean)) {
    if (IGNORED_SCOPES.has(s)) continue
    const action = s.startsWith('eci:') ? (s.slice(4) as Action) : undefined
    if (!action || !ACTIONS.includes(action)) return { error: 'invalid_scope', description: 'unknown scope requested' }
    actions.add(action)
  }
  let requestedAccounts: string[] | undefined
  const details = params.get('authorization_details')
  // A provider without RFC 9396 support ignores the parameter (RFC 6749 §3.1).
  if (details !== null && ctx.supportsRar) {
    const parsed = parseDetails(ctx, details)
    if ('error' in parsed && ctx.defects.has('accept-invalid-authorization-details'))
      return { actions, requestedAccounts }
    if ('error' in parsed) return parsed
    for (const a of parsed.actions) actions.add(a)
    requestedAccounts = parsed.accounts
  }
  // Nothing is granted by default: the request must name ECIS scopes or RAR actions.
  if (actions.size === 0) {
    return {
      error: 'invalid_scope',
      description: 'request at least one of eci:basic, eci:invoice, eci:invoice_detail',
    }
  }
  return { actions, requestedAccounts }
}

/**
 * Checks everything else; errors here may be redirected (RFC 6749 §4.1.2.1: with `state` when
 * the request carried one).
 */
export function checkAuthorizationParams(
  ctx: MockContext,
  params: URLSearchParams,
  client: ResolvedClient,
  redirectUri: string,
): AuthorizationRequest | AuthorizationError {
  for (const name of SINGLE_PARAMS) {
    if (params.getAll(name).length > 1) return { error: 'invalid_request', description: `${name} is repeated` }
  }
  if (params.get('response_type') !== 'code') {
    return { error: 'unsupported_response_type', description: 'only response_type=code is supported' }
  }
  const pkce = checkStateAndPkce(params, ctx.defects.has('no-pkce-required'))
  if ('error' in pkce) return pkce
  // Protocol §3.2: resource (RFC 8707) is REQUIRED and must be the eci_resource.
  const resources = params.getAll('resource')
  if (resources.length === 0) {
    return { error: 'invalid_request', description: 'resource is required: send the eci_resource (RFC 8707)' }
  }
  for (const resource of resources) {
    if (resource !== ctx.resource) return { error: 'invalid_target', description: 'unknown resource' }
  }
  const requested = requestedActions(ctx, params)
  if ('error' in requested) return requested
  return {
    clientId: client.clientId,
    redirectUri,
    state: pkce.state,
    codeChallenge: pkce.challenge,
    actions: ACTIONS.filter((a) => requested.actions.has(a)),
    requestedAccounts: requested.requestedAccounts,
    dpopJkt: params.get('dpop_jkt') ?? undefined,
  }
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string' && x !== '')

/** Protocol §3.3: one object of type `eci` with non-empty `system_account_ids` and `actions`. */
function parseDetails(ctx: MockContext, text: string): { actions: Action[]; accounts: string[] } | AuthorizationError {
  const invalid = (description: string): AuthorizationError => ({ error: 'invalid_authorization_details', description })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return invalid('authorization_details is not JSON')
  }
  if (!Array.isArray(value)) return invalid('authorization_details must be a JSON array')
  if (value.length !== 1) return invalid('authorization_details must hold exactly one object')
  const entry: unknown = value[0]
  if (!entry || typeof entry !== 'object' || Array.isArray(entry))
    return invalid('each authorization detail must be an object')
  const d = entry as Record<string, unknown>
  if (d.type !== 'eci') return invalid('unsupported authorization details type')
  if (!isStringArray(d.system_account_ids)) {
    return invalid('system_account_ids is required: a non-empty array of account ids')
  }
  if (!isStringArray(d.actions)) return invalid('actions is required: a non-empty array of request types')
  const actions: Action[] = []
  for (const a of d.actions) {
    if (!ACTIONS.includes(a as Action)) return invalid('unknown action')
    actions.push(a as Action)
  }
  if (d.locations !== undefined && !(isStringArray(d.locations) && d.locations.includes(ctx.resource))) {
    return invalid('locations must contain the eci_resource')
  }
  return { actions, accounts: [...d.system_account_ids] }
}
