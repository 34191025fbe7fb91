// The built `ecis` binary as a real process: --version, "did you mean", the CLI's own words
// for usage mistakes and http providers, expiry in `ecis accounts`, validation failures listed
// once with a --lenient hint, --debug without secrets, and the progress bar under TERM=dumb.
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeGrant } from '../../src/cli/grant-store.js'
import { ecis, ensureBuiltPackage, keyDir, providerWithStoredGrant, ROOT } from './support.js'

const execFileP = promisify(execFile)
const CLI = join(ROOT, 'dist/cli/index.js')

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
beforeAll(() => ensureBuiltPackage(), 180_000)

async function world(options: Parameters<typeof providerWithStoredGrant>[0] = {}) {
  const w = await providerWithStoredGrant(options)
  cleanups.push(w.cleanup)
  return { ...w, env: { ECIS_GRANT_FILE: w.grantFile }, account: w.grant.accounts[0] as string }
}

function secretsOf(w: Awaited<ReturnType<typeof world>>): string[] {
  const d = (w.keys.privateJwk as { d?: string }).d as string
  return [w.grant.accessToken, w.grant.refreshToken as string, d]
}

describe('ecis --version and mistakes', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = await ecis(['--version'])
    expect(r).toEqual({ code: 0, stdout: `ecis-consumer ${pkg.version}\n`, stderr: '' })
  })

  it('suggests the command meant, and the option meant, in its own words (exit 2)', async () => {
    const command = await ecis(['invoces', '0018-102'])
    expect(command.code).toBe(2)
    expect(command.stderr).toMatch(/^ecis: unknown command "invoces" \(did you mean "invoices"\?\)\n\nUsage: ecis/)

    const option = await ecis(['accounts', '--gran-file', 'g.json'])
    expect(option.code).toBe(2)
    expect(option.stderr).toMatch(
      /^ecis: unknown option --gran-file \(did you mean --grant-file\?\)\n\nUsage: ecis accounts/,
    )
    expect(option.stderr).not.toMatch(/positional argument|ERR_PARSE_ARGS/)

    const value = await ecis(['mock', '--port'])
    expect(value.code).toBe(2)
    expect(value.stderr).toMatch(/^ecis: --port needs a value\n/)
    const flag = await ecis(['accounts', '--json=yes'])
    expect(flag.stderr).toMatch(/^ecis: --json takes no value\n/)
    const choice = await ecis(['mock', '--consent', 'atuo'])
    expect(choice.stderr).toMatch(/^ecis: --consent must be one of interactive, auto, deny \(did you mean "auto"\?\)\n/)
  })

  it('says --allow-insecure (not the SDK option name) for an http issuer', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const r = await ecis(['consent', '--issuer', 'http://127.0.0.1:9/', '--client-id', 'c', '--key', keys.keyPath])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'ecis: EciConfigError [ERR_ECI_INVALID_OPTION]: --issuer http://127.0.0.1:9/ uses http://; pass --allow-insecure for a local test provider such as "ecis mock"\n',
    )
    const check = await ecis(['check', '--issuer', 'http://127.0.0.1:9'], { HOME: keys.dir, ECIS_GRANT_FILE: '' })
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(
      /^FAIL +issuer is https +http:\/\/127\.0\.0\.1:9 is not https \(pass --allow-insecure/m,
    )
  })
})

describe('ecis accounts on an expired grant', () => {
  it('says EXPIRED and what to do when there is no refresh token; a refreshable one is refreshed', async () => {
    const w = await world()
    const past = Math.floor(Date.now() / 1000) - 3600
    await writeGrant(w.grantFile, { ...w.grant, expiresAt: past, refreshToken: undefined })
    const r = await ecis(['accounts'], w.env)
    expect(r.code).toBe(0)
    const when = new Date(past * 1000).toISOString()
    expect(r.stdout).toContain(`  token      EXPIRED ${when}, no refresh token: run "ecis consent" again\n`)
    const json = JSON.parse((await ecis(['accounts', '--json'], w.env)).stdout)
    expect(json).toMatchObject({ expiresAt: past, expired: true, refreshable: false })

    await writeGrant(w.grantFile, { ...w.grant, expiresAt: past })
    expect((await ecis(['accounts'], w.env)).stdout).toContain(`expired ${when}; the next request refreshes it`)
  })
})

