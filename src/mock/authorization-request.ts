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
const IGNORED_SCOPES = new Set(['offline_access'])

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
  if (!client.redirectUris.includes(redirectUri)) {
    return { error: 'invalid_request', description: 'redirect_uri is not registered for this client' }
  }
  return { client, redirectUri }
}

/** Checks everything else; errors here may be redirected. */
export function checkAuthorizationParams(
  ctx: MockContext,
  params: URLSearchParams,
  client: ResolvedClient,
  redirectUri: string,
): AuthorizationRequest | AuthorizationError {
  for (const name of ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'scope']) {
    if (params.getAll(name).length > 1) return { error: 'invalid_request', description: `${name} is repeated` }
  }
  if (params.get('response_type') !== 'code') {
    return { error: 'unsupported_response_type', description: 'only response_type=code is supported' }
  }
  const challenge = params.get('code_challenge')
  if (!challenge) return { error: 'invalid_request', description: 'PKCE is required: code_challenge is missing' }
  if (params.get('code_challenge_method') !== 'S256') {
    return { error: 'invalid_request', description: 'PKCE code_challenge_method must be S256' }
  }
  if (!CHALLENGE.test(challenge)) {
    return { error: 'invalid_request', description: 'code_challenge is not a base64url SHA-256 value' }
  }
  for (const resource of params.getAll('resource')) {
    if (resource !== ctx.resource) return { error: 'invalid_target', description: 'unknown resource' }
  }

  const actions = new Set<Action>()
  const scope = params.get('scope')
  if (scope !== null) {
    for (const s of scope.split(' ').filter(Boolean)) {
      if (IGNORED_SCOPES.has(s)) continue
      const action = s.startsWith('eci:') ? (s.slice(4) as Action) : undefined
      if (!action || !ACTIONS.includes(action))
        return { error: 'invalid_scope', description: 'unknown scope requested' }
      actions.add(action)
    }
  }

  let requestedAccounts: string[] | undefined
  const details = params.get('authorization_details')
  if (details !== null) {
    const parsed = parseDetails(details)
    if ('error' in parsed) return parsed
    for (const a of parsed.actions) actions.add(a)
    requestedAccounts = parsed.accounts
  }
  if (actions.size === 0) for (const a of ACTIONS) actions.add(a)

  const dpopJkt = params.get('dpop_jkt') ?? undefined
  return {
    clientId: client.clientId,
    redirectUri,
    state: params.get('state') ?? undefined,
    codeChallenge: challenge,
    actions: ACTIONS.filter((a) => actions.has(a)),
    requestedAccounts,
    dpopJkt,
  }
}

function parseDetails(text: string): { actions: Action[]; accounts: string[] | undefined } | AuthorizationError {
  const invalid = (description: string): AuthorizationError => ({ error: 'invalid_authorization_details', description })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return invalid('authorization_details is not JSON')
  }
  if (!Array.isArray(value)) return invalid('authorization_details must be a JSON array')
  const actions: Action[] = []
  let accounts: string[] | undefined
  for (const entry of value) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      return invalid('each authorization detail must be an object')
    const d = entry as Record<string, unknown>
    if (d.type !== 'eci') return invalid('unsupported authorization details type')
    if (d.actions !== undefined) {
      if (!Array.isArray(d.actions)) return invalid('actions must be an array')
      for (const a of d.actions) {
        if (typeof a !== 'string' || !ACTIONS.includes(a as Action)) return invalid('unknown action')
        actions.push(a as Action)
      }
    }
    if (d.system_account_ids !== undefined) {
      if (!Array.isArray(d.system_account_ids) || d.system_account_ids.some((x) => typeof x !== 'string' || !x)) {
        return invalid('system_account_ids must be an array of strings')
      }
      accounts = [...(accounts ?? []), ...(d.system_account_ids as string[])]
    }
  }
  return { actions, accounts }
}
