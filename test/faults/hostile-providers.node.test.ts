/**
 * The hostile-provider suite (`npm run test:faults`, and part of `npm test`): about a hundred
 * cases of a provider that misbehaves on real loopback sockets, each driven through the public
 * API and bounded in time and memory, with one collector that checks every error, deviation and
 * CLI line for the secrets the hostile servers really received. The rows go to
 * `.vitest/faults.json`; `scripts/faults-table.mjs` prints them as the table.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cliCases } from './cases/cli.js'
import { eciCases } from './cases/eci.js'
import { metadataCases } from './cases/metadata.js'
import { jwksCases, parCases, revocationCases, tokenCases } from './cases/oauth.js'
import { SecretCollector } from './collector.js'
import { type FaultCase, type Keys, makeKeys, type Row, runCase } from './harness.js'

const cases: FaultCase[] = [
  ...eciCases,
  ...metadataCases,
  ...tokenCases,
  ...jwksCases,
  ...parCases,
  ...revocationCases,
  ...cliCases,
]

const collector = new SecretCollector()
const rows: Row[] = []
const knownBroken = new Set<string>()
let keys: Keys

beforeAll(async () => {
  keys = await makeKeys()
})

afterAll(async () => {
  await mkdir('.vitest', { recursive: true })
  const kinds: Record<string, number> = {}
  for (const label of collector.secrets.values()) {
    const kind = label.replace(/ \(.*$/, '').replace(/ (sent to|in the query to) .*$/, '')
    kinds[kind] = (kinds[kind] ?? 0) + 1
  }
  await writeFile(
    '.vitest/faults.json',
    `${JSON.stringify({ rows, collected: collector.seen.length, secrets: collector.secrets.size, kinds }, null, 2)}\n`,
  )
})

for (const c of cases) {
  const label = `${c.area} › ${c.name}`
  if (c.broken) knownBroken.add(label)
  const test = c.broken ? it.fails : it
  test(
    `${label}: ${c.expect.outcome}${c.expect.code ? ` ${c.expect.code}` : ''}`,
    async () => {
      const { row, failures } = await runCase(c, keys, collector)
      rows.push(row)
      expect(failures).toEqual([])
    },
    c.limitMs ?? 15_000,
  )
}

it('one collector saw every error, deviation and CLI line, and none holds a secret the providers received', () => {
  const captured = [...collector.captured]
  const labels = [...collector.secrets.values()]
  // The real secrets were captured from the wire, not only the suite's own constants.
  for (const kind of [
    'request JWT sent to /eci',
    'Bearer credentials sent to /eci',
    'DPoP proof sent to /eci',
    'DPoP credentials sent to /eci',
    'client_assertion sent to /token',
    'client_assertion sent to /par',
    'code sent to /token',
    'code_verifier sent to /token',
    'refresh_token sent to /token',
    'token sent to /revoke',
    'client secret sent to /token',
  ]) {
    expect(captured.includes(kind), kind).toBe(true)
  }
  expect(labels).toContain('client key private d')
  expect(collector.seen.filter((s) => s.source.endsWith('output line')).length).toBeGreaterThan(5)
  expect(collector.seen.filter((s) => s.source.endsWith('onDeviation')).length).toBeGreaterThan(0)
  const leaks = collector.leaks().filter((leak) => ![...knownBroken].some((b) => leak.includes(b)))
  expect(leaks).toEqual([])
})
