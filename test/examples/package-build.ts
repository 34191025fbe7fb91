/**
 * The examples import the package by its public names (`ecis-consumer`, `ecis-consumer/mock/node`
 * …). Node and Vite resolve those through package.json `exports` (a package may import itself by
 * name), i.e. to dist/. This makes sure dist/ exists and is newer than every source file before
 * an example is imported; `npm run check` builds before testing, so there it is a no-op.
 *
 * Several test files may call it at once (vitest runs files in parallel): a lock directory lets
 * one of them build while the others wait, then re-check.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The files `exports` points at (ESM side; the CJS build is written by the same tsup run). */
const OUTPUTS = [
  'index.js',
  'schemas/index.js',
  'consent/index.js',
  'mock/index.js',
  'mock/node/index.js',
  'postgres/index.js',
  'redis/index.js',
  'sync/index.js',
  'green-button/index.js',
].flatMap((f) => [`dist/${f}`, `dist/${f.replace(/\.js$/, '.cjs')}`])

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs
  } catch {
    return undefined
  }
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const time = entry.isDirectory() ? await newestSource(path) : ((await mtime(path)) ?? 0)
    newest = Math.max(newest, time)
  }
  return newest
}

async function isFresh(): Promise<boolean> {
  const inputs = Math.max(
    await newestSource(join(ROOT, 'src')),
    (await mtime(join(ROOT, 'package.json'))) ?? 0,
    (await mtime(join(ROOT, 'tsup.config.ts'))) ?? 0,
  )
  for (const output of OUTPUTS) {
    const time = await mtime(join(ROOT, output))
    if (time === undefined || time < inputs) return false
  }
  return true
}

/** What `npm run build` does: tsup, then the .d.cts fix-up (scripts/fix-cjs-types.mjs). */
async function runTsup(): Promise<void> {
  const require = createRequire(import.meta.url)
  const pkg = require.resolve('tsup/package.json')
  const bin = join(dirname(pkg), (require(pkg) as { bin: { tsup: string } }).bin.tsup)
  await runNode([bin, '--silent'])
  await runNode([join(ROOT, 'scripts/fix-cjs-types.mjs'), '--silent'])
}

function runNode(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => {
      output += d
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`npm run build (${args[0]}) failed with exit code ${code}:\n${output}`)),
    )
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Builds dist/ (tsup) when it is missing or older than src/; waits for a build another file started. */
export async function ensureBuiltPackage(): Promise<void> {
  const lock = join(tmpdir(), `ecis-consumer-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`)
  for (;;) {
    if (await isFresh()) return
    try {
      await mkdir(lock)
    } catch {
      // Someone else is building; a lock older than two minutes belongs to a crashed run.
      const since = await mtime(lock)
      if (since !== undefined && Date.now() - since > 120_000) await rm(lock, { recursive: true, force: true })
      await sleep(250)
      continue
    }
    try {
      if (!(await isFresh())) await runTsup()
      return
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
}
