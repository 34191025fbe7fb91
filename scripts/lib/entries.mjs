// The package's public entries, as the source files that implement them: each `exports`
// subpath of package.json, matched to the tsup entry that builds its dist file. One place for
// the docs build and the TSDoc example check, so an entry added to both files is picked up.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** `[{ specifier: 'ecis-consumer/consent', source: 'src/consent/index.ts' }, …]` in `exports` order. */
export function packageEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const tsup = readFileSync(join(root, 'tsup.config.ts'), 'utf8')
  const sources = new Map()
  for (const m of tsup.matchAll(/['"]?([\w./-]+)['"]?\s*:\s*['"](src\/[^'"]+\.ts)['"]/g)) sources.set(m[1], m[2])
  const entries = []
  for (const [subpath, conditions] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue
    const target = JSON.stringify(conditions).match(/"\.\/dist\/([^"]+)\.js"/)?.[1]
    const source = target && sources.get(target)
    if (!source) throw new Error(`exports["${subpath}"]: no tsup entry builds dist/${target ?? '?'}.js`)
    entries.push({ specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, source })
  }
  return entries
}
