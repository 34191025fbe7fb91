// What `npm pack` ships and what package.json promises: the docs travel with the package so
// that every README/docs link works from the npm page and in node_modules, and `engines` is
// no lower than what the dependencies and CommonJS require(esm) need.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../examples/package-build.js'
import { packageJson, packTarball, type Tarball } from './consumer-project.js'

let tarball: Tarball
beforeAll(async () => {
  tarball = await packTarball()
}, 180_000)

/** `>=22.12` / `>=22.12.0` / `>=22` → [22, 12, 0]; any other form is a test to update. */
function floor(range: string): [number, number, number] {
  const m = /^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim())
  if (!m) throw new Error(`engines range "${range}" is not of the form >=X.Y.Z; extend this test`)
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
}
const atLeast = (a: number[], b: number[]) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

describe('the packed tarball', () => {
  it('ships dist, the docs, the examples, README and CHANGELOG, and no sources or tests', () => {
    const top = new Set(tarball.files.map((f) => f.split('/')[0]))
    expect([...top].sort()).toEqual(['CHANGELOG.md', 'README.md', 'dist', 'docs', 'examples', 'package.json'].sort())
    expect(tarball.files).toEqual(expect.arrayContaining(['examples/README.md', 'examples/fleet-sync/fleet.ts']))
    expect(tarball.files).toEqual(expect.arrayContaining(['docs/protocol.md', 'docs/testing.md', 'docs/cli.md']))
  })

  it('every relative link in README.md and docs/*.md points at a file the tarball ships', async () => {
    const pages = tarball.files.filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f))
    const shipped = new Set(tarball.files)
    const broken: string[] = []
    let links = 0
    for (const page of pages) {
      const text = await readFile(join(ROOT, page), 'utf8')
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue
        links++
        const path = new URL(target.split('#')[0] as string, `file:///pkg/${page}`).pathname.slice('/pkg/'.length)
        // A folder link works when the tarball has files in that folder.
        const found = path.endsWith('/') ? tarball.files.some((f) => f.startsWith(path)) : shipped.has(path)
        if (!found) broken.push(`${page} → ${target}`)
      }
    }
    expect(links).toBeGreaterThan(10)
    expect(broken).toEqual([])
  })
})

describe('package.json', () => {
  it('names no repository, homepage or bug tracker until the project has a public one: no placeholder URL', async () => {
    const pkg = await packageJson()
    expect(pkg.repository).toBeUndefined()
    expect(pkg.homepage).toBeUndefined()
    expect(pkg.bugs).toBeUndefined()
    const pages = tarball.files.filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f))
    for (const page of pages) {
      const text = await readFile(join(ROOT, page), 'utf8')
      expect(text, page).not.toMatch(/github\.com\/ecis-consumer/)
    }
  })

  it('engines.node is no lower than any dependency needs, nor than require(esm) for the CJS build', async () => {
    const pkg = await packageJson()
    const ours = floor(pkg.engines.node)
    // CommonJS: require() of the ESM-only dependencies needs ^20.19 || >=22.12; msw 3 needs 22.12.
    expect(atLeast(ours, [22, 12, 0])).toBe(true)
    const names = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]
    const floors: Record<string, string> = {}
    for (const name of names) {
      const dep = JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      const range = dep.engines?.node as string | undefined
      if (range === undefined) continue
      floors[name] = range
      expect(atLeast(ours, floor(range)), `${name} needs node ${range}`).toBe(true)
    }
    expect(Object.keys(floors)).toEqual(expect.arrayContaining(['msw']))
  })
})
