/**
 * The customer's browser at Glewlwyd, driven through its login API as its own login page does:
 * follow the authorization URL; when Glewlwyd sends the browser to `login.html`, log in
 * (`POST /api/auth/`), grant the scopes to the client (`PUT /api/auth/grant/<client>`) and, for
 * RAR, consent to the `eci` type (`PUT /api/<plugin>/rar/<client>/eci/1`); then follow the
 * `callback_url` back to the authorization endpoint, which redirects to the client.
 */
import { CookieJar } from './cookie-jar.js'
import { PLUGIN } from './glewlwyd-provision.js'
import { type ApiResult, jsonCall } from './glewlwyd-server.js'

export interface ConsentOptions {
  /** The scopes the customer grants (Glewlwyd has no "deny": granting fewer is the only refusal). */
  grant: readonly string[]
  /** Also consent to the `eci` authorization details type. @default true */
  rar?: boolean
}

/** Each step the browser took, for assertions (URLs without query: no code in a failure message). */
export interface ConsentTrace {
  /** Where the first authorization request was sent: Glewlwyd's login page or the client. */
  firstRedirect: string
  steps: { step: string; status: number }[]
}

function withoutQuery(location: string): string {
  const url = new URL(location)
  return `${url.origin}${url.pathname}`
}

export class GlewlwydCustomer {
  readonly jar = new CookieJar()
  readonly #origin: string
  readonly #user: { username: string; password: string }

  constructor(origin: string, user: { username: string; password: string }) {
    this.#origin = origin
    this.#user = user
  }

  /** A call under `/api` with this browser's session cookie. */
  api(method: string, path: string, body?: unknown): Promise<ApiResult> {
    return jsonCall(this.jar, method, `${this.#origin}/api${path}`, body)
  }

  /** GET without following redirects; returns the status and `Location`. */
  async #get(url: string): Promise<{ status: number; location: string | undefined }> {
    const response = await fetch(url, { headers: { cookie: this.jar.header() }, redirect: 'manual' })
    this.jar.store(response.headers)
    await response.body?.cancel()
    return { status: response.status, location: response.headers.get('location') ?? undefined }
  }

  /**
   * Follows `authorizationUrl` through Glewlwyd's login and grant to the client's redirect and
   * returns that callback URL (with `code`, `state`, `iss`) and the steps taken.
   * @throws when Glewlwyd answers anything but the expected redirects.
   */
  async consent(
    authorizationUrl: string,
    options: ConsentOptions,
  ): Promise<{ callbackUrl: string; trace: ConsentTrace }> {
    const steps: ConsentTrace['steps'] = []
    const first = await this.#get(authorizationUrl)
    steps.push({ step: 'authorize', status: first.status })
    if (first.status !== 302 || !first.location) {
      throw new Error(`the authorization endpoint answered ${first.status} instead of a redirect`)
    }
    const trace: ConsentTrace = { firstRedirect: withoutQuery(first.location), steps }
    const login = new URL(first.location)
    if (!login.pathname.endsWith('/login.html')) return { callbackUrl: first.location, trace }
    const clientId = login.searchParams.get('client_id') ?? ''
    const back = login.searchParams.get('callback_url')
    if (!back) throw new Error('Glewlwyd sent the browser to its login page without a callback_url')
    const auth = await this.api('POST', '/auth/', this.#user)
    steps.push({ step: 'login', status: auth.status })
    const grant = await this.api('PUT', `/auth/grant/${encodeURIComponent(clientId)}`, {
      // Space-separated: the API documentation says comma-separated, the server splits on spaces.
      scope: options.grant.join(' '),
    })
    steps.push({ step: 'grant', status: grant.status })
    if (options.rar !== false) {
      const rar = await this.api('PUT', `/${PLUGIN}/rar/${encodeURIComponent(clientId)}/eci/1`)
      steps.push({ step: 'rar consent', status: rar.status })
    }
    // What Glewlwyd's login page does to go on: the callback URL plus `g_continue` (without it,
    // the authorization endpoint sends the browser to the login page again, logged in or not).
    const again = new URL(back)
    again.searchParams.set('g_continue', '')
    const last = await this.#get(again.href)
    steps.push({ step: 'authorize again', status: last.status })
    if (last.status !== 302 || !last.location) {
      throw new Error(`after login the authorization endpoint answered ${last.status}: ${JSON.stringify(steps)}`)
    }
    if (new URL(last.location).pathname.endsWith('/login.html')) {
      throw new Error(`Glewlwyd still wants the login page after login and grant: ${JSON.stringify(steps)}`)
    }
    return { callbackUrl: last.location, trace }
  }
}
