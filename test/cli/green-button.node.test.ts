import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEspiFeed } from '../../src/mock/index.js'
import { ecis, ensureBuiltPackage } from './support.js'

let dir: string
let file: string
let tampered: string
const generated = generateEspiFeed({
  seed: 21,
  months: 3,
  usagePoints: [
    { service: 'electricity', interval: 3600 },
    { service: 'gas', bills: 'costed-readings' },
  ],
})

beforeAll(async () => {
  await ensureBuiltPackage()
  dir = await mkdtemp(join(tmpdir(), 'ecis-gb-'))
  file = join(dir, 'Download_My_Data.xml')
  await writeFile(file, generated.xml)
  const first = generated.bills[0]!
  tampered = join(dir, 'tampered.xml')
  await writeFile(
    tampered,
    generated.xml.replace(
      `<billLastPeriod>${first.totalCents * 1000}<`,
      `<billLastPeriod>${first.totalCents * 1000 + 500}<`,
    ),
  )
}, 300_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

const dollars = (cents: number) => (cents / 100).toFixed(2)

describe('ecis green-button (the built binary as a real process)', () => {
  it('bills: one table row per bill with the exact total, and the count', async () => {
    const { code, stdout, stderr } = await ecis(['green-button', 'bills', file])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^usage point +service +period +consumption +total +charge lines +source$/m)
    for (const bill of generated.bills) expect(stdout).toContain(`${dollars(bill.totalCents)} USD`)
    expect(stdout).toContain(`${generated.bills.length} bill(s) of 2 usage point(s)`)
    expect(stdout).toMatch(/gas +2025-01-01 → 2025-01-31 +\S+ therm +\S+ USD +0\/0 +IntervalReading/)
  })

  it('bills --json: amounts as exact decimal strings; --csv: a header and one line per bill', async () => {
    const json = await ecis(['green-button', 'bills', file, '--json'])
    const bills = JSON.parse(json.stdout) as { total: string; periodStartDate: string; source: string }[]
    expect(bills.map((b) => b.total)).toEqual(generated.bills.map((b) => `${dollars(b.totalCents)}000`))
    expect(bills[0]).toMatchObject({ periodStartDate: '2025-01-01', source: 'UsageSummary' })
    const csv = await ecis(['green-button', 'bills', file, '--csv'])
    const lines = csv.stdout.trim().split('\n')
    expect(lines[0]).toBe('usage point,service,period,consumption,total,charge lines,source')
    expect(lines).toHaveLength(generated.bills.length + 1)
  })

  it('usage --by month: one row per meter reading and local month, readings counted', async () => {
    const { code, stdout } = await ecis(['green-button', 'usage', file, '--by', 'month', '--json'])
    expect(code).toBe(0)
    const series = JSON.parse(stdout) as { by: string; totals: { period: string; readings: number }[] }[]
    const hourly = series[0]!
    expect(hourly.totals.map((t) => t.period)).toEqual(['2025-01', '2025-02', '2025-03'])
    // 31 + 28 + 31 days of hourly readings, one hour less on the spring DST day.
    expect(hourly.totals.map((t) => t.readings)).toEqual([744, 672, 743])
  })

  it('audit: exit 0 when every figure adds up, exit 1 with the finding when a total is off', async () => {
    const ok = await ecis(['green-button', 'audit', file])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('every figure adds up')
    const bad = await ecis(['green-button', 'audit', tampered])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/error +line-items-total/)
    expect(bad.stdout).toContain('1 error(s), 0 warning(s)')
    const tolerated = await ecis(['green-button', 'audit', tampered, '--tolerance', '0.01'])
    expect(tolerated.code).toBe(0)
  })

  it('a file that is not ESPI: exit 1 with the validation error on stderr; a usage mistake: exit 2', async () => {
    const notEspi = join(dir, 'not-espi.xml')
    await writeFile(notEspi, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><feed/>')
    const bad = await ecis(['green-button', 'bills', notEspi])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/EciValidationError \[ERR_ECI_VALIDATION\]: .*DOCTYPE/)
    const usage = await ecis(['green-button', 'invoices', file])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/unknown green-button command "invoices": bills, usage or audit/)
  })
})
