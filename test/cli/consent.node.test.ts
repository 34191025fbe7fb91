import { readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { canOpenBrowser } from '../../src/cli/browser.js'
import { main } from '../../src/cli/main.js'
import { type MockProviderServerOptions, startMockProviderServer } from '../../src/mock/node/index.js'
import { keyDir, memoryIo } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** A free loopback port: the mock matches redirect URIs exactly, so the test picks the CLI's port. */
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

async function setup(options: Partial<MockProviderServerOptions> = {}) {
  const keys = await keyDir()
  const port = await freePort()
  const redirectUri = `http://127.0.0.1:${port}/callback`
  const server = await startMockProviderServer({
    port: 0,
    consent: 'auto',
    clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: { keys: [keys.publicJwk] } }],
    ...options,
  })
  cleanups.push(async () => {
    await server.close()
    await keys.cleanup()
  })
  const grantFile = join(keys.dir, 'cfg', 'ecis', 'grant.json')
  const args = [
    'consent',
    '--issuer',
    server.issuer,
    '--client-id',
    'acme-solar',
    '--key',
    keys.keyPath,
    '--allow-insecure',
    '--port',
    String(port),
  ]
  return { keys, server, port, redirectUri, grantFile, args }
}

/** What a browser does: open the printed URL, follow the provider's redirect to the CLI. */
async function actAsBrowser(m: ReturnType<typeof memoryIo>) {
  const url = (await m.waitFor(/^ {2}(http\S+)$/m))[1] as string
  const answer = await fetch(url, { redirect: 'manual' })
  expect(answer.status).toBe(302)
  const location = answer.headers.get('location') as string
  const page = await fetch(location)
  return { url, location, status: page.status, html: await page.text() }
}

describe('ecis consent', () => {
  it('runs the loopback redirect end to end, stores the grant 0600, and the data commands use it', async () => {
    const w = await setup()
    const opened: string[] = []
    const m = memoryIo({ ECIS_GRANT_FILE: w.grantFile, DISPLAY: ':0' }, { openBrowser: (u) => void opened.push(u) })
    const done = main([...w.args, '--scopes', 'basic,invoice'], m.io)
    const browser = await actAsBrowser(m)
    expect(browser.location.startsWith(`${w.redirectUri}?`)).toBe(true)
    expect(browser.status).toBe(200)
    expect(browser.html).toContain('Consent received')
    expect(await done).toBe(0)
    expect(opened).toEqual([browser.url])

    const owner = w.server.provider.fixtures.owners[0]
    const accounts = owner?.accounts.map((a) => a.systemAccountId) ?? []
    expect(m.stdout).toContain(`Consent granted by ${w.server.issuer} to acme-solar`)
    expect(m.stdout).toContain(`  accounts   ${accounts.join(', ')}`)
    expect(m.stdout).toContain('  scopes     eci:basic eci:invoice\n')
    expect(m.stdout).toContain(`  stored in  ${w.grantFile} (mode 0600`)

    const grant = JSON.parse(await readFile(w.grantFile, 'utf8'))
    expect(grant).toMatchObject({ issuer: w.server.issuer, clientId: 'acme-solar', accounts })
    expect((await stat(w.grantFile)).mode & 0o777).toBe(0o600)
    expect((await stat(join(w.keys.dir, 'cfg', 'ecis'))).mode & 0o777).toBe(0o700)
    const config = join(w.keys.dir, 'cfg', 'ecis', 'grant.config.json')
    expect(JSON.parse(await readFile(config, 'utf8'))).toEqual({ keyPath: w.keys.keyPath, allowInsecureRequests: true })
    expect((await stat(config)).mode & 0o777).toBe(0o600)
    expect(m.stdout + m.stderr).not.toContain(grant.accessToken)
    expect(m.stdout + m.stderr).not.toContain(grant.refreshToken)

    // The stored grant and key path are all the data commands need.
    const basic = memoryIo({ ECIS_GRANT_FILE: w.grantFile })
    expect(await main(['basic', accounts[0] as string, '--json'], basic.io)).toBe(0)
    expect(JSON.parse(basic.stdout).system_account_id).toBe(accounts[0])
  })

  it('asks for the chosen accounts (RFC 9396) and never opens a browser with --no-open or without a display', async () => {
    const w = await setup()
    const account = w.server.provider.fixtures.owners[0]?.accounts[1]?.systemAccountId as string
    const cases: [string[], Record<string, string>][] = [[['--no-open'], { DISPLAY: ':0' }]]
    // Without io.openBrowser the platform's opener would run; off macOS/Windows only with a display.
    if (process.platform !== 'darwin' && process.platform !== 'win32') cases.push([[], {}])
    expect(canOpenBrowser({}, 'linux')).toBe(false)
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true)
    expect(canOpenBrowser({}, 'darwin')).toBe(true)
    for (const [extra, env] of cases) {
      const opened: string[] = []
      const m = memoryIo(
        { ECIS_GRANT_FILE: w.grantFile, ...env },
        { openBrowser: extra.length ? (u) => void opened.push(u) : undefined },
      )
      const done = main([...w.args, '--accounts', account, ...extra], m.io)
      await actAsBrowser(m)
      expect(await done).toBe(0)
      expect(opened).toEqual([])
      expect(m.stdout).toContain(`  accounts   ${account}\n`)
    }
  })

  it('reports a declined consent as EciConsentError ACCESS_DENIED and tells the browser', async () => {
    const w = await setup({ consent: 'deny' })
    const m = memoryIo({ ECIS_GRANT_FILE: w.grantFile })
    const done = main(w.args, m.io)
    const browser = await actAsBrowser(m)
    expect(browser.status).toBe(400)
    expect(browser.html).toContain('Consent was declined')
    expect(await done).toBe(1)
    expect(m.stderr).toMatch(/\necis: EciConsentError \[ERR_ECI_ACCESS_DENIED\]: .+\n$/)
    await expect(stat(w.grantFile)).rejects.toThrow()
  })

  it('gives up after --timeout, and stops with exit 130 when interrupted', async () => {
    const w = await setup()
    const m = memoryIo({ ECIS_GRANT_FILE: w.grantFile })
    expect(await main([...w.args, '--timeout', '1'], m.io)).toBe(1)
    expect(m.stderr).toMatch(/\necis: EciNetworkError \[ERR_ECI_TIMEOUT\]: No consent redirect arrived within 1 s/)

    const i = memoryIo({ ECIS_GRANT_FILE: w.grantFile })
    const done = main(w.args, i.io)
    await i.waitFor(/Waiting up to 300 s/)
    i.stop()
    expect(await done).toBe(130)
    expect(i.stderr).toMatch(/ecis: interrupted\n$/)
    // The loopback listener is gone.
    await expect(fetch(`http://127.0.0.1:${w.port}/callback`)).rejects.toThrow()
  })

  it('refuses missing or wrong options with exit code 2 and the usage', async () => {
    for (const args of [
      ['consent', '--client-id', 'c', '--key', 'k'],
      ['consent', '--issuer', 'https://x.example', '--key', 'k'],
      ['consent', '--issuer', 'https://x.example', '--client-id', 'c'],
      ['consent', '--issuer', 'https://x.example', '--client-id', 'c', '--key', 'k', '--scopes', 'basic,bills'],
      ['consent', '--issuer', 'https://x.example', '--client-id', 'c', '--key', 'k', '--timeout', '0'],
    ]) {
      const m = memoryIo()
      expect(await main(args, m.io), args.join(' ')).toBe(2)
      expect(m.stderr).toContain('\n\nUsage: ecis consent --issuer URL --client-id ID --key FILE')
    }
  })
})
