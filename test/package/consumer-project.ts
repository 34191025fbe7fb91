/**
 * Throw-away consumer projects around the packed tarball: `npm pack` of the built package,
 * unpacked into `<project>/node_modules/ecis-consumer` as `npm install <tarball>` would, and the
 * dependencies (and whatever tools a test names) linked from this repository's node_modules, so
 * nothing is fetched: the projects see exactly the files the tarball ships.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { ensureBuiltPackage, ROOT } from '../examples/package-build.js'

const run = promisify(execFile)

export interface PackageJson {
  name: string
  version: string
  exports: Record<string, unknown>
  dependencies: Record<string, string>
  peerDependencies?: Record<string, string>
  engines: { node: string }
  files: string[]
  [field: string]: unknown
}

export async function packageJson(): Promise<PackageJson> {
  return JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson
}

/** The package's entry specifiers from `exports` (`ecis-consumer`, `ecis-consumer/consent`, …). */
export async function entrySpecifiers(): Promise<string[]> {
  const pkg = await packageJson()
  return Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`))
}

export interface Tarball {
  file: string
  /** Paths inside the package, as `npm pack --json` lists them. */
  files: string[]
}

let packed: Promise<Tarball> | undefined

/** `npm pack` of the freshly built package, once per test file. */
export function packTarball(): Promise<Tarball> {
  packed ??= (async () => {
    await ensureBuiltPackage()
    const dir = await mkdtemp(join(tmpdir(), 'ecis-pack-'))
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    })
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
    if (!info) throw new Error('npm pack printed no result')
    return { file: join(dir, info.filename), files: info.files.map((f) => f.path) }
  })()
  return packed
}

export interface ConsumerProject {
  dir: string
  cleanup(): Promise<void>
}

/**
 * A project directory with `files` written, the tarball installed as node_modules/ecis-consumer,
 * and links to this repository's copies of the package's dependencies and peers plus `tools`,
 * except the packages named in `without` (an app that did not install an optional peer).
 */
export async function consumerProject(
  files: Record<string, string>,
  tools: string[] = [],
  without: string[] = [],
): Promise<ConsumerProject> {
  const tarball = await packTarball()
  const pkg = await packageJson()
  const dir = await mkdtemp(join(tmpdir(), 'ecis-consumer-project-'))
  const installed = join(dir, 'node_modules', pkg.name)
  await mkdir(installed, { recursive: true })
  await run('tar', ['-xzf', tarball.file, '-C', installed, '--strip-components=1'])
  const links = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {}), ...tools])
  for (const name of without) links.delete(name)
  for (const name of links) {
    const target = join(ROOT, 'node_modules', name)
    const link = join(dir, 'node_modules', name)
    await mkdir(dirname(link), { recursive: true })
    await symlink(target, link, 'dir').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error
    })
  }
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Runs a Node script of `project` (e.g. a tool's bin) with the test's Node; never rejects. */
export async function runNode(
  project: ConsumerProject,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Nothing of the parent vitest run may leak into the child.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'NODE_OPTIONS'),
  )
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: project.dir,
      env: { ...clean, ...env },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}
