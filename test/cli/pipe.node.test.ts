// `ecis … | head`: a reader that closes the pipe early is no error — the command stops quietly,
// with no EPIPE stack trace, as Unix tools do.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from './support.js'

beforeAll(() => ensureBuiltPackage(), 120_000)

/** Runs `ecis demo` in bash piped into `head -n lines`; the exit status is ecis's (pipefail). */
async function demoInto(lines: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = join(ROOT, 'dist/cli/index.js')
  const cwd = await mkdtemp(join(tmpdir(), 'ecis-pipe-'))
  const child = spawn(
    'bash',
    [
      '-c',
      `set -o pipefail; "${process.execPath}" "${cli}" demo 2>demo-stderr.txt | head -n ${lines}; status=$?; cat demo-stderr.txt >&2; rm -f demo-stderr.txt; exit $status`,
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  await rm(cwd, { recursive: true, force: true })
  return { code, stdout, stderr }
}

describe('ecis piped into head', () => {
  it('stops quietly when the reader closes the pipe: exit 0, no EPIPE, no stack trace', async () => {
    for (const lines of [1, 3]) {
      const { code, stdout, stderr } = await demoInto(lines)
      expect(stdout.split('\n').filter(Boolean)).toHaveLength(lines)
      expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /)
      expect(code).toBe(0)
    }
  }, 120_000)
})
