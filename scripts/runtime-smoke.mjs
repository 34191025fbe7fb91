// Runtime smoke test: the built package (dist/) runs the whole ECIS journey — discovery, PAR
// consent, code exchange, signed requests, validated data, refresh, revocation — on whatever
// runtime executes this file (Node, Bun, Deno), against a mock provider on loopback HTTP.
//
//   ECIS_SMOKE_ISSUER=http://127.0.0.1:PORT ECIS_SMOKE_KEY='<private JWK>' <runtime> scripts/runtime-smoke.mjs
//
// test/package/runtimes.node.test.ts starts the provider (startMockProviderServer) and runs this
// file on each runtime. Prints one JSON line; exits non-zero on any failure.
import { EciConsumer } from '../dist/index.js'

const env = globalThis.Deno ? (name) => globalThis.Deno.env.get(name) : (name) => globalThis.process.env[name]
const runtime = globalThis.Bun
  ? `bun ${globalThis.Bun.version}`
  : globalThis.Deno
    ? `deno ${globalThis.Deno.version.deno}`
    : `node ${globalThis.process?.version}`
const issuer = env('ECIS_SMOKE_ISSUER')
const privateJwk = JSON.parse(env('ECIS_SMOKE_KEY') ?? 'null')
if (!issuer || !privateJwk) throw new Error('set ECIS_SMOKE_ISSUER and ECIS_SMOKE_KEY')

const consumer = await EciConsumer.discover({
  issuer,
  clientId: 'acme-solar',
  clientAuth: { method: 'private_key_jwt', key: privateJwk },
  redirectUri: 'http://127.0.0.1/eci/callback',
  allowInsecureRequests: true,
})
const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
const answer = await fetch(url, { redirect: 'manual' })
await answer.body?.cancel()
const grant = await consumer.completeConsent(answer.headers.get('location'), JSON.parse(JSON.stringify(transaction)))
let rotations = 0
const session = consumer.session({ ...grant, expiresAt: 1 }, { onGrant: () => void rotations++ })
const account = session.accounts[0]
const basic = await session.basic(account)
const invoices = []
for await (const detail of session.invoices(account, { detail: true, concurrency: 4 })) invoices.push(detail)
await session.revoke()
console.log(JSON.stringify({ runtime, accounts: session.accounts, basic, invoices, rotations }))
