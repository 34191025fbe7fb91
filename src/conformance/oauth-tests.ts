/**
 * The authorization and token tests (protocol §3, §4): authorization requests wrong in one way,
 * refused before any code is issued; `state` and `iss` in the responses; the token endpoint's
 * `invalid_grant`, refresh rotation and reuse, and the single-use code.
 * @module
 */
import type { EciRequestType } from '../protocol/claims.js'
import { newJti } from '../request/sign.js'
import type { GrantState, OAuthClient, Probe } from './oauth.js'
import { fail, type Outcome, pass, type Runner, refusal, skip } from './runner.js'
import { type Answer, evidenceOf } from './wire.js'

/** What the consent of this run left to check: the callback's `state`/`iss`, and the code to replay. */
export interface ConsentTrace {
  sentState: string
  state: string | null
  iss: string | null
  code: string
  codeVerifier: string
  redirectUri: string
}

const PAGE = 'the provider answered with a page for a person (it may refuse only after login); check by hand or use PAR'

function probeEvidence(p: Probe, detail: string) {
  return { status: p.status, ...(p.error ? { error: p.error } : {}), detail: `${detail} (via ${p.via})` }
}

/** A probe that must be refused with `error` (an error page without a redirect counts as refused). */
function mustRefuse(p: Probe, error: string, what: string): Outcome {
  const evidence = probeEvidence(p, what)
  if (p.outcome === 'page') return skip(PAGE)
  if (p.outcome === 'accepted') return fail(`${what}: accepted`, evidence)
  if (p.error !== undefined && p.error !== error)
    return fail(`${what}: refused with ${p.error}, not ${error}`, evidence)
  return pass(evidence)
}

/** The authorization tests. `consent` is undefined when a stored grant is used. */
export async function authorizationTests(
  runner: Runner,
  oauth: OAuthClient,
  consent: ConsentTrace | undefined,
): Promise<void> {
  const m = oauth.metadata
  const parRequired = m.require_pushed_authorization_requests === true
  const par = parRequired && m.pushed_authorization_request_endpoint !== undefined
  const frontChannel = !parRequired
  await runner.run('authz.pkce-required', async () => {
    if (parRequired && !par) return skip('PAR is required but no endpoint is published (see metadata.par)')
    const none = await oauth.authorizationParams()
    delete none.code_challenge
    delete none.code_challenge_method
    const first = mustRefuse(await oauth.probe(none, par), 'invalid_request', 'a request without code_challenge')
    if (first.status !== 'pass') return first
    const plain = await oauth.authorizationParams()
    plain.code_challenge = newJti() + newJti()
    plain.code_challenge_method = 'plain'
    return mustRefuse(await oauth.probe(plain, par), 'invalid_request', 'a request with code_challenge_method plain')
  })
  // An authorization request refused by a redirect: its `state` and `iss` are the provider's echo.
  let echo: { sent: string; probe: Probe } | undefined
  const redirected = async () => {
    if (echo || !frontChannel) return echo
    const params = await oauth.authorizationParams()
    params.scope = 'eci:no_such_scope'
    echo = { sent: params.state as string, probe: await oauth.probe(params, false) }
    return echo
  }
  await runner.run('authz.state', async () => {
    const seen: { where: string; sent: string; got: string | null }[] = []
    if (consent) seen.push({ where: 'the consent redirect', sent: consent.sentState, got: consent.state })
    const e = await redirected()
    if (e?.probe.state !== undefined) seen.push({ where: 'an error redirect', sent: e.sent, got: e.probe.state })
    if (seen.length === 0) return skip('no authorization response to look at (stored grant, PAR required)')
    const wrong = seen.find((s) => s.got !== s.sent)
    const detail = seen.map((s) => s.where).join(' and ')
    if (wrong) return fail(`${wrong.where} ${wrong.got === null ? 'lacks state' : 'changed state'}`, { detail })
    return pass({ detail: `state echoed in ${detail}` })
  })
  await runner.run('authz.iss', async () => {
    if (m.authorization_response_iss_parameter_supported !== true) return skip('not advertised (see metadata.iss)')
    const seen: { where: string; got: string | null }[] = []
    if (consent) seen.push({ where: 'the consent redirect', got: consent.iss })
    const e = await redirected()
    if (e?.probe.iss !== undefined) seen.push({ where: 'an error redirect', got: e.probe.iss })
    if (seen.length === 0) return skip('no authorization response to look at (stored grant, PAR required)')
    const wrong = seen.find((s) => s.got !== m.issuer)
    const detail = seen.map((s) => s.where).join(' and ')
    if (wrong) return fail(`${wrong.where} ${wrong.got === null ? 'lacks iss' : 'names another issuer'}`, { detail })
    return pass({ detail: `iss in ${detail}` })
  })
  await runner.run('authz.par-required', async () => {
    if (!parRequired) return skip('PAR is not required (require_pushed_authorization_requests is not true)')
    const p = await oauth.probe(await oauth.authorizationParams(), false)
    const evidence = probeEvidence(p, 'a request without request_uri')
    if (p.outcome === 'refused') return pass(evidence)
    return fail(
      `a request without request_uri was ${p.outcome === 'page' ? 'shown to the customer' : 'accepted'}`,
      evidence,
    )
  })
  await runner.run('authz.rar-invalid', async () => {
    if (!m.authorization_details_types_supported?.includes('eci')) return skip('RAR type eci is not listed')
    const params = await oauth.authorizationParams()
    params.authorization_details = JSON.stringify([{ type: 'eci', actions: ['basic'], system_account_ids: [] }])
    const what = 'authorization_details with empty system_account_ids'
    return mustRefuse(await oauth.probe(params, par), 'invalid_authorization_details', what)
  })
}

