#!/usr/bin/env node
// Bundle budget of the browser consent entry (`ecis-consumer/consent`): bundled for the browser
// with esbuild (ESM, minified, tree-shaken), gzip at most BUDGET bytes, and none of the modules a
// browser bundle must not carry (zod, ky, jose, the request-signing code). Exit 1 otherwise.
//
// Usage: node scripts/check-consent-size.mjs [entry]   (default: src/consent/index.ts)

import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const BUDGET = 10 * 1024
const root = fileURLToPath(new URL('..', import.meta.url))
const entry = process.argv[2] ?? 'src/consent/index.ts'

const FORBIDDEN = [
  { name: 'zod', test: (p) => /(^|\/)node_modules\/zod\//.test(p) },
  { name: 'ky', test: (p) => /(^|\/)node_modules\/ky\//.test(p) },
  { name: 'jose', test: (p) => /(^|\/)node_modules\/jose\//.test(p) },
  { name: 'openid-client', test: (p) => /(^|\/)node_modules\/openid-client\//.test(p) },
  { name: 'msw', test: (p) => /(^|\/)node_modules\/msw\//.test(p) },
  { name: 'request signing (src/request/)', test: (p) => /(^|\/)src\/request\//.test(p) },
  { name: 'schemas (src/schemas/)', test: (p) => /(^|\/)src\/schemas\//.test(p) },
]

let result
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    treeShaking: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
} catch (error) {
  console.error(`consent bundle: esbuild failed for ${entry}`)
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}

const code = result.outputFiles[0].contents
const gzipped = gzipSync(code, { level: 9 }).length
const inputs = Object.keys(result.metafile.inputs)
const kb = (n) => `${(n / 1024).toFixed(2)} kB`

console.log(`consent bundle (${entry}): ${kb(code.length)} minified, ${kb(gzipped)} gzip (budget ${kb(BUDGET)})`)
console.log(`  ${inputs.length} modules: ${inputs.join(', ')}`)

const problems = []
for (const rule of FORBIDDEN) {
  const hits = inputs.filter((p) => rule.test(p))
  if (hits.length > 0)
    problems.push(`contains ${rule.name}: ${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', …' : ''}`)
}
if (gzipped > BUDGET)
  problems.push(`is ${kb(gzipped)} gzip, over the ${kb(BUDGET)} budget by ${gzipped - BUDGET} bytes`)

if (problems.length > 0) {
  for (const p of problems) console.error(`consent bundle ${p}`)
  process.exit(1)
}
console.log('consent bundle: within budget, no forbidden modules')
