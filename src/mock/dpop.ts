/**
 * DPoP proof verification (RFC 9449) for the token and ECI endpoints.
 * @module
 */
import { encode as base64url } from 'jose/base64url'
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { EmbeddedJWK } from 'jose/jwk/embedded'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { jwtVerify } from 'jose/jwt/verify'
import { DPOP_ALGS, type MockContext } from './context.js'

/** How long a proof is accepted after (and before) its `iat`, in seconds. */
const PROOF_WINDOW = 60

/** Outcome of checking a DPoP proof. */
export type DpopResult =
  | { ok: true; jkt: string }
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string }

/** base64url(SHA-256(text)). */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return base64url(new Uint8Array(digest))
}

function stripUrl(value: string): string | undefined {
  try {
    const url = new URL(value)
    return `${url.origin}${url.pathname}`
  } catch {
    return undefined
  }
}

/** Verifies the request's `DPoP` header; `accessToken` is given at the resource (checks `ath`). */
export async function verifyDpopProof(
  ctx: MockContext,
  request: Request,
  options: { url: string; accessToken?: string | undefined },
): Promise<DpopResult> {
  const invalid = (description: string): DpopResult => ({ ok: false, error: 'invalid_dpop_proof', description })
  const proof = request.headers.get('DPoP')
  if (!proof) return invalid('DPoP proof is missing')
  if (proof.includes(',')) return invalid('exactly one DPoP proof is allowed')
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(proof)
  } catch {
    return invalid('DPoP proof is not a JWS')
  }
  if (header.typ !== 'dpop+jwt') return invalid('DPoP proof typ must be dpop+jwt')
  if (!header.alg || !DPOP_ALGS.includes(header.alg)) return invalid('DPoP proof alg is not supported')
  if (!header.jwk || typeof header.jwk !== 'object' || 'd' in header.jwk) {
    return invalid('DPoP proof must carry a public jwk')
  }
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS }))
  } catch {
    return invalid('DPoP proof signature is invalid')
  }
  const now = ctx.now()
  if (typeof payload.iat !== 'number' || Math.abs(payload.iat - now) > PROOF_WINDOW) {
    return invalid('DPoP proof iat is missing or outside the acceptable window')
  }
  if (typeof payload.jti !== 'string' || !payload.jti) return invalid('DPoP proof jti is missing')
  if (payload.htm !== request.method) return invalid('DPoP proof htm does not match the request method')
  if (typeof payload.htu !== 'string' || stripUrl(payload.htu) !== stripUrl(options.url)) {
    return invalid('DPoP proof htu does not match the request URL')
  }
  if (options.accessToken !== undefined && payload.ath !== (await sha256(options.accessToken))) {
    return invalid('DPoP proof ath does not match the access token')
  }
  if (ctx.dpopNonce && !ctx.acceptsNonce(payload.nonce)) {
    return { ok: false, error: 'use_dpop_nonce', description: 'a DPoP nonce from the provider is required' }
  }
  if (!ctx.state.dpopJtis.use(payload.jti, payload.iat + PROOF_WINDOW, now)) {
    return invalid('DPoP proof jti was used already')
  }
  return { ok: true, jkt: await calculateJwkThumbprint(header.jwk, 'sha256') }
}
