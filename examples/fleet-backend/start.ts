/**
 * A fleet of two: `server.ts` started twice, as two separate Node processes on two ports, with
 * their grants shared through PostgreSQL. Consent on one instance, read data on the other; when
 * the grant expires and both need it at once, the provider sees one refresh.
 *
 *   npm run build
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx node examples/fleet-backend/start.ts
 *   open http://127.0.0.1:3001/connect     # consent on instance A (the mock's consent page)
 *   open http://127.0.0.1:3002/accounts    # the same customer's data from instance B
 *
 * Steps: the provider (the embedded mock with a fresh ES256 key, or yours with ECIS_ISSUER,
 * ECIS_CLIENT_ID and ECIS_PRIVATE_JWK), then `migrate()` once, then the instances on PORTS
 * (default 3001,3002), each with PORT, DATABASE_URL and the provider settings. Ctrl-C stops all.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type MockProviderServer, startMockProviderServer } from 'ecis-consumer/mock/node'
import { createPool, migrate } from './server.ts'

const env = process.env
const ports = (env.PORTS ?? '3001,3002').split(',').map(Number)
const names = ports.map((_, i) => String.fromCharCode(65 + i)) // A, B, …
const clientId = env.ECIS_CLIENT_ID ?? 'acme-solar'

/** The embedded mock provider, with every instance's redirect URI and a fresh key written to a private file. */
async function startMock(dir: string): Promise<{ mock: MockProviderServer; keyFile: string }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const kid = 'acme-solar-1'
  const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid, alg: 'ES256' }
  const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: 'ES256', use: 'sig' }
  const keyFile = join(dir, 'private.jwk.json')
  await writeFile(keyFile, JSON.stringify(privateJwk), { mode: 0o600 })
  const mock = await startMockProviderServer({
    consent: 'interactive',
    clients: [
      { clientId, redirectUris: ports.map((p) => `http://127.0.0.1:${p}/eci/callback`), jwks: { keys: [publicJwk] } },
    ],
  })
  return { mock, keyFile }
}

/** Spawns one instance; resolves with its URL once it listens. Its output is prefixed with its name. */
function spawnInstance(name: string, port: number, extra: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [new URL('server.ts', import.meta.url).pathname], {
    env: { ...env, ...extra, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[${name}] ${line}`))
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      console.log(`[${name}] ${line}`)
      const listening = /listening: (\S+)/.exec(line)
      if (listening?.[1]) resolve(listening[1])
    })
    // Before it is ready: the launch fails. After: one instance dying takes the fleet down.
    child.once('exit', (code) => {
      reject(new Error(`instance ${name} exited with code ${code}`))
      void stop(1)
    })
  })
}

const dir = await mkdtemp(join(tmpdir(), 'ecis-fleet-'))
const children: ChildProcess[] = []
let mock: MockProviderServer | undefined
let stopping = false

async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null)
  for (const child of running) child.kill('SIGTERM')
  await Promise.all(running.map((c) => new Promise((resolve) => c.once('exit', resolve))))
  await mock?.close()
  await rm(dir, { recursive: true, force: true })
  process.exit(code)
}
process.once('SIGINT', () => stop(0))
process.once('SIGTERM', () => stop(0))

try {
  let provider = { ECIS_ISSUER: env.ECIS_ISSUER ?? '', ECIS_PRIVATE_JWK: env.ECIS_PRIVATE_JWK ?? '' }
  if (!env.ECIS_ISSUER) {
    const started = await startMock(dir)
    mock = started.mock
    provider = { ECIS_ISSUER: mock.issuer, ECIS_PRIVATE_JWK: started.keyFile }
  }
  console.log(`Provider: ${provider.ECIS_ISSUER}${mock ? ' (embedded mock)' : ''}`)

  const pool = createPool(env.DATABASE_URL)
  await migrate(pool) // once, before any instance serves
  await pool.end()

  const urls = await Promise.all(
    ports.map((port, i) => spawnInstance(names[i]!, port, { ...provider, ECIS_CLIENT_ID: clientId })),
  )
  for (const [i, url] of urls.entries()) console.log(`Instance ${names[i]}: ${url}`)
  console.log(`Ready: consent at ${urls[0]}/connect, then read ${urls.at(-1)}/accounts`)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  await stop(1)
}
