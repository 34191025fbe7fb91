// An app that did not install an optional peer: the entry that needs it says which package to
// install (not a bare module-not-found), and the entries that only take the app's own client
// (/postgres, /redis) load without theirs.
import { afterAll, describe, expect, it } from 'vitest'
import { type ConsumerProject, consumerProject, runNode } from './consumer-project.js'

const projects: ConsumerProject[] = []
afterAll(async () => {
  for (const p of projects) await p.cleanup()
})

async function project(files: Record<string, string>, without: string[]): Promise<ConsumerProject> {
  const p = await consumerProject(files, [], without)
  projects.push(p)
  return p
}

const MOCK_NODE_ESM = `
import { EciError } from 'ecis-consumer'
import { startMockProviderServer } from 'ecis-consumer/mock/node'
const error = await startMockProviderServer().then(() => undefined, (e) => e)
console.log(JSON.stringify({ name: error?.name, code: error?.code, message: error?.message, eci: error instanceof EciError }))
`
const MOCK_NODE_CJS = `
const { EciError } = require('ecis-consumer')
const { startMockProviderServer } = require('ecis-consumer/mock/node')
startMockProviderServer().then(() => undefined, (e) => e).then((error) => {
  console.log(JSON.stringify({ name: error?.name, code: error?.code, message: error?.message, eci: error instanceof EciError }))
})
`

describe('optional peers that are not installed', () => {
  it('ecis-consumer/mock/node without msw: startMockProviderServer rejects with an EciConfigError naming msw (ESM and CJS)', async () => {
    const p = await project({ 'esm.mjs': MOCK_NODE_ESM, 'cjs.cjs': MOCK_NODE_CJS }, ['msw'])
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const r = await runNode(p, [file])
      expect(r.stderr).toBe('')
      expect(JSON.parse(r.stdout)).toEqual({
        name: 'EciConfigError',
        code: 'ERR_ECI_INVALID_OPTION',
        message: expect.stringContaining(
          'ecis-consumer/mock/node needs the optional peer dependency msw, which is not installed: npm install msw',
        ),
        eci: true,
      })
    }
  }, 180_000)

  it('ecis-consumer/sync without bullmq: schedule() and work() reject with an EciConfigError naming bullmq (ESM and CJS)', async () => {
    const body = (load: string) => `${load}
const redis = { evalsha() {}, options: { maxRetriesPerRequest: null } }
const sync = createEciSync({
  redis,
  store: memoryGrantStore(),
  sink: { async lastInvoice() {}, async upsertInvoice() {} },
  providers: { utility: { consumer: { issuer: 'https://auth.utility.example' }, rateLimit: { max: 10, duration: 1000 } } },
})
const outcomes = []
for (const call of [() => sync.schedule([]), () => sync.work()]) {
  const error = await call().then(() => undefined, (e) => e)
  outcomes.push({ name: error?.name, code: error?.code, message: error?.message, eci: error instanceof EciError })
}
console.log(JSON.stringify(outcomes))`
    const p = await project(
      {
        'esm.mjs': body(
          "import { EciError, memoryGrantStore } from 'ecis-consumer'\nimport { createEciSync } from 'ecis-consumer/sync'",
        ),
        'cjs.cjs': `(async () => {${body(
          "const { EciError, memoryGrantStore } = require('ecis-consumer')\nconst { createEciSync } = require('ecis-consumer/sync')",
        )}})()`,
      },
      ['bullmq'],
    )
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const r = await runNode(p, [file])
      expect(r.stderr).toBe('')
      const expected = {
        name: 'EciConfigError',
        code: 'ERR_ECI_INVALID_OPTION',
        message: expect.stringContaining(
          'ecis-consumer/sync needs the optional peer dependency bullmq, which is not installed: npm install bullmq',
        ),
        eci: true,
      }
      expect(JSON.parse(r.stdout)).toEqual([expected, expected])
    }
  }, 180_000)

  it('ecis-consumer/postgres and /redis load without pg and ioredis, since they take the app client', async () => {
    const p = await project(
      {
        'esm.mjs': `import { postgresGrantStore } from 'ecis-consumer/postgres'
import { redisGrantStore } from 'ecis-consumer/redis'
console.log(typeof postgresGrantStore, typeof redisGrantStore)`,
        'cjs.cjs': `const { postgresGrantStore } = require('ecis-consumer/postgres')
const { redisGrantStore } = require('ecis-consumer/redis')
console.log(typeof postgresGrantStore, typeof redisGrantStore)`,
      },
      ['pg', 'ioredis', 'bullmq'],
    )
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const r = await runNode(p, [file])
      expect(r.stderr).toBe('')
      expect(r.stdout.trim()).toBe('function function')
    }
  }, 180_000)
})
