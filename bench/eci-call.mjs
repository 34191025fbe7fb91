// One ECI call through the SDK against the measured floor (sign ES256 + fetch + JSON.parse +
// zod), on a loopback HTTP server. The two sides alternate call by call and medians are
// compared, so machine drift hits both equally; an A/A pair (floor vs floor) must read ~1.00.
//
//   npm run build && npx node bench/eci-call.mjs [calls]
import { createServer } from 'node:http'
import { SignJWT } from 'jose/jwt/sign'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { createEciClient, InvoiceSchema } from '../dist/index.js'

const calls = Number(process.argv[2] ?? 3000)
const body = JSON.stringify({
  system_account_id: '0018-102',
  system_invoice_id: '09183eef267',
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
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const resource = `http://127.0.0.1:${server.address().port}/eci/v1`

const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const privateJwk = { ...(await exportJWK(privateKey)), kid: 'bench' }
const accessToken = 'bench-access-token-0123456789'
const client = createEciClient({ resource, clientId: 'bench', signingKey: privateJwk, accessToken })

// The floor: what any correct client must do per call.
async function floor() {
  const now = Math.floor(Date.now() / 1000)
  const jwt = await new SignJWT({
    eci_request_type: 'invoice',
    system_account_id: '0018-102',
    system_invoice_id: '09183eef267',
    ath: 'x'.repeat(43),
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'eci-request+jwt' })
    .setIssuer('bench')
    .setAudience(resource)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(crypto.randomUUID())
    .sign(privateKey)
  const res = await fetch(resource, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/jwt' },
    body: jwt,
  })
  const raw = JSON.parse(await res.text())
  raw.service_period_end = raw.serivce_period_end
  delete raw.serivce_period_end
  return InvoiceSchema.parse(raw)
}
const sdk = () => client.invoice('0018-102', '09183eef267')

async function time(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function compare(label, a, b) {
  for (let i = 0; i < 300; i++) await Promise.all([a(), b()]) // warm up both
  const ta = []
  const tb = []
  for (let i = 0; i < calls; i++) {
    if (i % 2 === 0) {
      ta.push(await time(a))
      tb.push(await time(b))
    } else {
      tb.push(await time(b))
      ta.push(await time(a))
    }
  }
  const ma = median(ta)
  const mb = median(tb)
  console.log(
    `${label}: median ${(ma * 1000).toFixed(0)} µs vs ${(mb * 1000).toFixed(0)} µs → ratio ${(mb / ma).toFixed(2)}`,
  )
}

async function throughput(label, fn, inFlight = 50, total = calls * 2) {
  let next = 0
  const t = performance.now()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await fn()
    }),
  )
  const s = (performance.now() - t) / 1000
  console.log(`${label}: ${(total / s).toFixed(0)} calls/s at ${inFlight} in flight`)
}

console.log(`node ${process.version}, ${calls} alternating calls per side`)
await compare('A/A   floor vs floor', floor, floor)
await compare('SDK   floor vs client.invoice()', floor, sdk)
await throughput('floor', floor)
await throughput('SDK  ', sdk)
server.close()
