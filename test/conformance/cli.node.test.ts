// `ecis conformance` against `ecis mock`: two real processes of the built CLI, consent through
// the loopback redirect, the report validated against its JSON Schema.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, keyDir, ROOT, spawnCli } from '../cli/support.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

/** The built `ecis conformance`; consents by following the URL it prints (the mock consents at once). */
async function conformance(args: string[]) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/index.js'), 'conformance', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'))
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  let consented = false
  child.stderr.on('data', (d) => {
    stderr += d
    const url = /\n {2}(http\S+authorize\S+)\n/.exec(stderr)?.[1]
    if (url && !consented) {
      consented = true
      void fetch(url, { redirect: 'manual' })
        .then((r) => fetch(r.headers.get('location') as string))
        .then((r) => r.text())
    }
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, stdout, stderr }
}

async function mockProcess(keys: Awaited<ReturnType<typeof keyDir>>, extra: string[] = []) {
  const mock = spawnCli([
    'mock',
    '--port',
    '0',
    '--consent',
    'auto',
    '--client-id',
    'acme-solar',
    '--jwks',
    keys.jwksPath,
    '--redirect-uri',
    'http://127.0.0.1/callback',
    '--rate-limit',
    '30/60',
    ...extra,
  ])
  cleanups.push(() => mock.child.exitCode === null && mock.child.kill('SIGKILL'))
  const issuer = (await mock.waitFor(/issuer {5}(\S+)/))[1] as string
  await mock.waitFor(/Stop with Ctrl-C/)
  // The second customer's first account: outside the grant (the mock consents as the first).
  const foreign = [...mock.stdout.matchAll(/customer {3}[^:]+: ([^,\n]+)/g)][1]?.[1] as string
  return { issuer, foreign }
}

describe('ecis conformance (built CLI) against ecis mock', () => {
  beforeAll(() => ensureBuiltPackage(), 180_000)

  it('passes every MUST and SHOULD that applies; the report validates against its schema', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const { issuer, foreign } = await mockProcess(keys)
    const report = join(keys.dir, 'report.json')
    const run = await conformance([
      '--issuer',
      issuer,
      '--client-id',
      'acme-solar',
      '--key',
      keys.keyPath,
      '--allow-insecure',
      '--destructive',
      '--foreign-account',
      foreign,
      '--rate-limit-burst',
      '20',
      '--report',
      report,
      '--no-open',
    ])
    expect(run.stdout).toMatch(/Summary: \d+ pass, 0 fail \(0 MUST, 0 SHOULD\), 2 skipped — conformant/)
    expect(run.code).toBe(0)
    const written = JSON.parse(await readFile(report, 'utf8'))
    const schema = JSON.parse(await readFile(join(ROOT, 'docs/schema/conformance-report.schema.json'), 'utf8'))
    const validate = new Ajv2020({ strict: false }).compile(schema)
    expect(validate(written), JSON.stringify(validate.errors)).toBe(true)
    const skipped = written.results
      .filter((r: { status: string }) => r.status === 'skip')
      .map((r: { id: string }) => r.id)
    expect(skipped).toEqual(['authz.par-required', 'eci.dpop.bearer'])
    // No token, code, JWT or key anywhere.
    const all = run.stdout + run.stderr + JSON.stringify(written)
    expect(all).not.toMatch(/eyJ[\w-]+\.eyJ/)
    expect(all).not.toContain(keys.privateJwk.d)
  }, 60_000)

  it('against ecis mock --defect accept-replayed-jti: exit 1, exactly that test failed', async () => {
    const keys = await keyDir()
    cleanups.push(keys.cleanup)
    const { issuer } = await mockProcess(keys, ['--defect', 'accept-replayed-jti'])
    const run = await conformance([
      '--issuer',
      issuer,
      '--client-id',
      'acme-solar',
      '--key',
      keys.keyPath,
      '--allow-insecure',
      '--json',
    ])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(
      report.results.filter((r: { status: string }) => r.status === 'fail').map((r: { id: string }) => r.id),
    ).toEqual(['eci.jwt.replayed-jti'])
  }, 60_000)
})
