/**
 * DPoP on OAuth requests (RFC 9449 §5, §7): the SDK's own prover signs the proof of every token
 * and PAR request, as it does for ECI calls. openid-client's DPoP handle is not used: it signs only
 * with a local `CryptoKeyPair`, so a DPoP key held in a KMS or HSM could not prove possession at
 * the token endpoint. The proof is added in the client-authentication step, which openid-client
 * runs for every attempt right before it sends the request, so each attempt gets a fresh proof.
 * @module
 */
import type * as oidc from 'openid-client'
import { EciHttpError } from '../errors.js'
import type { DpopProver } from '../request/dpop.js'
import { endpointOf } from './client-auth.js'

/**
 * `auth` plus a DPoP proof on token and PAR requests. Revocation requests carry none: RFC 7009
 * authenticates the client, and the token being revoked need not be proven.
 */
export function withDpopProof(auth: oidc.ClientAuth, dpop: DpopProver | undefined, now: () => number): oidc.ClientAuth {
  if (!dpop) return auth
  return async (as, client, body, headers) => {
    await auth(as, client, body, headers)
    if (body.has('token') && !body.has('grant_type')) return
    const htu = endpointOf(as, body)
    if (htu) headers.set('dpop', await dpop.proof({ htm: 'POST', htu, now: now() }))
  }
}

/** A `fetch` that hands every response's `DPoP-Nonce` to the prover. */
export function observingNonces(fetchImpl: typeof fetch, dpop: DpopProver | undefined): typeof fetch {
  if (!dpop) return fetchImpl
  return (input, init) =>
    fetchImpl(input, init).then((response) => {
      dpop.observe(input instanceof Request ? input.url : String(input), response)
      return response
    })
}

/**
 * Runs `work` again, once, when the provider answered `use_dpop_nonce` (RFC 9449 §8): the nonce
 * it sent is cached by then, and `work` builds a new request (new assertion, new proof).
 */
export async function retryOnDpopNonce<T>(work: () => Promise<T>, dpop: boolean): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!dpop || !(error instanceof EciHttpError) || error.error !== 'use_dpop_nonce') throw error
    return work()
  }
}
