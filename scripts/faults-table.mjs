#!/usr/bin/env node
// Prints the table of the hostile-provider suite from .vitest/faults.json (written by
// test/faults/hostile-providers.node.test.ts): case, what the provider did, the EciError class and
// code seen, the requests the hostile servers saw, time to fail and peak RSS growth.
//
// Usage: node scripts/faults-table.mjs [--markdown]   (exit 1 when a row failed or none exist)

import { readFile } from 'node:fs/promises'

const markdown = process.argv.includes('--markdown')
let report
try {
  report = JSON.parse(await readFile('.vitest/faults.json', 'utf8'))
} catch {
  console.error('faults table: no .vitest/faults.json; run the suite first (npm run test:faults)')
  process.exit(1)
}

const header = ['case', 'what the provider did', 'error seen', 'code', 'requests', 'ms', 'RSS MB', 'result']
// Notes (why a case failed, or the known defect) go below the table, numbered.
const notes = []
const rows = report.rows.map((r) => {
  let result = r.status
  if (r.note) {
    notes.push(`${r.area} › ${r.name}: ${r.note}`)
    result += ` [${notes.length}]`
  }
  return [`${r.area} › ${r.name}`, r.did, r.seen, r.code, r.attempts, String(r.ms), r.rss, result]
})

if (markdown) {
  const cell = (v) => v.replaceAll('|', '\\|')
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.map(cell).join(' | ')} |`)
} else {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const numeric = new Set([5, 6])
  const line = (cells) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
  console.log(line(header))
  console.log(line(widths.map((w) => '─'.repeat(w))))
  for (const row of rows) console.log(line(row))
}

if (notes.length > 0) console.log(`\n${notes.map((n, i) => `[${i + 1}] ${n}`).join('\n')}`)

const failed = report.rows.filter((r) => r.status === 'FAIL').length
const broken = report.rows.filter((r) => r.status === 'known broken').length
const slowest = Math.max(...report.rows.map((r) => r.ms))
const rss = Math.max(
  ...report.rows.filter((r) => r.status === 'pass' && !r.rss.includes('child')).map((r) => Number(r.rss)),
)
console.log(
  `\n${report.rows.length} cases: ${report.rows.length - failed - broken} pass, ${broken} known broken, ${failed} failed; ` +
    `slowest ${slowest} ms, largest RSS growth of a passing case ${rss.toFixed(1)} MB; the collector checked ${report.collected} errors, ` +
    `deviations and CLI lines against ${report.secrets} secrets received on the wire.`,
)
process.exit(failed > 0 || report.rows.length === 0 ? 1 : 0)
