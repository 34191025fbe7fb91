/**
 * examples/ci/integration.test.ts is a user's test file, outside our `test/**` include. This runs
 * it the way its header says (`vitest run --config examples/ci/vitest.config.ts`) in a child
 * process, and checks that every one of its tests ran and passed.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from './package-build.js'

beforeAll(() => ensureBuiltPackage(), 180_000)

interface JsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  testResults: { assertionResults: { fullName: string; status: string }[] }[]
}

it('examples/ci/integration.test.ts passes under its own vitest config', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ecis-examples-ci-'))
  try {
    const require = createRequire(import.meta.url)
    const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
    // A clean environment: nothing of this (parent) vitest run may leak into the child.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'),
    )
    const report = join(out, 'report.json')
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [vitest, 'run', '--config', 'examples/ci/vitest.config.ts', '--reporter=json', `--outputFile=${report}`],
        { cwd: ROOT, env: { ...env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let output = ''
      child.stdout.on('data', (d) => {
        output += d
      })
      child.stderr.on('data', (d) => {
        output += d
      })
      child.on('error', reject)
      child.on('exit', (exit) => resolve({ code: exit, output }))
    })
    expect(code, output).toBe(0)
    const json = JSON.parse(await readFile(report, 'utf8')) as JsonReport
    const tests = json.testResults.flatMap((file) => file.assertionResults)
    expect(json.numFailedTests).toBe(0)
    expect(json.numPassedTests).toBe(json.numTotalTests)
    expect(tests.map((t) => t.fullName)).toEqual(
      expect.arrayContaining([
        'ECIS integration survives two 503s in a row, with a new request JWT per attempt',
        'ECIS integration refreshes an expired access token once and hands the rotated grant to onGrant',
      ]),
    )
    expect(tests.length).toBeGreaterThanOrEqual(8)
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}, 120_000)
