/**
 * The interop world: a real Glewlwyd (glewlwyd-server.ts) set up as an ECI Provider's
 * authorization server (glewlwyd-provision.ts), the ECI resource server that trusts it
 * (eci-resource-server.ts), consumer clients registered on both, and the customer's browser.
 * `describeGlewlwyd` runs a suite only where Glewlwyd is installed: under CI it fails instead.
 */
import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { describe, it } from 'vitest'
import { EciResourceServer } from './eci-resource-server.js'
import { GlewlwydCustomer } from './glewlwyd-customer.js'
import { addClient, type EcisRealm, es256Keys, INTROSPECT_SCOPE, provisionEcis } from './glewlwyd-provision.js'
import { type GlewlwydServer, glewlwydMissing, startGlewlwyd } from './glewlwyd-server.js'

/** A consumer client registered at Glewlwyd, with the key that signs its assertions and request JWTs. */
export interface ConsumerClient {
  clientId: string
  redirectUri: string
  privateJwk: JWK
  publicJwk: JWK
}

export interface GlewlwydWorld {
  server: GlewlwydServer
  realm: EcisRealm
  rs: EciResourceServer
  /** Registers a consumer at Glewlwyd (its JWKS) and at the resource server (request JWT key). */
  consumerClient(clientId: string, auth: 'private_key_jwt' | 'none'): Promise<ConsumerClient>
  /** A new browser (no session yet) for the realm's customer. */
  customer(): GlewlwydCustomer
  close(): Promise<void>
}

/** `describe` where Glewlwyd is installed; a failing test under CI; a skip that says why elsewhere. */
export function describeGlewlwyd(name: string, body: () => void): void {
  const missing = glewlwydMissing()
  if (!missing) {
    describe(name, body)
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs Glewlwyd installed (CI runs the interop suite, it never skips it)', () => {
        throw new Error(missing)
      })
    })
  } else {
    describe.skip(`${name} — skipped outside CI: ${missing}`, body)
  }
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }

/**
 * RFC 7662 for the resource server: its own access token (client credentials, scope
 * `eci:introspect`) authorises introspection of any token.
 */
async function introspector(realm: EcisRealm, clientId: string, secret: string) {
  const tokenResponse = await fetch(`${realm.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${clientId}:${secret}`)}`, ...form },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: INTROSPECT_SCOPE }),
  })
  if (tokenResponse.status !== 200) throw new Error(`client credentials answered ${tokenResponse.status}`)
  const { access_token } = (await tokenResponse.json()) as { access_token: string }
  return async (token: string): Promise<boolean> => {
    const response = await fetch(`${realm.issuer}/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, ...form },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    })
    if (response.status !== 200) throw new Error(`introspection answered ${response.status}`)
    return ((await response.json()) as { active?: boolean }).active === true
  }
}

/** Starts the resource server and Glewlwyd, provisions both. About two seconds. */
export async function startGlewlwydWorld(): Promise<GlewlwydWorld> {
  const rs = await new EciResourceServer().start()
  let server: GlewlwydServer | undefined
  try {
    server = await startGlewlwyd()
    const realm = await provisionEcis(server, rs.resource)
    // The resource server is a confidential client of its own, for introspection (RFC 7662).
    const rsSecret = randomBytes(24).toString('base64url')
    await addClient(server, realm, {
      clientId: 'eci-resource-server',
      auth: 'client_secret_basic',
      secret: rsSecret,
      redirectUri: rs.resource,
      authorizationTypes: ['client_credentials'],
      scopes: [INTROSPECT_SCOPE],
    })
    rs.trust({
      issuer: realm.issuer,
      jwksUri: `${realm.issuer}/jwks`,
      introspect: await introspector(realm, 'eci-resource-server', rsSecret),
    })
    const glewlwyd = server
    return {
      server: glewlwyd,
      realm,
      rs,
      async consumerClient(clientId, auth) {
        const { privateJwk, publicJwk } = await es256Keys(`${clientId}-1`)
        const redirectUri = `http://127.0.0.1/${clientId}/callback`
        await addClient(glewlwyd, realm, { clientId, auth, redirectUri, jwks: { keys: [publicJwk] } })
        rs.registerClient(clientId, publicJwk)
        return { clientId, redirectUri, privateJwk, publicJwk }
      },
      customer: () => new GlewlwydCustomer(glewlwyd.url, realm.customer),
      async close() {
        await glewlwyd.close()
        await rs.close()
      },
    }
  } catch (error) {
    await server?.close()
    await rs.close()
    throw error
  }
}
