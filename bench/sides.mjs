// What every bench script sets up: the provider in its own process (bench/provider.mjs) and, per
// provider listener, the two sides — an SDK session on a discovered consumer and the hand-written
// floor (bench/floor.mjs) — with the same ES256 key, access token and account.
import { fork } from 'node:child_process'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConsumer } from '../dist/index.js'
import { createFloor } from './floor.mjs'

export const ACCOUNT = '0018-102'
const TOKEN = 'bench-access-token-0123456789abcdef'

/** Forks the provider with `env`; resolves `{ provider, bases: { fast, slow } }`. */
export async function startProvider(env = {}) {
  const provider = fork(new URL('./provider.mjs', import.meta.url), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const bases = await new Promise((resolve, reject) => {
    provider.once('message', resolve)
    provider.once('exit', (code) => reject(new Error(`the bench provider exited (${code})`)))
  })
  return { provider, bases }
}

const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const privateJwk = { ...(await exportJWK(privateKey)), kid: 'bench' }
const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(TOKEN))).toString('base64url')

/** The SDK session and the floor for the provider at `issuer`. */
export async function sides(issuer) {
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
    scopes: ['eci:basic', 'eci:invoice', 'eci:invoice_detail'],
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
  return { session, floor }
}
