#!/usr/bin/env node
// `npm run test:faults`: runs the hostile-provider suite (test/faults, Node, real loopback
// providers) and then prints its table (scripts/faults-table.mjs). Exit code: vitest's, else the
// table's (1 when a case failed). Extra arguments go to vitest, e.g. `-t "token ›"`.

import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1

const tests = run([vitest, 'run', '--project', 'node', 'test/faults', ...process.argv.slice(2)])
const table = run([join(root, 'scripts/faults-table.mjs')])
process.exit(tests || table)
