// One instance of a producer's fleet, as its own Node process: its own EciConsumer on the shared
// store (PostgreSQL or Redis), M concurrent calls on the grant stored under KEY. Prints one JSON
// line: what succeeded, the error codes seen, and a hash of the access token it ended with.
import { createHash } from 'node:crypto'
import { EciConsumer } from '../../dist/index.js'

const env = process.env
const store = await openStore()
// With SIGNER_URL the private key lives in a signing service in another process (a KMS's
// stand-in): this process holds only the public key, and signs over HTTP.
const key = env.SIGNER_URL ? await remoteSigner(env.SIGNER_URL) : JSON.parse(env.KEY_JWK)
const consumer = await EciConsumer.discover({
  issuer: env.ISSUER,
  clientId: 'acme-solar',
  clientAuth: { method: 'private_key_jwt', key },
  ...(env.DPOP_SIGNER_URL ? { dpop: { key: await remoteSigner(env.DPOP_SIGNER_URL) } } : {}),
  redirectUri: 'http://127.0.0.1/callback',
  allowInsecureRequests: true,
  refreshReuseWindow: Number(env.REUSE_WINDOW ?? 0),
  timeout: Number(env.TIMEOUT ?? 30_000),
})
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
await new Promise((resolve) => process.stdin.once('data', resolve)) // start together
const started = performance.now()
let session
const errors = []
let ok = 0
try {
  session = await consumer.openSession(env.KEY, {
    store: store.store,
    lockTtlMs: Number(env.LOCK_TTL_MS ?? 30_000),
    lockWaitMs: Number(env.LOCK_WAIT_MS ?? 10_000),
  })
  const account = session.accounts[0]
  const results = await Promise.allSettled(Array.from({ length: Number(env.CALLS) }, () => session.basic(account)))
  for (const r of results) {
    if (r.status === 'fulfilled') ok++
    else errors.push(r.reason?.code ?? String(r.reason))
  }
} catch (error) {
  errors.push(error?.code ?? String(error))
}
const token = session ? createHash('sha256').update(session.grant.accessToken).digest('hex') : undefined
process.stdout.write(`${JSON.stringify({ ok, errors, token, ms: Math.round(performance.now() - started) })}\n`)
await store.close()
process.exit(0)

async function openStore() {
  if (env.STORE === 'postgres') {
    const { default: pg } = await import('pg')
    const { postgresGrantStore } = await import('../../dist/postgres/index.js')
    const pool = new pg.Pool({ connectionString: env.STORE_URL, max: 4 })
    pool.on('error', () => {})
    return { store: postgresGrantStore({ pool }), close: () => pool.end() }
  }
  const { Redis } = await import('ioredis')
  const { redisGrantStore } = await import('../../dist/redis/index.js')
  const redis = new Redis(env.STORE_URL, { maxRetriesPerRequest: 1 })
  return { store: redisGrantStore({ redis }), close: () => redis.quit() }
}

/** A RemoteSigner over the test's signing service (test/support/signing-service.mjs). */
async function remoteSigner(base) {
  const { alg, kid, publicJwk } = await (await fetch(`${base}/key`)).json()
  return {
    alg,
    kid,
    publicJwk,
    async sign(data) {
      const response = await fetch(`${base}/sign`, { method: 'POST', body: data })
      if (!response.ok) throw new Error(`signing service: HTTP ${response.status}`)
      return new Uint8Array(await response.arrayBuffer())
    },
  }
}
