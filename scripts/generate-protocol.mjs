#!/usr/bin/env node
// `npm run protocol`: writes docs/schema/*.schema.json (JSON Schema 2020-12 of the wire objects)
// and docs/openapi.json (OpenAPI 3.1) from the zod schemas, via scripts/protocol/documents.ts.
// test/protocol fails when the committed files drift from what this writes.
//
// The generator is TypeScript importing src/ (with .js specifiers), so esbuild bundles it first.

import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = join(root, 'node_modules', '.cache', 'ecis-protocol', 'documents.mjs')
await build({
  absWorkingDir: root,
  entryPoints: ['scripts/protocol/documents.ts'],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
})
try {
  const { protocolDocuments, serialize } = await import(pathToFileURL(bundle).href)
  const documents = protocolDocuments(root)
  for (const [path, document] of Object.entries(documents)) {
    const file = join(root, 'docs', path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, serialize(document))
  }
  console.log(
    `protocol: wrote ${Object.keys(documents)
      .map((p) => `docs/${p}`)
      .join(', ')}`,
  )
} finally {
  await rm(dirname(bundle), { recursive: true, force: true })
}
