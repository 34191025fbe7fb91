#!/usr/bin/env node
// `npm run docs`: the API reference of every package entry (package.json `exports`), built by
// typedoc into docs-site/api/ (not committed). typedoc.json makes any warning an error, an
// undocumented export included, so this fails on a gap in the TSDoc.
//
// Usage: node scripts/api-docs.mjs [typedoc options…]

import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageEntries } from './lib/entries.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(join(root, 'package.json'))
const typedoc = join(dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc')
const sources = packageEntries(root).map((e) => e.source)
const result = spawnSync(
  process.execPath,
  [typedoc, '--options', 'typedoc.json', ...process.argv.slice(2), ...sources],
  {
    cwd: root,
    stdio: 'inherit',
  },
)
process.exit(result.status ?? 1)
