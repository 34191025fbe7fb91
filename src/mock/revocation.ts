/**
 * Token revocation (RFC 7009). Revoking either token of a grant revokes the whole grant: its
 * access and refresh tokens stop working.
 * @module
 */
import { readAuthenticatedForm } from './client-auth.js'
import type { CallNote, MockContext } from './context.js'
import { oauthError } from './http.js'

/** `POST /revoke`. Answers 200 for unknown tokens too, as RFC 7009 §2.2 requires. */
export async function handleRevocation(ctx: MockContext, request: Request, note: CallNote): Promise<Response> {
  const auth = await readAuthenticatedForm(ctx, request, note, ctx.endpoints.revocation)
  if (!auth.ok) return oauthError(auth.status, auth.error, auth.description)
  const form = auth.form
  const token = form.get('token')
  if (!token) return oauthError(400, 'invalid_request', 'token is missing')
  const familyId = ctx.state.refreshTokens.get(token)?.familyId ?? ctx.state.accessTokens.get(token)?.familyId
  const family = familyId ? ctx.state.families.get(familyId) : undefined
  // A client may revoke only its own tokens; others are ignored like unknown ones.
  if (family && family.clientId === auth.client.clientId) ctx.state.revokeFamily(family.id)
  return new Response(null, { status: 200 })
}
