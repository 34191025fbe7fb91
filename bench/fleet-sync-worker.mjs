// The worker process of bench/fleet-sync.mjs: one ecis-consumer/sync worker (built package) for
// one utility, grants in Redis, an in-memory sink, the utility's rate limit when RATE_MAX is set.
// On SIGTERM it prints its CPU time (and with SEND_TIMES=1 when it sent each ECI request, by the
// request JWT's jti, for the bench to compare with the mock's arrival times) and exits.
import { Redis } from 'ioredis'
import { redisGrantStore } from '../dist/redis/index.js'
import { createEciSync } from '../dist/sync/index.js'

const env = process.env
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null })
const storeRedis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 })
const stored = new Map()
/** [jti, Date.now()] of each request JWT this worker sent, when SEND_TIMES is set. */
const sends = []
/** The app's fetch, recording when each request JWT leaves (after the limiter's permit). */
const recording = async (input, init) => {
  const body = init?.body
  if (typeof body === 'string' && /^[\w-]+\.[\w-]+\.[\w-]*$/.test(body)) {
    const { jti } = JSON.parse(Buffer.from(body.split('.')[1], 'base64url').toString())
    sends.push([jti, Date.now()])
  }
  return fetch(input, init)
}
const sink = {
  lastInvoice: async ({ systemAccountId }) => stored.get(systemAccountId)?.at(-1),
  upsertInvoice: async ({ systemAccountId, systemInvoiceId }) => {
    const list = stored.get(systemAccountId) ?? []
    if (!list.includes(systemInvoiceId)) list.push(systemInvoiceId)
    stored.set(systemAccountId, list)
  },
}
const sync = createEciSync({
  redis,
  store: redisGrantStore({ redis: storeRedis }),
  sink,
  prefix: env.PREFIX,
  providers: {
    utility: {
      consumer: {
        issuer: env.ISSUER,
        clientId: 'acme-solar',
        clientAuth: { method: 'private_key_jwt', key: JSON.parse(env.KEY_JWK) },
        redirectUri: 'http://127.0.0.1/eci/callback',
        allowInsecureRequests: true,
        ...(env.SEND_TIMES ? { fetch: recording } : {}),
      },
      // No limit by default (what one worker can do); the rate-limited scenarios set the utility's.
      rateLimit: env.RATE_MAX
        ? {
            max: Number(env.RATE_MAX),
            duration: Number(env.RATE_DURATION),
            ...(env.MARGIN_MS ? { marginMs: Number(env.MARGIN_MS) } : {}),
          }
        : { max: 100_000, duration: 1000 },
      concurrency: Number(env.CONCURRENCY),
      invoiceConcurrency: Number(env.INVOICE_CONCURRENCY),
    },
  },
})
const worker = await sync.work()
const started = process.cpuUsage()
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
process.once('SIGTERM', async () => {
  const cpu = process.cpuUsage(started)
  await worker.close()
  await sync.close()
  process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, sends })}\n`)
  redis.disconnect()
  storeRedis.disconnect()
  process.exit(0)
})
