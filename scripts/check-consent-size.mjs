#!/usr/bin/env node
// Bundle budgets (`npm run size`, part of `npm run check`). Each entry is bundled the way an
// app's bundler would (esbuild, ESM, browser platform, minified, tree-shaken) and gzipped
// (level 9); exit 1 when one is over its budget or carries a module it must not carry:
//
//   ecis-consumer/consent   ≤ 7.1 kB   no zod, ky, jose, openid-client, msw, signing or schema code
//                                      (issue 9 asks 6 kB; see CONSENT_BUDGET)
//   ecis-consumer/schemas   ≤ 30 kB    zod only: no ky, jose, openid-client, msw, request code
//   ecis-consumer           ≤ 74.75 kB no msw, no mock provider (issue 9 asks 72 kB; see MAIN_BUDGET)
//
// It also prints each package's share of an entry, and for the schemas entry what cutting zod's
// share would take (the same entry with zod left out of the bundle).
//
// With --why it also lists, per entry, every module's minified bytes in the bundle (the
// esbuild metafile's bytesInOutput), largest first: where to look before cutting.
//
// Usage: node scripts/check-consent-size.mjs [--why]

import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const KB = 1024
// Each budget sits just above what ships, so any growth fails and has to be argued for here.
//
// Consent: issue 9 asks 6 kB (it was 5.8 then). It ships 7.00 kB: the entry gained the bounded
// body read of the metadata (src/http/body.ts), the shared metadata rules, the pending-consent
// list behind STATE_MISMATCH and the hostile-provider hardening. Cutting what it carried without
// need (zod/jose/ky branches of the error boundary, per-module copies of option rules) took it
// from 7.38 kB. What is left is code it runs plus its error messages: the same bundle with every
// message text deleted is 5.61 kB, so 6 kB means dropping behaviour (the metadata checks, the
// bounded read, the pending list) or most of the messages, not trimming. See docs/performance.md.
const CONSENT_BUDGET = 7.1 * KB
// Main: issue 9 asks 72 kB. One data plane (issue 17) removed ky (8.6 kB) and the Node hot path
// (node:http transport, signing thread, inline signer: ~1.6 kB), so it ships 71.5 kB: zod 39 %,
// the SDK 35 %, oauth4webapi 11 %, jose 11 %, openid-client 4 %. Issue 22's telemetry with no option
// (the OpenTelemetry global registry lookup, diagnostics_channel events) adds ~0.4 kB, and issue
// 23's refresh protocol (settling unknown store writes by reading, the lock heartbeat and proof)
// ~1 kB. Keys in production (issue 20) add 1.4 kB, measured by leaving each export out:
// encryptedGrantStore 0.93 kB, publicJwks/jwksHandler 0.51 kB; remote signers cost ~0 (they
// replaced openid-client's client assertion and DPoP signing). Both are core by the design
// (WebCrypto, any GrantStore); a subpath of their own would take 1.4 kB off. See docs/performance.md.
const MAIN_BUDGET = 74.75 * KB
const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = (name) => ({ name, test: (p) => new RegExp(`(^|/)node_modules/${name}/`).test(p) })
const src = (dir, name) => ({ name, test: (p) => new RegExp(`(^|/)src/${dir}/`).test(p) })

const ENTRIES = [
  {
    name: 'ecis-consumer/consent',
    entry: 'src/consent/index.ts',
    budget: CONSENT_BUDGET,
    forbidden: [
      pkg('zod'),
      pkg('jose'),
      pkg('openid-client'),
      pkg('msw'),
      src('request', 'request signing (src/request/)'),
      src('schemas', 'schemas (src/schemas/)'),
    ],
  },
  {
    name: 'ecis-consumer/schemas',
    entry: 'src/schemas/index.ts',
    budget: 30 * KB,
    forbidden: [pkg('jose'), pkg('openid-client'), pkg('msw'), src('request', 'request code (src/request/)')],
    without: 'zod',
  },
  {
    name: 'ecis-consumer',
    entry: 'src/index.ts',
    budget: MAIN_BUDGET,
    forbidden: [pkg('msw'), src('mock', 'the mock provider (src/mock/)')],
  },
]

const kb = (n) => `${(n / KB).toFixed(2)} kB`

async function bundle(entry, external = []) {
  const result = await build({
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
    external,
  })
  const code = result.outputFiles[0].contents
  const [output] = Object.values(result.metafile.outputs)
  return { code, gzip: gzipSync(code, { level: 9 }).length, inputs: output.inputs }
}

/** Minified bytes per package (node_modules/<name>) or `src`. */
function shares(inputs) {
  const by = new Map()
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
    const owner = m ? m[1] : 'src'
    by.set(owner, (by.get(owner) ?? 0) + bytesInOutput)
  }
  const total = [...by.values()].reduce((a, b) => a + b, 0)
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .map(([owner, bytes]) => `${owner} ${((bytes / total) * 100).toFixed(0)}%`)
    .join(', ')
}

/** Each input's minified bytes in the bundle, largest first, for --why. */
function breakdown(inputs) {
  const rows = Object.entries(inputs)
    .map(([path, { bytesInOutput }]) => [path.replace(/^.*node_modules\//, ''), bytesInOutput])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
  const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0)
  return rows.map(
    ([path, bytes]) => `${String(bytes).padStart(9)} B ${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${path}`,
  )
}

const why = process.argv.includes('--why')
const problems = []
for (const e of ENTRIES) {
  let b
  try {
    b = await bundle(e.entry)
  } catch (error) {
    problems.push(`${e.name}: esbuild failed for ${e.entry}: ${error instanceof Error ? error.message : error}`)
    continue
  }
  const paths = Object.keys(b.inputs)
  const over = b.gzip > e.budget
  console.log(
    `${e.name.padEnd(22)} ${kb(b.gzip).padStart(9)} gzip (budget ${kb(e.budget)}, ${kb(b.code.length)} minified) ` +
      `${over ? 'OVER' : 'ok'} — ${shares(b.inputs)}`,
  )
  if (why) console.log(breakdown(b.inputs).join('\n'))
  for (const rule of e.forbidden) {
    const hits = paths.filter((p) => rule.test(p))
    if (hits.length > 0) {
      problems.push(`${e.name} contains ${rule.name}: ${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', …' : ''}`)
    }
  }
  if (over)
    problems.push(`${e.name} is ${kb(b.gzip)} gzip, over the ${kb(e.budget)} budget by ${b.gzip - e.budget} bytes`)
  if (e.without) {
    const rest = await bundle(e.entry, [e.without])
    const share = b.gzip - rest.gzip
    console.log(
      `${''.padEnd(22)} without ${e.without}: ${kb(rest.gzip)} gzip — ${e.without} is ${kb(share)} ` +
        `(${((share / b.gzip) * 100).toFixed(0)}%); cutting it means replacing the schemas' runtime, not trimming them`,
    )
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`size: ${p}`)
  process.exit(1)
}
console.log('size: every entry within budget, no forbidden modules')
