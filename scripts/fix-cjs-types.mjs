#!/usr/bin/env node
// Makes the CommonJS type declarations (dist/**/*.d.cts) compile under `module: node16` and
// `nodenext` with `skipLibCheck: false`. tsup's declarations import types from jose and msw,
// which are ESM-only packages: in a .d.cts such an import is TS1479 ("The current file is a
// CommonJS module … the referenced file is an ECMAScript module"). A type-only import with
// `resolution-mode: "import"` is what TypeScript accepts there, and it costs nothing at run
// time (declarations have no run time). Packages that ship CommonJS types (zod) stay as they
// are, so a CJS app sees the same zod types as the SDK.
//
// Run after tsup (`npm run build` does); idempotent.
// Usage: node scripts/fix-cjs-types.mjs [--silent] [dist]

import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'dist')
const require = createRequire(join(root, 'package.json'))

/** Whether `specifier` (a bare package path) has no CommonJS types: no `require` condition. */
const esmOnlyCache = new Map()
function isEsmOnly(specifier) {
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  const subpath = `.${specifier.slice(name.length)}`
  const key = `${name}|${subpath}`
  if (esmOnlyCache.has(key)) return esmOnlyCache.get(key)
  let pkg
  try {
    pkg = require(`${name}/package.json`)
  } catch {
    // Not installed here (an optional peer without types in the dev tree): leave it alone.
    esmOnlyCache.set(key, false)
    return false
  }
  const entry = typeof pkg.exports === 'object' && pkg.exports !== null ? pkg.exports[subpath] : undefined
  const conditions = JSON.stringify(entry ?? {})
  const esmOnly = pkg.type === 'module' && !/"require"/.test(conditions)
  esmOnlyCache.set(key, esmOnly)
  return esmOnly
}

const ATTRIBUTE = `with { 'resolution-mode': 'import' }`
const isBare = (s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:')

/** Rewrites one .d.cts text; returns the new text and the specifiers it changed. */
export function fixDeclarations(text, esmOnly = isEsmOnly) {
  const changed = new Set()
  const target = (s) => isBare(s) && esmOnly(s)
  const out = text
    // `import 'jose';` (rollup-plugin-dts keeps side-effect imports): no types, drop it.
    .replace(/^import '([^']+)';\n/gm, (all, s) => {
      if (!target(s)) return all
      changed.add(s)
      return ''
    })
    // `import { A, B as C } from 'jose';` / `import * as z from 'x';` / `export { A } from 'x';`
    .replace(
      /^(import|export)( type)? (\{[^}]*\}|\* as \w+|\*) from '([^']+)'( with \{[^}]*\})?;/gm,
      (all, kind, _type, names, s, attrs) => {
        if (!target(s) || attrs) return all
        changed.add(s)
        return `${kind} type ${names} from '${s}' ${ATTRIBUTE};`
      },
    )
    // `import("jose").JWK` in type positions.
    .replace(/import\("([^"]+)"\)/g, (all, s) => {
      if (!target(s)) return all
      changed.add(s)
      return `import("${s}", { with: { 'resolution-mode': 'import' } })`
    })
  return { text: out, changed: [...changed] }
}

async function* declarationFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* declarationFiles(path)
    else if (entry.name.endsWith('.d.cts')) yield path
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let files = 0
  const specifiers = new Set()
  for await (const file of declarationFiles(dist)) {
    const before = await readFile(file, 'utf8')
    const { text, changed } = fixDeclarations(before)
    if (text !== before) {
      await writeFile(file, text)
      files++
      for (const s of changed) specifiers.add(s)
    }
  }
  if (!process.argv.includes('--silent')) {
    console.log(
      `fix-cjs-types: ${files} .d.cts file(s) import ${[...specifiers].sort().join(', ') || 'nothing'} with resolution-mode "import"`,
    )
  }
}
