// The hand-written floor: what a careful user would write instead of the SDK, per call — jose
// `SignJWT` (the same header and claims as the profile), `fetch` with a plain init, `res.text()`
// + `JSON.parse`, the wire's `serivce_period_end` renamed, and the SDK's own zod schema.
import { SignJWT } from 'jose/jwt/sign'
import { BasicSchema, InvoiceDetailSchema, InvoiceSchema } from '../dist/schemas/index.js'

const SCHEMA = { basic: BasicSchema, invoice: InvoiceSchema, invoice_detail: InvoiceDetailSchema }

/**
 * @param {{ resource: string, clientId: string, key: CryptoKey, kid: string, accessToken: string, ath: string }} o
 */
export function createFloor(o) {
  const headers = {
    authorization: `Bearer ${o.accessToken}`,
    'content-type': 'application/jwt',
    accept: 'application/json',
  }
  async function call(type, account, invoice) {
    const now = Math.floor(Date.now() / 1000)
    const claims = { eci_request_type: type, system_account_id: account }
    if (invoice !== undefined) claims.system_invoice_id = invoice
    claims.ath = o.ath
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: o.kid, typ: 'eci-request+jwt' })
      .setIssuer(o.clientId)
      .setAudience(o.resource)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(o.key)
    const res = await fetch(o.resource, { method: 'POST', headers, body: jwt })
    const text = await res.text()
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    const raw = JSON.parse(text)
    if ('serivce_period_end' in raw) {
      raw.service_period_end = raw.serivce_period_end
      delete raw.serivce_period_end
    }
    return SCHEMA[type].parse(raw)
  }
  return {
    basic: (account) => call('basic', account),
    invoiceDetail: (account, invoice) => call('invoice_detail', account, invoice),
    /** The history by hand: Basic, then every InvoiceDetail through `workers` workers, in order. */
    async history(account, workers) {
      const { system_invoice_ids: ids } = await call('basic', account)
      const out = new Array(ids.length)
      let next = 0
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next < ids.length) {
            const i = next++
            out[i] = await call('invoice_detail', account, ids[i])
          }
        }),
      )
      return out
    },
  }
}
