// The bench's ECI provider: a plain node:http server on loopback, run in its own process (forked
// by bench/eci-call.mjs) so its work never shares the measured client's event loop. It serves
// RFC 8414 metadata and the ECI endpoint; the endpoint reads the request JWT's claims (no
// signature check: both sides send the same kind of JWT, and the bench measures the client) and
// answers with the wire spelling (`serivce_period_end`) for the requested account and invoice.
//
// Two listeners: `fast` answers at once, `slow` after LATENCY_MS (the history-sync measure).
// The parent gets `{ fast, slow }` base URLs over IPC.
import { createServer } from 'node:http'

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20)
const INVOICES = Number(process.env.BENCH_INVOICES ?? 500)

const ids = Array.from({ length: INVOICES }, (_, i) => `inv-${String(i + 1).padStart(4, '0')}`)

function basic(account) {
  return JSON.stringify({
    system_account_id: account,
    account_type: 'electric',
    rate_code: 'R-1',
    next_read_date: '2026-12-15',
    meter_number: 'M-778812',
    producer_projects: ['Sunny Acres CSG'],
    system_invoice_ids: ids,
  })
}

function invoice(account, id, detail) {
  const month = (Number(id.slice(4)) % 12) + 1
  const mm = String(month).padStart(2, '0')
  const body = {
    system_account_id: account,
    system_invoice_id: id,
    rate_code: 'R-1',
    next_read_date: '2026-12-15',
    meter_number: 'M-778812',
    invoice_date: `2025-${mm}-02`,
    invoice_due_date: `2025-${mm}-23`,
    invoice_total: 84.12,
    invoice_paid: false,
    service_period_start: `2025-${mm}-01`,
    serivce_period_end: `2025-${mm}-28`,
  }
  if (detail) {
    Object.assign(body, {
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
  }
  return JSON.stringify(body)
}

/** Bodies are made once per (type, account, invoice): the provider's own cost stays flat. */
const cache = new Map()
function bodyFor(claims) {
  const key = `${claims.eci_request_type}\u0000${claims.system_account_id}\u0000${claims.system_invoice_id ?? ''}`
  let body = cache.get(key)
  if (body === undefined) {
    const type = claims.eci_request_type
    body =
      type === 'basic'
        ? basic(claims.system_account_id)
        : invoice(claims.system_account_id, claims.system_invoice_id, type === 'invoice_detail')
    cache.set(key, body)
  }
  return body
}

function claimsOf(jwt) {
  const payload = jwt.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
}

function serve(latencyMs) {
  let base = ''
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/oauth-authorization-server') {
      const metadata = JSON.stringify({
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        eci_resource: `${base}/eci/v1`,
        eci_request_types_supported: ['basic', 'invoice', 'invoice_detail'],
        eci_request_signing_alg_values_supported: ['ES256'],
      })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(metadata) })
      res.end(metadata)
      return
    }
    if (req.method !== 'POST' || req.url !== '/eci/v1') {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"error":"not_found"}')
      return
    }
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      let body
      try {
        body = bodyFor(claimsOf(Buffer.concat(chunks).toString('latin1')))
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end('{"error":"invalid_request_jwt"}')
        return
      }
      const send = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      }
      if (latencyMs > 0) setTimeout(send, latencyMs)
      else send()
    })
  })
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${server.address().port}`
      resolve(base)
    })
  })
}

const [fast, slow] = await Promise.all([serve(0), serve(LATENCY_MS)])
process.send({ fast, slow })
process.on('disconnect', () => process.exit(0))
