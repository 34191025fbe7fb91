// The built `ecis` binary end to end, every process real: `ecis mock` (auto consent), then
// `ecis consent` through the loopback redirect, the data commands and `ecis check`.
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, keyDir, ROOT, spawnCli } from './support.js'

const run = promisify(execFile)
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe('the ecis binary', () => {
  beforeAll(() => ensureBuiltPackage(), 120_000)

  it('mock → consent → accounts/invoices → check, each a real process', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const port = await freePort()
    const env = { ECIS_GRANT_FILE: join(keys.dir, 'grant.json'), DISPLAY: '', WAYLAND_DISPLAY: '' }
    const mock = spawnCli([
      'mock',
      '--port',
      '0',
      '--consent',
      'auto',
      '--client-id',
      'acme-solar',
      '--jwks',
      keys.keyPath,
      '--redirect-uri',
      `http://127.0.0.1:${port}/callback`,
    ])
    cleanups.push(() => {
      if (mock.child.exitCode === null) mock.child.kill('SIGKILL')
    })
    const issuer = (await mock.waitFor(/issuer {5}(\S+)/))[1] as string

    const consent = spawnCli(
      [
        'consent',
        '--issuer',
        issuer,
        '--client-id',
        'acme-solar',
        '--key',
        keys.keyPath,
        '--allow-insecure',
        '--port',
        String(port),
      ],
      env,
    )
    cleanups.push(() => {
      if (consent.child.exitCode === null) consent.child.kill('SIGKILL')
    })
    // The URL is on stderr; act as the browser.
    let url: string | undefined
    for (let i = 0; i < 200 && !url; i++) {
      url = /^ {2}(http\S+)$/m.exec(consent.stderr)?.[1]
      if (!url) await new Promise((r) => setTimeout(r, 50))
    }
    expect(url).toBeDefined()
    const answer = await fetch(url as string, { redirect: 'manual' })
    expect((await fetch(answer.headers.get('location') as string)).status).toBe(200)
    expect(await consent.exit).toBe(0)
    expect(consent.stdout).toContain(`Consent granted by ${issuer} to acme-solar`)

    const cli = join(ROOT, 'dist/cli/index.js')
    const opts = { env: { ...process.env, ...env } }
    const accounts = JSON.parse((await run(process.execPath, [cli, 'accounts', '--json'], opts)).stdout)
    const account = accounts.accounts[0] as string
    const invoices = await run(process.execPath, [cli, 'invoices', account, '--json', '--concurrency', '8'], opts)
    expect((JSON.parse(invoices.stdout) as unknown[]).length).toBeGreaterThanOrEqual(24)
    expect(invoices.stderr).toMatch(/^\d+\/\d+ invoices of \S+ fetched\n$/)
    const check = await run(process.execPath, [cli, 'check', '--issuer', issuer], opts)
    expect(check.stdout).toMatch(/Summary: 19 pass, 1 warn, 0 fail, 0 skipped — conformant\n$/)

    // Errors: one line, exit 1; usage mistakes: exit 2.
    const failed = await run(process.execPath, [cli, 'basic', '0000-000'], opts).catch((e) => e)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^ecis: EciHttpError \[ERR_ECI_HTTP\]: [^\n]+\n$/)
    const usage = await run(process.execPath, [cli, 'invoices'], opts).catch((e) => e)
    expect(usage.code).toBe(2)

    mock.child.kill('SIGTERM')
    expect(await mock.exit).toBe(0)
  }, 60_000)
})
