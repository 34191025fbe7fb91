// Profiling aid (not part of `npm run bench`): runs one side alone with N in flight for a few
// seconds against the bench provider, so `node --cpu-prof bench/profile.mjs sdk 50` shows where
// the main thread's time goes.  Usage: node --cpu-prof bench/profile.mjs <sdk|floor> <inFlight> [seconds]
import { fork } from 'node:child_process'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConsumer } from '../dist/index.js'
import { createFloor } from './floor.mjs'

const [side = 'sdk', inFlightArg = '50', secondsArg = '5'] = process.argv.slice(2)
const ACCOUNT = '0018-102'
const TOKEN = 'bench-access-token-0123456789abcdef'
const provider = fork(new URL('./provider.mjs', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const bases = await new Promise((resolve) => provider.once('message', resolve))
const issuer = bases.fast
const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const privateJwk = { ...(await exportJWK(privateKey)), kid: 'bench' }
const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(TOKEN))).toString('base64url')
const consumer = await EciConsumer.discover({
  issuer,
  clientId: 'bench',
  clientAuth: { method: 'private_key_jwt', key: privateJwk },
  allowInsecureRequests: true,
})
const now = Math.floor(Date.now() / 1000)
const session = consumer.session({
  issuer,
  clientId: 'bench',
  resource: consumer.resource,
  accessToken: TOKEN,
  tokenType: 'Bearer',
  issuedAt: now,
  expiresAt: now + 86_400,
  scopes: ['eci:invoice_detail'],
  accounts: [ACCOUNT],
})
const floor = createFloor({
  resource: consumer.resource,
  clientId: 'bench',
  key: privateKey,
  kid: 'bench',
  accessToken: TOKEN,
  ath,
})
let n = 0
const id = () => `inv-${String((n++ % 500) + 1).padStart(4, '0')}`
const call = side === 'floor' ? () => floor.invoiceDetail(ACCOUNT, id()) : () => session.invoiceDetail(ACCOUNT, id())
const until = performance.now() + Number(secondsArg) * 1000
let calls = 0
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await Promise.all(
  Array.from({ length: Number(inFlightArg) }, async () => {
    while (performance.now() < until) {
      await call()
      calls++
    }
  }),
)
const wall = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
console.log(
  `${side} ${inFlightArg} in flight: ${(calls / wall).toFixed(0)} calls/s, client CPU ${((cpu.user + cpu.system) / calls).toFixed(0)} µs/call (user ${(cpu.user / calls).toFixed(0)}, sys ${(cpu.system / calls).toFixed(0)})`,
)
provider.disconnect()