/** §4.2: unknown codes and refresh tokens are `400 invalid_grant`. */
export async function invalidGrantTest(runner: Runner, oauth: OAuthClient, refusals: Answer[]): Promise<void> {
  await runner.run('token.invalid-grant', async () => {
    if (!oauth.metadata.token_endpoint) return skip('no token endpoint (see metadata.endpoints)')
    const verifier = newJti() + newJti()
    const code = await oauth.token({
      grant_type: 'authorization_code',
      code: `conformance-${newJti()}`,
      redirect_uri: oauth.redirectUri,
      code_verifier: verifier,
    })
    const first = refusal(code, 400, ['invalid_grant'], refusals)
    if (first.status !== 'pass') return { ...first, reason: `an unknown code: ${first.reason}` }
    const token = await oauth.token({ grant_type: 'refresh_token', refresh_token: `conformance-${newJti()}` })
    const second = refusal(token, 400, ['invalid_grant'], refusals)
    return second.status === 'pass' ? second : { ...second, reason: `an unknown refresh token: ${second.reason}` }
  })
}

/** An access token narrowed to `types` by a refresh with a smaller `scope` (RFC 6749 §6), or why not. */
export async function narrowedToken(state: GrantState, oauth: OAuthClient, types: readonly EciRequestType[]) {
  if (!state.grant.refreshToken) {
    return 'the grant holds every scope and has no refresh token to narrow it; consent to fewer scopes to run this test'
  }
  const wanted = state.grant.scopes.filter((s) => types.some((t) => s.endsWith(t) && !s.endsWith(`_${t}`)))
  const { answer, grant } = await state.refresh(oauth, wanted.join(' '))
  if (!grant)
    return `the provider refused a refresh with a narrower scope (${answer.status}); consent to fewer scopes to run this test`
  state.narrowed = true
  if (grant.scopes.length > wanted.length) {
    await state.restore(oauth)
    return 'the provider ignored the narrower scope on refresh; consent to fewer scopes to run this test'
  }
  return state.presented
}

/** The token tests that spend or end the grant: rotation, reuse (destructive), the code replayed. */
export async function grantEndingTests(
  runner: Runner,
  oauth: OAuthClient,
  state: GrantState,
  consent: ConsentTrace | undefined,
  options: { destructive: boolean; refreshReuseWindow: number; timeout: number; refusals: Answer[] },
): Promise<void> {
  await runner.run('token.refresh-rotation', async () => {
    if (!state.grant.refreshToken) return skip('the grant has no refresh token')
    if (state.rotatedOut.length === 0 && state.notRotated === 0) {
      const { answer, grant } = await state.refresh(oauth)
      if (!grant) return fail(`the refresh was refused (${answer.status})`, evidenceOf(answer))
    }
    if (state.notRotated > 0) return fail('a refresh returned no new refresh_token')
    return pass({ detail: `${state.rotatedOut.length} refresh(es), each with a new refresh_token` })
  })
  await runner.run('token.refresh-reuse', async () => {
    if (!options.destructive) {
      return skip('destructive: a conformant provider revokes the grant on reuse; run with --destructive')
    }
    const old = state.rotatedOut[0]
    if (old === undefined) return skip('no refresh token was rotated out (see token.refresh-rotation)')
    const wait = options.refreshReuseWindow
    if (wait + 2 > options.timeout / 1000) {
      return skip(`the reuse window (${wait} s) is longer than the test's deadline allows: raise the timeout`)
    }
    if (wait > 0) await new Promise((r) => setTimeout(r, (wait + 1) * 1000))
    return refusal(
      await oauth.token({ grant_type: 'refresh_token', refresh_token: old }),
      400,
      ['invalid_grant'],
      options.refusals,
    )
  })
  await runner.run('token.code-single-use', async () => {
    if (!consent) return skip('a stored grant was used: no authorization code of this run to replay')
    const answer = await oauth.token({
      grant_type: 'authorization_code',
      code: consent.code,
      redirect_uri: consent.redirectUri,
      code_verifier: consent.codeVerifier,
    })
    return refusal(answer, 400, ['invalid_grant'], options.refusals)
  })
}
