// One instance of a producer's fleet as its own Node process, on the built package: a
// greenButtonConsumer on the shared PostgreSQL grant store, reading the bills of the grant stored
// under KEY with CALLS concurrent reads. Prints one JSON line: bills read, error codes, a hash of
// the access token it ended with.
import { createHash } from 'node:crypto'
import pg from 'pg'
import { greenButtonConsumer } from '../../../dist/green-button/index.js'
import { postgresGrantStore } from '../../../dist/postgres/index.js'

const env = process.env
const pool = new pg.Pool({ connectionString: env.STORE_URL, max: 4 })
pool.on('error', () => {})
const store = postgresGrantStore({ pool })
const gb = greenButtonConsumer({
  ...JSON.parse(env.ENDPOINTS),
  clientId: 'acme-solar',
  clientAuth: { method: 'client_secret_basic', secret: env.SECRET },
  allowInsecureRequests: true,
})
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
await new Promise((resolve) => process.stdin.once('data', resolve)) // start together
const errors = []
let bills = 0
let session
try {
  session = await gb.openSession(env.KEY, { store })
  const reads = Array.from({ length: Number(env.CALLS) }, async () => {
    let n = 0
    for await (const _ of session.bills()) n++
    return n
  })
  for (const r of await Promise.allSettled(reads)) {
    if (r.status === 'fulfilled') bills += r.value
    else errors.push(r.reason?.code ?? String(r.reason))
  }
} catch (error) {
  errors.push(error?.code ?? String(error))
}
const token = session ? createHash('sha256').update(session.grant.accessToken).digest('hex') : undefined
process.stdout.write(`${JSON.stringify({ bills, errors, token })}\n`)
await pool.end()
process.exit(0)
