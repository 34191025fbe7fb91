/**
 * Pushed authorization requests (RFC 9126): the client posts the authorization parameters with
 * client authentication and gets a one-use `request_uri` for `/authorize`.
 * @module
 */
import { checkAuthorizationParams, checkClientAndRedirect } from './authorization-request.js'
import { readAuthenticatedForm } from './client-auth.js'
import type { CallNote, MockContext } from './context.js'
import { json, oauthError } from './http.js'
import { randomToken } from './state.js'

/** Lifetime of a `request_uri`, in seconds. */
const REQUEST_URI_TTL = 60

/** `POST /par`. */
export async function handlePar(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  const auth = await readAuthenticatedForm(ctx, request, note, ctx.endpoints.par)
  if (!auth.ok) return oauthError(auth.status, auth.error, auth.description)
  const form = auth.form
  if (form.has('request_uri'))
    return oauthError(400, 'invalid_request', 'request_uri is not allowed in a pushed request')
  if (!form.has('client_id')) form.set('client_id', auth.client.clientId)
  const checked = checkClientAndRedirect(ctx, form)
  if ('error' in checked) return oauthError(400, checked.error, checked.description)
  if (checked.client.clientId !== auth.client.clientId) {
    return oauthError(400, 'invalid_request', 'client_id does not match the authenticated client')
  }
  const result = checkAuthorizationParams(ctx, form, checked.client, checked.redirectUri)
  if ('error' in result) return oauthError(400, result.error, result.description)
  const requestUri = `urn:ietf:params:oauth:request_uri:${randomToken(24)}`
  ctx.state.pushed.set(requestUri, { request: result, expiresAt: ctx.now() + REQUEST_URI_TTL })
  return json({ request_uri: requestUri, expires_in: REQUEST_URI_TTL }, 201)
}
