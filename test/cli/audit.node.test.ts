import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runDemo } from '../../src/cli/demo.js'
import { main } from '../../src/cli/main.js'
import type { MockProviderServerOptions } from '../../src/mock/node/index.js'
import { ensureBuiltPackage, memoryIo, providerWithStoredGrant, spawnCli } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(options: Partial<MockProviderServerOptions> = {}) {
  const world = await providerWithStoredGrant(options)
  cleanups.push(world.cleanup)
  const run = async (args: string[]) => {
    const m = memoryIo({ ECIS_GRANT_FILE: world.grantFile })
    const code = await main(args, m.io)
    return { code, stdout: m.stdout, stderr: m.stderr }
  }
  // The first granted account that has net-metering credits.
  const fixtures = world.server.provider.fixtures
  const account = world.grant.accounts.find((a) => fixtures.account(a)!.invoices.some((i) => i.credit_new > 0))!
  return { ...world, run, account, fixtures }
}

describe('ecis audit', () => {
  it('prints that every figure adds up, with the credits summed exactly, and exits 0 on a clean history', async () => {
    const w = await setup()
    const { code, stdout, stderr } = await w.run(['audit', w.account])
    const invoices = w.fixtures.account(w.account)!.invoices
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toContain(
      `${invoices.length} invoice(s) of ${w.account}, service ${invoices[0]!.service_period_start} to ${invoices.at(-1)!.service_period_end}: every figure adds up`,
    )
    const carried = invoices[0]!.credit_carryover
    const fresh = invoices.reduce((n, i) => n + i.credit_new, 0)
    const allocated = invoices.reduce((n, i) => n + i.credit_allocated, 0)
    expect(stdout).toMatch(
      new RegExp(
        `credits ${carried} kWh carried in \\+ ${fresh} new − ${allocated} allocated \\(worth \\$\\d+\\.\\d\\d\\) = ${carried + fresh - allocated} kWh remaining`,
      ),
    )
  })

  it('lists each wrong bill as a finding and exits 1 when one is an error', async () => {
    const w = await setup({ billErrors: ['credit-carryover', 'period-gap'] })
    const injected = w.fixtures.billErrors.filter((e) => e.systemAccountId === w.account)
    expect(injected.map((e) => e.kind).sort()).toEqual(['credit-carryover', 'period-gap'])
    const { code, stdout } = await w.run(['audit', w.account])
    expect(code).toBe(1)
    expect(stdout).toMatch(/^invoice +date +severity +check +field +expected +actual$/m)
    for (const e of injected) {
      const detail = w.fixtures.invoiceDetail(w.account, e.systemInvoiceId)!
      expect(stdout).toMatch(new RegExp(`^${e.systemInvoiceId} +${detail.invoice_date} +error +${e.kind} +\\S+`, 'm'))
    }
    expect(stdout).toMatch(/^ {2}1\. \S+: /m)
    expect(stdout).toContain(': 2 errors, 0 warnings')
    // The credit balance no longer closes: the lost carryover shows in the sums too.
    const lost = w.fixtures
      .account(w.account)!
      .invoices.find(
        (i) => i.system_invoice_id === injected.find((e) => e.kind === 'credit-carryover')!.systemInvoiceId,
      )!
    const before = w.fixtures.account(w.account)!.invoices[w.fixtures.account(w.account)!.invoices.indexOf(lost) - 1]!
    expect(stdout).toMatch(
      new RegExp(`, but \\d+ kWh remain: ${before.credit_remaining_total} kWh lost between bills$`, 'm'),
    )
  })

  it('treats an invoice-total difference as a warning (exit 0), or as an error beyond --tolerance (exit 1)', async () => {
    const w = await setup({ billErrors: [{ kind: 'invoice-total', invoice: -1 }] })
    const warned = await w.run(['audit', w.account, '--json'])
    expect(warned.code).toBe(0)
    const report = JSON.parse(warned.stdout)
    const last = w.fixtures.account(w.account)!.invoices.at(-1)!
    expect(report).toMatchObject({ account: w.account, errors: 0, warnings: 1 })
    expect(report.findings).toEqual([
      expect.objectContaining({
        check: 'invoice-total',
        severity: 'warning',
        systemInvoiceId: last.system_invoice_id,
        actual: last.invoice_total.toFixed(2),
        expected: (Math.round(last.invoice_total * 100 - 250) / 100).toFixed(2),
      }),
    ])
    expect(report.credit).toMatchObject({ unit: 'kWh' })
    expect((await w.run(['audit', w.account, '--tolerance', '2.50'])).code).toBe(0)
    const beyond = await w.run(['audit', w.account, '--tolerance', '1.00', '--json'])
    expect(beyond.code).toBe(1)
    expect(JSON.parse(beyond.stdout)).toMatchObject({ errors: 1, warnings: 0 })
  })

  it('reports the credits of a gas account in therm, the credit_unit the mock sends for gas, not kWh', async () => {
    const w = await setup()
    const gas = w.grant.accounts.find((a) => w.fixtures.account(a)!.basic.account_type === 'gas')!
    const invoices = w.fixtures.account(gas)!.invoices
    expect(new Set(invoices.map((i) => [i.delivery_unit, i.credit_unit].join()))).toEqual(new Set(['therm,therm']))
    const { code, stdout } = await w.run(['audit', gas, '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout).credit).toMatchObject({ unit: 'therm' })
  })

  it('audits only invoices dated on or after --since', async () => {
    const w = await setup()
    const invoices = w.fixtures.account(w.account)!.invoices
    const since = invoices.at(-5)!.invoice_date
    const { code, stdout } = await w.run(['audit', w.account, '--since', since, '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      account: w.account,
      since,
      invoices: 5,
      errors: 0,
      warnings: 0,
      credit: expect.any(Object),
      findings: [],
    })
  })

  it.each([
    [['audit'], 'missing ACCOUNT'],
    [['audit', 'A', '--since', '2025-13-01'], '--since must be a YYYY-MM-DD date'],
    [['audit', 'A', '--tolerance', 'five'], '--tolerance must be an amount in USD such as 5.00'],
    [['audit', 'A', '--tolerance=-1'], '--tolerance must be an amount in USD such as 5.00'],
    [['audit', 'A', '--rounding', 'bankers'], '--rounding must be one of half-up, half-even, down, up'],
    [['audit', 'A', '--contiguity', 'weekly'], '--contiguity must be next-day or same-day'],
  ])('is a usage error (exit 2) for %j', async (args, message) => {
    const m = memoryIo()
    expect(await main(args, m.io)).toBe(2)
    expect(m.stderr).toContain(`ecis: ${message}`)
    expect(m.stderr).toContain('Usage: ecis audit ACCOUNT')
  })
})

describe('the ecis binary', () => {
  beforeAll(() => ensureBuiltPackage(), 120_000)

  it('audits over loopback as a real process: findings on stdout and exit code 1', async () => {
    const w = await setup({ billErrors: ['line-total'] })
    const cli = spawnCli(['audit', w.account, '--grant-file', w.grantFile])
    expect(await cli.exit).toBe(1)
    const injected = w.fixtures.billErrors.find((e) => e.systemAccountId === w.account)!
    expect(cli.stdout).toMatch(
      new RegExp(`^${injected.systemInvoiceId} .* error +line-total +distribution_total `, 'm'),
    )
    expect(cli.stdout).toContain(': 1 error, 0 warnings')
    expect(cli.stderr).toBe('')
  })

  it('serves wrong bills with ecis mock --bill-errors and says so', async () => {
    const mock = spawnCli(['mock', '--port', '0', '--consent', 'auto', '--bill-errors', 'period-gap,due-date'])
    cleanups.push(async () => {
      if (mock.child.exitCode === null) mock.child.kill('SIGTERM')
      await mock.exit
    })
    await mock.waitFor(
      /bills {6}wrong on purpose: due-date ×\d+, period-gap ×\d+ \("ecis audit ACCOUNT" reports them\)/,
    )
    const refused = spawnCli(['mock', '--bill-errors', 'typo'])
    expect(await refused.exit).toBe(2)
    expect(refused.stderr).toContain('ecis: --bill-errors must be one of line-total, invoice-total')
  })
})

describe('ecis demo', () => {
  it("ends with the money audit of every account's history", async () => {
    const lines: string[] = []
    await runDemo({ seed: 2, last: 1, out: (l) => lines.push(l) })
    const text = lines.join('\n')
    const audit = text.slice(text.indexOf('6. Money audit'))
    expect(audit).toMatch(
      /^6\. Money audit \(auditHistory: exact amounts, credits carried over, contiguous periods\)$/m,
    )
    const accounts = text.match(/^5\.\d+ (\S+)/gm)!.map((m) => m.split(' ').at(-1))
    for (const account of accounts)
      expect(audit).toMatch(new RegExp(`\\d+ invoice\\(s\\) of ${account}, service .*: every figure adds up`))
    expect(audit).toMatch(
      /credits \d+ kWh carried in \+ \d+ new − \d+ allocated \(worth \$\d+\.\d\d\) = \d+ kWh remaining/,
    )
  })
})
