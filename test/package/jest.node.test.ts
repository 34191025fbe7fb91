// Jest against the packed tarball, in both of Jest's modes, with the configs and test files
// docs/testing.md shows (taken from the page, so the page cannot drift from what works):
// CommonJS with no flags, and ES modules with --experimental-vm-modules.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from '../examples/package-build.js'
import { type ConsumerProject, consumerProject, runNode } from './consumer-project.js'

const jest = join('node_modules', 'jest', 'bin', 'jest.js')
const projects: ConsumerProject[] = []
afterAll(async () => {
  for (const p of projects) await p.cleanup()
})

/** The fenced code block of docs/testing.md whose first line is `// <file> — <mode>`. */
async function docBlock(file: string, mode: string): Promise<string> {
  const page = await readFile(join(ROOT, 'docs', 'testing.md'), 'utf8')
  const blocks = [...page.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)].map((m) => m[1] as string)
  const block = blocks.find((b) => b.startsWith(`// ${file} — ${mode}`))
  if (!block) throw new Error(`docs/testing.md has no block "// ${file} — ${mode}"`)
  return block
}

async function project(files: Record<string, string>): Promise<ConsumerProject> {
  const p = await consumerProject(files, ['jest'])
  projects.push(p)
  return p
}

describe('Jest against the packed tarball', () => {
  it('a CommonJS project runs the journey with no flags, as docs/testing.md shows', async () => {
    const mode = 'CommonJS project'
    const p = await project({
      'package.json': JSON.stringify({ name: 'jest-cjs-app', private: true }),
      'jest.config.js': await docBlock('jest.config.js', mode),
      'jest.global-setup.js': await docBlock('jest.global-setup.js', mode),
      'jest.global-teardown.js': await docBlock('jest.global-teardown.js', mode),
      'eci.test.js': await docBlock('eci.test.js', mode),
      // Each entry loads in Jest's registry: the ESM-only dependencies are inside the CommonJS build.
      'entries.test.js': `
        const main = require('ecis-consumer')
        const schemas = require('ecis-consumer/schemas')
        const consent = require('ecis-consumer/consent')
        test('the CommonJS entries load and share their error classes', () => {
          expect(typeof main.signRequestJwt).toBe('function')
          expect(typeof consent.beginConsent).toBe('function')
          expect(() => schemas.parseBasic(null)).toThrow(main.EciValidationError)
        })
      `,
    })
    const result = await runNode(p, [jest, '--ci', '--runInBand'])
    expect(result.stderr).toMatch(/Tests:\s+2 passed, 2 total/)
    expect(result.stderr).not.toMatch(/ExperimentalWarning|Must use import/)
    expect(result.code).toBe(0)
  }, 180_000)

  it('an ES module project runs MSW setupServer with --experimental-vm-modules, as docs/testing.md shows', async () => {
    const mode = 'ES module project'
    const config = await docBlock('jest.config.js', mode)
    expect(config).toContain('NODE_OPTIONS=--experimental-vm-modules')
    const p = await project({
      'package.json': JSON.stringify({ name: 'jest-esm-app', private: true, type: 'module' }),
      'jest.config.js': config,
      'eci.test.js': await docBlock('eci.test.js', mode),
    })
    const result = await runNode(p, [jest, '--ci', '--runInBand'], { NODE_OPTIONS: '--experimental-vm-modules' })
    expect(result.stderr).toMatch(/Tests:\s+1 passed, 1 total/)
    expect(result.code).toBe(0)
  }, 180_000)
})
