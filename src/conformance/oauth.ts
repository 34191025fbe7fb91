/**
 * The OAuth side of the suite: raw, client-authenticated token and PAR requests, authorization
 * requests probed without following the redirect, and the grant kept current across refreshes.
 * @module
 */
import { type Grant, grantFromTokenResponse, type TokenResponseLike } from '../grant/grant.js'
import { bytesToBase64url } from '../request/base64url.js'
import type { DpopProver } from '../request/dpop.js'
import { accessTokenHash, newJti, signCompactJws } from '../request/sign.js'
import type { Answer, EciRequests, Presented } from './wire.js'

/** The metadata members the OAuth tests use. */
export interface OAuthMetadata {
  issuer: string
  authorization_endpoint?: string
  token_endpoint?: string
  pushed_authorization_request_endpoint?: string
  require_pushed_authorization_requests?: boolean
  authorization_response_iss_parameter_supported?: boolean
  authorization_details_types_supported?: string[]
}

/** What an authorization request came back as. */
export interface Probe {
  /** `accepted`: a code (or a PAR `request_uri`); `refused`: an error; `page`: a page for a person. */
  outcome: 'accepted' | 'refused' | 'page'
  status: number
  error: string | undefined
  /** The redirect's `state` and `iss` (`null` when absent); `undefined` when there was no redirect. */
  state: string | null | undefined
  iss: string | null | undefined
  via: 'par' | 'authorize'
}

/** A fresh `state`: 128 random bits. */
export const newState = (): string => newJti()

/** Client-authenticated OAuth requests of one client at one provider. */
export class OAuthClient {
  constructor(
    readonly eci: EciRequests,
    readonly metadata: OAuthMetadata,
    readonly redirectUri: string,
    readonly dpop: DpopProver | undefined,
  ) {}

  /** A `private_key_jwt` client assertion (RFC 7523) addressed to the issuer. */
  async #assertion(): Promise<string> {
    const { key, clientId, now } = this.eci
    const iat = Math.floor(now())
    const payload = { iss: clientId, sub: clientId, aud: this.metadata.issuer, iat, exp: iat + 60, jti: newJti() }
    const jwt = await signCompactJws({ alg: key.alg, kid: key.kid, typ: 'JWT' }, payload, key)
    this.eci.wire.secret(jwt)
    return jwt
  }

  /** POSTs `params` with client authentication (and a DPoP proof to the token endpoint when bound). */
  async post(url: string, params: Record<string, string>, what: string): Promise<Answer> {
    const form = new URLSearchParams(params)
    form.set('client_id', this.eci.clientId)
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    form.set('client_assertion', await this.#assertion())
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }
    if (this.dpop && url === this.metadata.token_endpoint) {
      headers.dpop = await this.dpop.proof({ htm: 'POST', htu: url, now: this.eci.now() })
    }
    return this.eci.wire.send(url, { method: 'POST', headers, body: form }, what)
  }

  /** A token request (`grant_type` and its parameters, `resource` added). */
  token(params: Record<string, string>): Promise<Answer> {
    const url = this.metadata.token_endpoint as string
    return this.post(url, { ...params, resource: this.eci.resource }, 'token request')
  }

  /** The parameters of a valid authorization request (§3.2), PKCE S256 included. */
  async authorizationParams(): Promise<Record<string, string>> {
    const verifier = bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)))
    return {
      response_type: 'code',
      client_id: this.eci.clientId,
      redirect_uri: this.redirectUri,
      scope: 'eci:basic',
      state: newState(),
      code_challenge: await accessTokenHash(verifier),
      code_challenge_method: 'S256',
      resource: this.eci.resource,
    }
  }

  /** Sends an authorization request through PAR (`par: true`) or the front channel, never following it. */
  async probe(params: Record<string, string>, par: boolean): Promise<Probe> {
    if (par) {
      const url = this.metadata.pushed_authorization_request_endpoint as string
      const answer = await this.post(url, params, 'pushed authorization request')
      const error = (answer.body as { error?: unknown } | undefined)?.error
      const accepted = answer.status === 201 || answer.status === 200
      return {
        outcome: accepted ? 'accepted' : 'refused',
        status: answer.status,
        error: typeof error === 'string' ? error : undefined,
        state: undefined,
        iss: undefined,
        via: 'par',
      }
    }
    const url = new URL(this.metadata.authorization_endpoint as string)
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
    const answer = await this.eci.wire.send(url.href, { method: 'GET' }, 'authorization request')
    const location = answer.headers.get('location')
    const base = { status: answer.status, via: 'authorize' as const }
    if (answer.status >= 300 && answer.status < 400 && location && URL.canParse(location, url)) {
      const back = new URL(location, url)
      const q = back.searchParams
      if (back.href.startsWith(this.redirectUri.split('?')[0] as string)) {
        const code = q.get('code')
        if (code) this.eci.wire.secret(code)
        return {
          ...base,
          outcome: code ? 'accepted' : 'refused',
          error: q.get('error') ?? undefined,
          state: q.get('state'),
          iss: q.get('iss'),
        }
      }
      // A redirect elsewhere (a login page): the request was taken for a person to finish.
      return { ...base, outcome: 'page', error: undefined, state: undefined, iss: undefined }
    }
    if (answer.status >= 400) return { ...base, outcome: 'refused', error: undefined, state: undefined, iss: undefined }
    return { ...base, outcome: 'page', error: undefined, state: undefined, iss: undefined }
  }
}

/** The grant the run works with, kept current across refreshes, and what each refresh showed. */
export class GrantState {
  /** Refresh tokens rotated out, oldest first (the reuse test presents the first). */
  readonly rotatedOut: string[] = []
  /** Refreshes that returned no new refresh token. */
  notRotated = 0
  /** The current access token was narrowed to fewer scopes (the scope test). */
  narrowed = false

  constructor(
    public grant: Grant,
    readonly dpop: DpopProver | undefined,
    readonly onGrant: ((grant: Grant) => void | Promise<void>) | undefined,
  ) {}

  /** The access token as the ECI tests present it. */
  get presented(): Presented {
    return { accessToken: this.grant.accessToken, dpop: this.grant.tokenType === 'DPoP' ? this.dpop : undefined }
  }

  /** Gives a narrowed grant its full scope back (a refresh without `scope`), so none is left behind. */
  async restore(oauth: OAuthClient): Promise<void> {
    if (!this.narrowed) return
    this.narrowed = false
    await this.refresh(oauth)
  }

  /**
   * Redeems the refresh token (with a narrower `scope` when given) and keeps the new grant.
   * Returns the answer, and the grant when the refresh succeeded.
   */
  async refresh(oauth: OAuthClient, scope?: string): Promise<{ answer: Answer; grant: Grant | undefined }> {
    const previous = this.grant
    const refreshToken = previous.refreshToken as string
    const answer = await oauth.token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(scope ? { scope } : {}),
    })
    if (answer.status !== 200) return { answer, grant: undefined }
    const body = answer.body as TokenResponseLike
    oauth.eci.wire.secret(body.access_token, body.refresh_token)
    const grant = grantFromTokenResponse(
      body,
      {
        issuer: previous.issuer,
        clientId: previous.clientId,
        resource: previous.resource,
        requestedScopes: previous.scopes,
        now: Date.now() / 1000,
        dpopJkt: previous.dpopJkt,
      },
      previous,
    )
    if (body.refresh_token && body.refresh_token !== refreshToken) this.rotatedOut.push(refreshToken)
    else this.notRotated++
    this.grant = grant
    await this.onGrant?.(grant)
    return { answer, grant }
  }
}
