// The built package as users load it (ESM import and CJS require of dist/, through `exports`).
import { createRequire } from 'node:module'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from '../examples/package-build.js'

beforeAll(ensureBuiltPackage, 120_000)

describe('errors keep instanceof across entries', () => {
  it('ESM: a schemas error is an EciValidationError of the main entry', async () => {
    const main = await import('ecis-consumer')
    const schemas = await import('ecis-consumer/schemas')
    const error = (() => {
      try {
        schemas.parseBasic(null)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(main.EciValidationError)
    expect(error).toBeInstanceOf(main.EciError)
    expect(error).toBeInstanceOf(schemas.EciError)
  })

  it('ESM: a consent-entry error is an EciConsentError of the main entry', async () => {
    const main = await import('ecis-consumer')
    const consent = await import('ecis-consumer/consent')
    const error = await consent
      .parseConsentCallback('https://acme.example/cb?state=x&code=y', { store: consent.memoryStore() })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(consent.EciConsentError)
    expect(error).toBeInstanceOf(main.EciConsentError)
  })

  it('CJS: require() of two entries shares the error classes', () => {
    const require = createRequire(`${ROOT}/package.json`)
    const main = require('ecis-consumer')
    const schemas = require('ecis-consumer/schemas')
    let error: unknown
    try {
      schemas.parseInvoice([])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(main.EciValidationError)
  })
})

describe('the ecis command in an installed package', () => {
  it('imports only declared dependencies and Node built-ins (msw, an optional peer, is bundled)', async () => {
    const { readFile } = await import('node:fs/promises')
    const { builtinModules } = await import('node:module')
    const pkg = JSON.parse(await readFile(`${ROOT}/package.json`, 'utf8'))
    const cli = await readFile(`${ROOT}/dist/cli/index.js`, 'utf8')
    const specifiers = new Set(
      [
        ...cli.matchAll(
          /(?:^|[\s;])(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
        ),
      ].map((m) => m[1] ?? m[2]),
    )
    const packageOf = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0])
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules])
    const stray = [...specifiers].filter(
      (s) => !s.startsWith('.') && !s.startsWith('node:') && !allowed.has(packageOf(s)),
    )
    expect(specifiers.size).toBeGreaterThan(5)
    expect(stray).toEqual([])
  })
})
