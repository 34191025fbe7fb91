// What a store adds to a refresh: one session call on an expired grant through
// `openSession(key, { store })` (lock → re-read → in-flight mark → refresh → CAS save → release)
// against the same call through `session(grant)` (in-process refresh only), alternated call by
// call against one loopback mock provider server; medians. Prints a table:
//
//   npm run build && npx vitest bench --run --project 'node (bench)' test/fleet
import { afterAll, test } from 'vitest'
import { EciConsumer, type Grant, type GrantStore, memoryGrantStore } from '../../src/index.js'
import { startMockProviderServer } from '../../src/mock/node/index.js'
import { withDurableStore } from '../support/durable-store.js'
import { makeKeys } from '../support/eci-endpoint.js'

const ROUNDS = 60
const rows: string[] = []
afterAll(() => console.log(`\nRefresh + one call, median of ${ROUNDS} alternated rounds (ms)\n${rows.join('\n')}\n`))

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function measure(name: string, store: GrantStore) {
  const keys = await makeKeys('ES256')
  const server = await startMockProviderServer({
    clients: [{ clientId: 'acme-solar', redirectUris: ['http://127.0.0.1/cb'], jwks: { keys: [keys.publicJwk] } }],
    consent: 'auto',
  })
  try {
    const consumer = await EciConsumer.discover({
      issuer: server.issuer,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
      redirectUri: 'http://127.0.0.1/cb',
      allowInsecureRequests: true,
    })
    const consent = async () => {
      const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
      const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
      return consumer.completeConsent(location, transaction)
    }
    const expired = (g: Grant): Grant => ({ ...g, expiresAt: Math.floor(Date.now() / 1000) - 5 })
    let plain = await consent()
    let shared = await consent()
    await store.put(name, expired(shared))
    const withStore: number[] = []
    const without: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const a = performance.now()
      const s1 = consumer.session(expired(plain))
      await s1.basic(plain.accounts[0]!)
      without.push(performance.now() - a)
      plain = s1.grant
      const b = performance.now()
      const s2 = await consumer.openSession(name, { store })
      await s2.basic(shared.accounts[0]!)
      withStore.push(performance.now() - b)
      shared = s2.grant
      const stored = await store.get(name)
      await store.put(name, expired(shared), { ifVersion: stored?.version })
    }
    const m1 = median(without)
    const m2 = median(withStore)
    rows.push(
      `${name.padEnd(10)} session() ${m1.toFixed(2).padStart(6)}   openSession() ${m2.toFixed(2).padStart(6)}   added ${(m2 - m1).toFixed(2).padStart(6)}`,
    )
  } finally {
    await server.close()
  }
}

test('memory', () => measure('memory', memoryGrantStore()), 120_000)

test('postgres', () => withDurableStore('postgres', (store) => measure('postgres', store)), 120_000)

test('redis', () => withDurableStore('redis', (store) => measure('redis', store)), 120_000)
