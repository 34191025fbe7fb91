// The built package runs the whole journey on Node, Bun and Deno (scripts/runtime-smoke.mjs),
// against the mock provider on loopback HTTP; the results must equal the provider's data.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MockProviderServer, startMockProviderServer } from '../../src/mock/node/index.js'
import { ensureBuiltPackage, ROOT } from '../examples/package-build.js'

const run = promisify(execFile)
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name)
const script = join(ROOT, 'scripts', 'runtime-smoke.mjs')
let server: MockProviderServer
let key = ''

beforeAll(async () => {
  await ensureBuiltPackage()
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  key = JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'smoke' })
  server = await startMockProviderServer({
    port: 0,
    clients: [
      {
        clientId: 'acme-solar',
        redirectUris: ['http://127.0.0.1/eci/callback'],
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'smoke' }] },
      },
    ],
  })
}, 120_000)
afterAll(() => server?.close())

describe.each([
  ['node', () => [process.execPath, [script]] as const],
  ['bun', () => [bin('bun'), [script]] as const],
  ['deno', () => [bin('deno'), ['run', '--allow-env', '--allow-net=127.0.0.1', '--allow-read', script]] as const],
])('on %s', (name, command) => {
  it('discovers, consents, reads every invoice with details, refreshes and revokes', async () => {
    const [file, args] = command()
    const { stdout } = await run(file, [...args], {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', ECIS_SMOKE_ISSUER: server.issuer, ECIS_SMOKE_KEY: key },
    })
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string)
    expect(result.runtime.startsWith(name)).toBe(true)
    const fixtures = server.provider.fixtures
    const account = result.accounts[0]
    expect(result.basic).toEqual(fixtures.basic(account))
    expect(result.invoices.length).toBeGreaterThanOrEqual(24)
    for (const invoice of result.invoices) {
      expect(invoice).toEqual(fixtures.invoiceDetail(account, invoice.system_invoice_id))
    }
    expect(result.rotations).toBe(1)
    expect(server.provider.grants().every((g) => g.revoked)).toBe(true)
  }, 60_000)
})