describe('validation failures', () => {
  it('list each issue once, suggest --lenient, and --lenient then succeeds', async () => {
    const w = await world({ dialect: 'deviant' })
    const r = await ecis(['basic', w.account], w.env)
    expect(r.code).toBe(1)
    const [first, ...rest] = r.stderr.trimEnd().split('\n')
    expect(first).toMatch(/^ecis: EciValidationError \[ERR_ECI_VALIDATION\]: Invalid [^:]+ \(\d+ issues?\)$/)
    const issues = rest.filter((l) => l.startsWith('  '))
    expect(issues.length).toBeGreaterThan(0)
    for (const issue of issues) {
      const path = issue.trim().split(':')[0] as string
      expect(r.stderr.split(`${path}:`).length - 1, `${path} printed once`).toBe(1)
    }
    expect(rest.at(-1)).toMatch(/^Hint: .*--lenient accepts them/)
    const lenient = await ecis(['basic', w.account, '--lenient'], w.env)
    expect(lenient.code).toBe(0)
    expect(lenient.stderr).toMatch(/^ecis: deviation /)
  })
})

describe('--debug', () => {
  it('prints the cause chain and the stack, and never a token or key', async () => {
    const w = await world()
    const plain = await ecis(['basic', '0000-000'], w.env)
    expect(plain.code).toBe(1)
    expect(plain.stderr).toMatch(/^ecis: EciHttpError \[ERR_ECI_HTTP\]: [^\n]+\n$/)

    const r = await ecis(['basic', '0000-000', '--debug'], w.env)
    expect(r.code).toBe(1)
    const lines = r.stderr.split('\n')
    const withoutId = (l: string | undefined) => l?.replace(/\[request id [^\]]+\]/, '[request id …]')
    expect(withoutId(lines[0])).toBe(withoutId(plain.stderr.trimEnd()))
    expect(lines[1]).toMatch(/^debug: error EciHttpError \[ERR_ECI_HTTP\]: .*\(status=404, error="not_found"/)
    expect(r.stderr).toMatch(/^debug: stack of the (root cause|error):$/m)
    expect(r.stderr).toMatch(/^ {4}at /m)
    for (const secret of secretsOf(w)) expect(r.stderr).not.toContain(secret)
    expect(r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\./)
  })

  it('works before the command too, and for a usage mistake changes nothing', async () => {
    const w = await world()
    const r = await ecis(['--debug', 'invoice', w.account, 'nope'], w.env)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^debug: caused by |^debug: error /m)
    for (const secret of secretsOf(w)) expect(r.stderr).not.toContain(secret)
    expect((await ecis(['--debug', 'acounts'])).code).toBe(2)
  })
})

describe('the progress bar', () => {
  /** Runs `ecis` under `script`, which gives it a pseudo-terminal for stdout and stderr. */
  async function onTerminal(args: string[], env: Record<string, string>) {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
    const { stdout } = await execFileP('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    })
    return stdout
  }

  it('redraws in place on a terminal, and prints one plain line under TERM=dumb', async () => {
    const w = await world()
    const args = ['invoices', w.account, '--concurrency', '8']
    const fancy = await onTerminal(args, { ...w.env, TERM: 'xterm-256color' })
    expect(fancy).toMatch(/\r\[[█░]+\] \d+\/\d+ invoices of /)
    const dumb = await onTerminal(args, { ...w.env, TERM: 'dumb' })
    expect(dumb).not.toMatch(/[█░]/)
    expect(dumb).toMatch(/^\d+\/\d+ invoices of \S+ fetched\r?$/m)
  }, 60_000)
})

describe('a key file written by hand', () => {
  it('is refused with a clear message when it holds a public key', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const path = join(keys.dir, 'public.pem')
    const { createPublicKey } = await import('node:crypto')
    await writeFile(
      path,
      createPublicKey({ key: keys.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
    )
    const r = await ecis(['consent', '--issuer', 'https://auth.utility.example', '--client-id', 'c', '--key', path])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      `ecis: EciConfigError [ERR_ECI_INVALID_KEY]: The key file ${path} holds a public key or certificate; a private key is needed\n`,
    )
  })
})
