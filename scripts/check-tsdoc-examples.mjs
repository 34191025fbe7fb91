#!/usr/bin/env node
// Type-checks every ```ts block of an `@example` in the TSDoc of src/, and every ```ts block of the
// docs listed in DOCS below (part of `npm run check`).
//
// Each example becomes its own module under test/.tmp/tsdoc-examples/ and is compiled by tsc
// against the package's real types: `ecis-consumer/*` specifiers resolve to the entries' source
// files. An example without import statements is read as written next to the code it
// documents, so it sees the exports of that file. The few free variables examples use (a key,
// a grant, a request …) are declared below with the types an app would have; nothing is `any`.
// Errors are reported at the example's line in src/.
//
// Usage: node scripts/check-tsdoc-examples.mjs

import { spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageEntries } from './lib/entries.mjs'
import { tsdocExamples } from './lib/tsdoc-examples.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'test', '.tmp', 'tsdoc-examples')
const src = (path) => join(root, 'src', path)

/** Free variables of examples, and their types. */
const FREE = {
  privateJwk: "import('jose').JWK",
  publicJwk: "import('jose').JWK",
  accessToken: 'string',
  tokens: '{ current(): Promise<string> }',
  res: 'Response',
  request: 'Request',
  session: "import('ecis-consumer').EciSession",
  db: '{ upsert(record: object): Promise<void>; get(id: string): Promise<string> }',
  id: 'string',
  myClient: "import('ecis-consumer/mock').MockClient",
  transaction: "import('ecis-consumer').ConsentTransaction",
  codeChallenge: 'string',
  metadata: `Awaited<ReturnType<typeof import('${src('consent/discovery.js')}').fetchAuthorizationServerMetadata>>`,
  issuer: 'string',
  clientId: 'string',
  redirectUri: 'string',
  options: "Omit<import('ecis-consumer/consent').BrowserConsentOptions, 'store'>",
  callbackUrl: 'string',
  save: "(grant: import('ecis-consumer').Grant) => Promise<void>",
  grant: "import('ecis-consumer').Grant",
  rotated: "import('ecis-consumer').Grant",
  detail: "import('ecis-consumer').InvoiceDetail",
  details: "import('ecis-consumer').InvoiceDetail[]",
  account: 'string',
  invoiceId: 'string',
  connectionString: 'string',
  log: '{ warn(message: string, error: unknown): void }',
  xml: 'string',
  feed: "import('ecis-consumer/green-button').EspiFeed",
  feedUrl: 'string',
  token: 'string',
}
/** Where a file's examples mean something else by a name. */
const FREE_IN = {
  'src/consent/store.ts': {
    // A server-side session (express-session, a framework's cookie session …).
    session:
      '{ get(key: string): string | undefined; set(key: string, value: string): void; delete(key: string): void }',
  },
  // The customer's Download My Data file (a browser upload, a fetched body).
  'src/green-button/parse.ts': { upload: 'Blob' },
  'src/green-button/connect/session.ts': { session: "import('ecis-consumer/green-button').GreenButtonSession" },
  'src/sync/sync.ts': { sync: "import('ecis-consumer/sync').EciSync" },
}

async function* sourceFiles(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path
  }
}

// Not preceded by a word character or a property dot (a spread `...name` is a use).
const NOT_AFTER = '(?<![\\w$])(?<![^.]\\.)'
const word = (name) => new RegExp(`${NOT_AFTER}${name}(?![\\w$])`)
const escapeDollar = (s) => s.replace(/[$]/g, '\\$&')

/** Whether the example itself declares or imports `name`. */
function declares(code, name) {
  const n = escapeDollar(name)
  return new RegExp(
    `(?:const|let|var|function|class)\\s+(?:${n}\\b|[{[][^}\\]]*${NOT_AFTER}${n}(?![\\w$:])[^}\\]]*[}\\]])|import\\s[^;]*?${NOT_AFTER}${n}(?![\\w$])[^;]*?from`,
  ).test(code)
}

/** The names `text` exports with a declaration (`export function x`, `export const y` …). */
function exportedNames(text) {
  return [
    ...text.matchAll(
      /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+(\w+)/gm,
    ),
  ].map((m) => m[1])
}

const entries = packageEntries(root)
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
const files = []
const origin = new Map()
for await (const path of sourceFiles(join(root, 'src'))) {
  const text = await readFile(path, 'utf8')
  const examples = tsdocExamples(text)
  if (examples.length === 0) continue
  const file = relative(root, path)
  const exported = exportedNames(text)
  for (const { line, code } of examples) {
    const prelude = []
    if (!/^\s*import\s/m.test(code)) {
      const used = exported.filter((n) => word(n).test(code) && !declares(code, n))
      if (used.length) prelude.push(`import { ${used.join(', ')} } from '${path.replace(/\.ts$/, '.js')}'`)
    }
    const free = { ...FREE, ...FREE_IN[file] }
    for (const [name, type] of Object.entries(free)) {
      if (word(name).test(code) && !declares(code, name)) prelude.push(`declare const ${name}: ${type}`)
    }
    prelude.push('export {}')
    const name = `${file.replace(/[/.]/g, '_')}_${line}.ts`
    await writeFile(join(out, name), `${prelude.join('\n')}\n${code}\n`)
    origin.set(name, { file, line, offset: prelude.length })
    files.push(name)
  }
}

// Docs whose ```ts blocks are whole modules (they import what they use and declare the clients
// they wrap): each block is type-checked as one, like the examples.
const DOCS = ['docs/keys.md']
for (const doc of DOCS) {
  const text = await readFile(join(root, doc), 'utf8')
  for (const m of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split('\n').length + 1
    const name = `${doc.replace(/[/.]/g, '_')}_${line}.ts`
    await writeFile(join(out, name), `${m[1]}\nexport {}\n`)
    origin.set(name, { file: doc, line, offset: 0 })
    files.push(name)
  }
}

const paths = Object.fromEntries(entries.map((e) => [e.specifier, [join(root, e.source)]]))
await writeFile(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      paths,
    },
    files,
  }),
)

const require = createRequire(join(root, 'package.json'))
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
const result = spawnSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], {
  cwd: root,
  encoding: 'utf8',
})
const report = `${result.stdout}${result.stderr}`
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const m = /^(?:.*[/\\])?([^/\\(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l)
    const at = m && origin.get(m[1])
    if (!at) return l
    return `${at.file}:${at.line + Number(m[2]) - 1 - at.offset}:${m[3]} (@example): ${m[4]}`
  })
if (result.status !== 0) {
  console.error(report.join('\n'))
  console.error(`tsdoc-examples: ${files.length} @example block(s) checked; errors above`)
  process.exit(1)
}
console.log(`tsdoc-examples: ${files.length} @example block(s) type-check`)
