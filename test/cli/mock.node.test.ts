import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { EciConsumer } from '../../src/index.js'
import { ensureBuiltPackage, keyDir, memoryIo, spawnCli } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

describe('ecis mock', () => {
  beforeAll(() => ensureBuiltPackage(), 120_000)

  it('the built binary serves the provider with a registered client until SIGTERM', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const redirectUri = 'http://127.0.0.1:8976/callback'
    const run = spawnCli([
      'mock',
      '--port',
      '0',
      '--seed',
      '3',
      '--client-id',
      'acme-solar',
      '--jwks',
      keys.jwksPath,
      '--redirect-uri',
      redirectUri,
      '--redirect-uri',
      'http://127.0.0.1:8977/callback',
    ])
    cleanups.push(async () => {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    })
    const issuer = (await run.waitFor(/issuer {5}(\S+)/))[1] as string
    await run.waitFor(/Stop with Ctrl-C/)
    expect(run.stdout).toMatch(/resource {3}http:\/\/127\.0\.0\.1:\d+\/eci\/v1/)
    expect(run.stdout).toContain('client     acme-solar (private_key_jwt; key ids cli-test-key)')
    expect(run.stdout).toContain(`redirect URI ${redirectUri}`)
    expect(run.stdout).toContain('redirect URI http://127.0.0.1:8977/callback')

    const consumer = await EciConsumer.discover({
      issuer,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
      redirectUri,
      allowInsecureRequests: true,
    })
    expect(consumer.resource).toBe(`${issuer}/eci/v1`)
    // The client is registered: a pushed authorization request with its key is accepted.
    const { url } = await consumer.beginConsent({ scopes: ['basic'] })
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<form/i) // the interactive consent page

    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
    expect(run.stderr).toContain('ecis mock: stopped')
    await expect(fetch(`${issuer}/.well-known/oauth-authorization-server`)).rejects.toThrow()
  })

  it('runs in-process until the io signal aborts; a private key file registers its public part', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const m = memoryIo()
    const done = main(
      [
        'mock',
        '--port',
        '0',
        '--consent',
        'auto',
        '--client-id',
        'c1',
        '--jwks',
        keys.keyPath,
        '--redirect-uri',
        'http://127.0.0.1:1/cb',
      ],
      m.io,
    )
    const issuer = (await m.waitFor(/issuer {5}(\S+)/))[1] as string
    const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >
    expect(metadata.issuer).toBe(issuer)
    expect(m.stdout).toContain('key ids cli-test-key')
    expect(m.stdout).toMatch(/customer {3}.+: \S+/)
    m.stop()
    expect(await done).toBe(0)
  })

  it('refuses half a client registration and bad options with exit code 2 and the usage', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    for (const args of [
      ['mock', '--client-id', 'c1'],
      ['mock', '--client-id', 'c1', '--jwks', keys.jwksPath],
      ['mock', '--redirect-uri', 'http://127.0.0.1/cb'],
      ['mock', '--port', 'abc'],
      ['mock', '--consent', 'maybe'],
      ['mock', '--nope'],
    ]) {
      const m = memoryIo()
      expect(await main(args, m.io)).toBe(2)
      expect(m.stderr).toMatch(/^ecis: .+\n\nUsage: ecis mock/)
    }
  })

  it('reports an unreadable JWKS file as an EciConfigError', async () => {
    const m = memoryIo()
    const code = await main(
      [
        'mock',
        '--port',
        '0',
        '--client-id',
        'c1',
        '--jwks',
        '/nonexistent/jwks.json',
        '--redirect-uri',
        'http://127.0.0.1/cb',
      ],
      m.io,
    )
    expect(code).toBe(1)
    expect(m.stderr).toBe(
      'ecis: EciConfigError [ERR_ECI_INVALID_KEY]: Cannot read the JWKS file /nonexistent/jwks.json (no such file)\n',
    )
  })
})

describe('ecis help', () => {
  it('lists only the commands that exist', async () => {
    const m = memoryIo()
    expect(await main(['help'], m.io)).toBe(0)
    expect(m.stdout).toMatch(/^Usage: ecis <command>/)
    const listed = [...m.stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((x) => x[1])
    expect(listed).toEqual(expect.arrayContaining(['demo', 'mock', 'help']))
    const unknown = memoryIo()
    expect(await main(['frobnicate'], unknown.io)).toBe(2)
    expect(unknown.stderr).toMatch(/^ecis: unknown command "frobnicate"\n\nUsage: ecis/)
  })

  it('--refresh-reuse-window sets the tolerance for a reused rotated refresh token, and says so', async () => {
    const run = spawnCli(['mock', '--port', '0', '--consent', 'auto', '--refresh-reuse-window', '30'])
    cleanups.push(async () => {
      if (run.child.exitCode === null) run.child.kill('SIGTERM')
      await run.exit
    })
    await run.waitFor(/refresh {4}a rotated refresh token may be reused for 30 s/)
    const refused = spawnCli(['mock', '--refresh-reuse-window', 'soon'])
    expect(await refused.exit).toBe(2)
    expect(refused.stderr).toContain('--refresh-reuse-window must be a whole number from 0 to 86400')
  })
})
