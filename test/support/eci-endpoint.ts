/**
 * A test-only ECI endpoint that checks what the SDK really sends: method, headers, and the
 * request JWT verified with jose against the consumer's public key. The shipped mock provider
 * (src/mock) is the full provider; this one stays small so each request test reads clearly.
 */
import type { JWK } from 'jose'
import { jwtVerify } from 'jose/jwt/verify'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { importJWK } from 'jose/key/import'
import { getResponse, HttpResponse, http, type RequestHandler } from 'msw'

export const RESOURCE = 'https://api.utility.example/eci/v1'
export const CLIENT_ID = 'acme-solar'
export const ACCESS_TOKEN = 'at-0123456789abcdef-SECRET'

export async function makeKeys(alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    crv: alg === 'EdDSA' ? 'Ed25519' : undefined,
  })
  const privateJwk = { ...(await exportJWK(privateKey)), kid: `k-${alg}` } as JWK
  const publicJwk = { ...(await exportJWK(publicKey)), kid: `k-${alg}` } as JWK
  return { privateKey, publicKey, privateJwk, publicJwk }
}

export async function sha256b64url(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)))
  let bin = ''
  for (const b of digest) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export const basicBody = (account: string) => ({
  system_account_id: account,
  account_type: 'electric',
  rate_code: 'R-1',
  next_read_date: '2026-12-15',
  meter_number: 'M-778812',
  producer_projects: ['Sunny Acres CSG'],
  system_invoice_ids: ['inv-1', 'inv-2'],
})

export const invoiceBody = (account: string, invoice: string) => ({
  system_account_id: account,
  system_invoice_id: invoice,
  rate_code: 'R-1',
  next_read_date: '2026-12-15',
  meter_number: 'M-778812',
  invoice_date: '2026-11-02',
  invoice_due_date: '2026-11-23',
  invoice_total: 84.12,
  invoice_paid: false,
  service_period_start: '2026-10-01',
  serivce_period_end: '2026-10-31',
})

export const invoiceDetailBody = (account: string, invoice: string) => ({
  ...invoiceBody(account, invoice),
  delivery_unit: 'kWh',
  service_unit: 'day',
  energy_consumption_quantity: 512,
  energy_consumption_rate: 0.1123,
  energy_consumption_total: 57.5,
  distribution_quantity: 512,
  distribution_rate: 0.05,
  distribution_total: 25.6,
  transmission_quantity: 512,
  transmission_rate: 0.02,
  transmission_total: 10.24,
  stranded_costs_quantity: 512,
  stranded_costs_rate: 0.001,
  stranded_costs_total: 0.51,
  conservation_quantity: 512,
  conservation_rate: 0.004,
  conservation_total: 2.05,
  credit_unit: 'kWh',
  credit_rate: 0.1,
  credit_carryover: 40,
  credit_new: 100,
  credit_allocated: 117.8,
  credit_remaining_total: 22.2,
})

export interface SeenRequest {
  headers: Headers
  claims: Record<string, unknown>
  header: Record<string, unknown>
}

export type Responder = (seen: SeenRequest, attempt: number) => Response | Promise<Response> | undefined

/**
 * The endpoint: verifies every request, records it in `seen`, then answers with `respond` (when
 * it returns a Response) or with the correct body for the claims.
 */
export function eciEndpoint(publicJwk: JWK, respond?: Responder, alg = 'ES256') {
  const seen: SeenRequest[] = []
  const handler = http.post(RESOURCE, async ({ request }) => {
    if (request.headers.get('content-type') !== 'application/jwt') {
      return HttpResponse.json({ error: 'invalid_request', error_description: 'wrong content type' }, { status: 400 })
    }
    const auth = request.headers.get('authorization') ?? ''
    const token = auth.replace(/^(Bearer|DPoP) /, '')
    const jwt = await request.text()
    const key = await importJWK(publicJwk, alg)
    let verified: Awaited<ReturnType<typeof jwtVerify>>
    try {
      verified = await jwtVerify(jwt, key, { audience: RESOURCE, issuer: CLIENT_ID, typ: 'eci-request+jwt' })
    } catch (e) {
      return HttpResponse.json(
        { error: 'invalid_request_jwt', error_description: String((e as Error).message) },
        { status: 400 },
      )
    }
    const claims = verified.payload as Record<string, unknown>
    if (claims.ath !== (await sha256b64url(token))) {
      return HttpResponse.json({ error: 'invalid_request_jwt', error_description: 'ath mismatch' }, { status: 400 })
    }
    const entry = { headers: request.headers, claims, header: verified.protectedHeader as Record<string, unknown> }
    seen.push(entry)
    const custom = await respond?.(entry, seen.length)
    if (custom) return custom
    const account = String(claims.system_account_id)
    const invoice = String(claims.system_invoice_id)
    const body =
      claims.eci_request_type === 'basic'
        ? basicBody(account)
        : claims.eci_request_type === 'invoice'
          ? invoiceBody(account, invoice)
          : invoiceDetailBody(account, invoice)
    return HttpResponse.json(body, { headers: { 'x-request-id': `req-${seen.length}` } })
  })
  return { handler, seen }
}

/** A `fetch` that resolves requests against MSW handlers directly: works in Node and Chromium. */
export function handlerFetch(handlers: RequestHandler[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    if (request.signal?.aborted) throw request.signal.reason
    const pending = getResponse(handlers, request)
    const response = await new Promise<Response | undefined>((resolve, reject) => {
      request.signal?.addEventListener('abort', () => reject(request.signal.reason), { once: true })
      pending.then(resolve, reject)
    })
    if (!response) throw new Error(`unhandled request ${request.method} ${request.url}`)
    if (response.type === 'error') throw new TypeError('fetch failed')
    return response
  }
}
