/**
 * A small ECI resource server (node:http on a free loopback port) that trusts a real
 * authorization server: it verifies each access token with the server's JWKS (signature, `iss`,
 * `aud` = this endpoint, `exp`), asks its introspection endpoint whether the token is still
 * active (revocation), checks DPoP proofs of sender-constrained tokens (RFC 9449: `htm`, `htu`,
 * `ath`, key thumbprint = `cnf.jkt`), and verifies the SDK's request JWT with the client's
 * registered key (`typ`, `iss`, `aud`, `ath`, `jti` once). It answers Basic, Invoice and
 * InvoiceDetail for the accounts the token's RAR `authorization_details` name, 403 without the
 * scope, 404 for any other account — the ECIS wire profile's rules.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import { EmbeddedJWK } from 'jose/jwk/embedded'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { createRemoteJWKSet } from 'jose/jwks/remote'
import { jwtVerify } from 'jose/jwt/verify'
import { importJWK } from 'jose/key/import'
import { basicBody, invoiceBody, invoiceDetailBody, sha256b64url } from './eci-endpoint.js'

/** What the authorization server offers a resource server. */
export interface TrustedAuthorizationServer {
  issuer: string
  jwksUri: string
  /** RFC 7662: whether the token is active. */
  introspect(token: string): Promise<boolean>
}

/** One data call as the resource server saw it (no token in it). */
export interface ResourceCall {
  status: number
  error?: string
  clientId?: string
  requestType?: string
  account?: string
  scheme?: 'Bearer' | 'DPoP'
}

const SCOPE_OF: Record<string, string> = {
  basic: 'eci:basic',
  invoice: 'eci:invoice',
  invoice_detail: 'eci:invoice_detail',
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly scheme: 'Bearer' | 'DPoP' = 'Bearer',
  ) {
    super(error)
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export class EciResourceServer {
  readonly calls: ResourceCall[] = []
  readonly #clients = new Map<string, JWK>()
  readonly #jtis = new Set<string>()
  readonly #server = createServer((request, response) => void this.#handle(request, response))
  #as: (TrustedAuthorizationServer & { jwks: ReturnType<typeof createRemoteJWKSet> }) | undefined
  #resource = ''

  /** Listens on a free port of 127.0.0.1; `resource` is then `http://127.0.0.1:port/eci/v1`. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.#resource = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/eci/v1`
    return this
  }

  get resource(): string {
    return this.#resource
  }

  /** Trusts the authorization server's tokens from now on. */
  trust(server: TrustedAuthorizationServer): void {
    this.#as = { ...server, jwks: createRemoteJWKSet(new URL(server.jwksUri)) }
  }

  /** The key the client signs its request JWTs with (as registered at the authorization server). */
  registerClient(clientId: string, publicJwk: JWK): void {
    this.#clients.set(clientId, publicJwk)
  }

  close(): Promise<void> {
    this.#server.closeAllConnections()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const call: ResourceCall = { status: 200 }
    try {
      const body = await this.#serve(request, await readBody(request), call)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(500, 'server_error')
      call.status = refusal.status
      call.error = refusal.error
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (refusal.status === 401) headers['www-authenticate'] = `${refusal.scheme} error="${refusal.error}"`
      response.writeHead(refusal.status, headers).end(JSON.stringify({ error: refusal.error }))
    }
    this.calls.push(call)
  }

  async #serve(request: IncomingMessage, body: string, call: ResourceCall): Promise<unknown> {
    if (request.method !== 'POST' || new URL(request.url ?? '/', this.#resource).href !== this.#resource) {
      throw new Refusal(404, 'not_found')
    }
    const as = this.#as
    if (!as) throw new Refusal(503, 'temporarily_unavailable')
    const [scheme, token] = (request.headers.authorization ?? '').split(' ') as ['Bearer' | 'DPoP', string]
    if ((scheme !== 'Bearer' && scheme !== 'DPoP') || !token) throw new Refusal(401, 'invalid_token')
    call.scheme = scheme
    const claims = await jwtVerify(token, as.jwks, { issuer: as.issuer, audience: this.#resource }).then(
      (v) => v.payload,
      () => Promise.reject(new Refusal(401, 'invalid_token', scheme)),
    )
    if (!(await as.introspect(token))) throw new Refusal(401, 'invalid_token', scheme)
    const jkt = (claims.cnf as { jkt?: string } | undefined)?.jkt
    if (jkt) await this.#checkDpop(request, token, jkt, scheme)
    else if (scheme !== 'Bearer') throw new Refusal(401, 'invalid_token')
    const clientId = String(claims.client_id)
    call.clientId = clientId
    const request_ = await this.#requestJwt(request, body, token, clientId)
    const type = String(request_.eci_request_type)
    const account = String(request_.system_account_id)
    call.requestType = type
    call.account = account
    const scopes = String(claims.scope ?? '').split(' ')
    if (!SCOPE_OF[type]) throw new Refusal(400, 'invalid_request_jwt')
    if (!scopes.includes(SCOPE_OF[type])) throw new Refusal(403, 'insufficient_scope')
    const details = Array.isArray(claims.authorization_details) ? claims.authorization_details : []
    const granted = details.flatMap((d: { type?: string; system_account_ids?: string[] }) =>
      d?.type === 'eci' && Array.isArray(d.system_account_ids) ? d.system_account_ids : [],
    )
    if (!granted.includes(account)) throw new Refusal(404, 'not_found')
    const invoice = String(request_.system_invoice_id)
    if (type === 'basic') return basicBody(account)
    return type === 'invoice' ? invoiceBody(account, invoice) : invoiceDetailBody(account, invoice)
  }

  /** RFC 9449 §7.1 / §4.3: a DPoP proof for this request, bound to the token and its key. */
  async #checkDpop(request: IncomingMessage, token: string, jkt: string, scheme: string): Promise<void> {
    const proof = request.headers.dpop
    if (scheme !== 'DPoP' || typeof proof !== 'string') throw new Refusal(401, 'invalid_token', 'DPoP')
    try {
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: 60 })
      const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk as JWK)
      const ok =
        thumbprint === jkt &&
        payload.htm === 'POST' &&
        payload.htu === this.#resource &&
        payload.ath === (await sha256b64url(token)) &&
        typeof payload.jti === 'string' &&
        !this.#jtis.has(`dpop:${payload.jti}`)
      if (!ok) throw new Error('proof does not match')
      this.#jtis.add(`dpop:${payload.jti}`)
    } catch {
      throw new Refusal(401, 'invalid_dpop_proof', 'DPoP')
    }
  }

  /** The ECIS request JWT: signed by the client's registered key, for this endpoint and token. */
  async #requestJwt(request: IncomingMessage, body: string, token: string, clientId: string) {
    if (request.headers['content-type'] !== 'application/jwt') throw new Refusal(400, 'invalid_request')
    const jwk = this.#clients.get(clientId)
    if (!jwk) throw new Refusal(400, 'invalid_request_jwt')
    try {
      const { payload } = await jwtVerify(body, await importJWK(jwk, jwk.alg ?? 'ES256'), {
        typ: 'eci-request+jwt',
        issuer: clientId,
        audience: this.#resource,
        maxTokenAge: 300,
      })
      const fresh = typeof payload.jti === 'string' && !this.#jtis.has(payload.jti)
      if (!fresh || payload.ath !== (await sha256b64url(token))) throw new Error('replayed or not bound')
      this.#jtis.add(payload.jti as string)
      return payload
    } catch {
      throw new Refusal(400, 'invalid_request_jwt')
    }
  }
}
