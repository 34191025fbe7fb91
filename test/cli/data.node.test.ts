import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { memoryIo, providerWithStoredGrant } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(options: Parameters<typeof providerWithStoredGrant>[0] = {}) {
  const world = await providerWithStoredGrant(options)
  cleanups.push(world.cleanup)
  const run = async (args: string[], extra: Parameters<typeof memoryIo>[1] = {}, env = {}) => {
    const m = memoryIo(env, extra)
    const code = await main(args, m.io)
    return { code, stdout: m.stdout, stderr: m.stderr }
  }
  const account = world.grant.accounts[0] as string
  const fixture = world.server.provider.fixtures
  return { ...world, run, account, fixture }
}

function noSecrets(text: string, grant: { accessToken: string; refreshToken?: string | undefined }) {
  expect(text).not.toContain(grant.accessToken)
  if (grant.refreshToken) expect(text).not.toContain(grant.refreshToken)
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\./)
}

describe('ecis accounts', () => {
  it('lists the granted accounts from the grant file, as a table or JSON without tokens', async () => {
    const w = await setup()
    const table = await w.run(['accounts'], {}, { ECIS_GRANT_FILE: w.grantFile })
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(`provider   ${w.server.issuer} (client acme-solar)`)
    expect(table.stdout).toContain('scopes     eci:basic eci:invoice eci:invoice_detail')
    for (const a of w.grant.accounts) expect(table.stdout).toMatch(new RegExp(`^${a}$`, 'm'))
    const asJson = await w.run(['accounts', '--json', '--grant-file', w.grantFile])
    expect(JSON.parse(asJson.stdout)).toEqual({
      issuer: w.server.issuer,
      clientId: 'acme-solar',
      resource: w.server.resource,
      scopes: w.grant.scopes,
      accounts: w.grant.accounts,
      expiresAt: w.grant.expiresAt,
      expired: false,
      refreshable: true,
    })
    noSecrets(table.stdout + asJson.stdout, w.grant)
  })

  it('says where the grant is missing (exit 1) and finds the default location under HOME', async () => {
    const w = await setup()
    const missing = await w.run(['accounts'], {}, { HOME: join(w.keys.dir, 'nohome') })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(
      `ecis: EciConfigError [ERR_ECI_INVALID_OPTION]: No grant at ${join(w.keys.dir, 'nohome', '.config', 'ecis', 'grant.json')}: run "ecis consent" first, or pass --grant-file\n`,
    )
  })
})

describe('ecis basic / invoice / invoice-detail', () => {
  it('prints each response as a field table, or as JSON only on stdout', async () => {
    const w = await setup()
    const g = ['--grant-file', w.grantFile]
    const basic = await w.run(['basic', w.account, ...g])
    expect(basic.code).toBe(0)
    expect(basic.stdout).toMatch(new RegExp(`^system_account_id +${w.account}$`, 'm'))
    expect(basic.stdout).toMatch(/^meter_number +\S+$/m)
    expect(basic.stdout).toMatch(/^system_invoice_ids +\d+: \S+, \S+ … \S+ \(--json lists all\)$/m)
    const basicJson = JSON.parse((await w.run(['basic', w.account, '--json', ...g])).stdout)
    expect(basicJson.system_account_id).toBe(w.account)
    const invoiceId = basicJson.system_invoice_ids.at(-1) as string

    const invoice = await w.run(['invoice', w.account, invoiceId, '--json', ...g])
    expect(invoice.code).toBe(0)
    expect(invoice.stderr).toBe('')
    const inv = JSON.parse(invoice.stdout)
    expect(inv).toMatchObject({ system_account_id: w.account, system_invoice_id: invoiceId })
    expect(inv.service_period_end).toMatch(/^\d{4}-\d{2}-\d{2}$/) // canonical spelling

    const detail = await w.run(['invoice-detail', w.account, invoiceId, ...g])
    expect(detail.code).toBe(0)
    expect(detail.stdout).toMatch(/^energy_consumption_quantity +[\d.]+$/m)
    noSecrets(basic.stdout + invoice.stdout + detail.stdout + detail.stderr, w.grant)
  })

  it('takes the key from --key when no sidecar config names it, and fails clearly without one', async () => {
    const w = await setup()
    const { rm } = await import('node:fs/promises')
    await rm(w.grantFile.replace(/\.json$/, '.config.json'))
    const noKey = await w.run(['basic', w.account, '--grant-file', w.grantFile, '--allow-insecure'])
    expect(noKey.code).toBe(1)
    expect(noKey.stderr).toMatch(
      /^ecis: EciConfigError \[ERR_ECI_INVALID_KEY\]: No key for the grant at .+: pass --key FILE/,
    )
    const withKey = await w.run([
      'basic',
      w.account,
      '--grant-file',
      w.grantFile,
      '--allow-insecure',
      '--key',
      w.keys.keyPath,
    ])
    expect(withKey.code).toBe(0)
    // Without --allow-insecure (and no config saying so) an http:// provider is refused.
    const insecure = await w.run(['basic', w.account, '--grant-file', w.grantFile, '--key', w.keys.keyPath])
    expect(insecure.code).toBe(1)
    expect(insecure.stderr).toMatch(/^ecis: EciConfigError \[ERR_ECI_INVALID_OPTION\]: /)
  })

  it('reports provider refusals as one EciHttpError line, without tokens', async () => {
    const w = await setup()
    const r = await w.run(['basic', '9999-999', '--grant-file', w.grantFile])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ecis: EciHttpError \[ERR_ECI_HTTP\]: .+ 404 not_found .+\n$/)
    expect(r.stdout).toBe('')
    noSecrets(r.stderr, w.grant)
  })

  it("names the grant's accounts when the provider answers 404 for an account the grant does not hold", async () => {
    const w = await setup()
    for (const args of [
      ['basic', '9999-999'],
      ['invoices', '9999-999'],
      ['audit', '9999-999', '--json'],
    ]) {
      const r = await w.run([...args, '--grant-file', w.grantFile])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`404 not_found`)
      expect(r.stderr).toContain(
        `9999-999 is not one of the grant's accounts: ${w.grant.accounts.join(', ')} (see "ecis accounts")`,
      )
      expect(r.stdout).toBe('')
    }
    // An account the grant holds keeps the provider's plain answer.
    w.server.provider.fault({ endpoint: 'eci', status: 404, times: 1 })
    const granted = await w.run(['basic', w.grant.accounts[0]!, '--grant-file', w.grantFile])
    expect(granted.stderr).toContain('404')
    expect(granted.stderr).not.toContain("grant's accounts")
  })

  it('rewrites the grant file (0600) when the session refreshes the tokens', async () => {
    const w = await setup()
    w.server.provider.expireAccessTokens()
    const r = await w.run(['basic', w.account, '--json', '--grant-file', w.grantFile])
    expect(r.code).toBe(0)
    const stored = JSON.parse(await readFile(w.grantFile, 'utf8'))
    expect(stored.accessToken).not.toBe(w.grant.accessToken)
    expect(stored.refreshToken).not.toBe(w.grant.refreshToken)
    expect((await stat(w.grantFile)).mode & 0o777).toBe(0o600)
    expect((await stat(join(w.keys.dir, 'state'))).mode & 0o777).toBe(0o700)
    // The sidecar holds the key's path, never the key.
    const config = await readFile(w.grantFile.replace(/\.json$/, '.config.json'), 'utf8')
    expect(JSON.parse(config)).toEqual({ keyPath: w.keys.keyPath, allowInsecureRequests: true })
    expect(config).not.toContain(w.keys.privateJwk.d as string)
  })

  it('validates strictly by default; --lenient accepts deviations and reports each on stderr', async () => {
    const w = await setup({ dialect: 'deviant' })
    const strict = await w.run(['basic', w.account, '--grant-file', w.grantFile])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/^ecis: EciValidationError \[ERR_ECI_VALIDATION\]: .+\n {2}next_read_date: /m)
    const lenient = await w.run(['basic', w.account, '--lenient', '--json', '--grant-file', w.grantFile])
    expect(lenient.code).toBe(0)
    expect(JSON.parse(lenient.stdout).system_account_id).toBe(w.account)
    expect(lenient.stderr).toMatch(/^ecis: deviation date-time at next_read_date: /m)
  })

  it('refuses wrong arguments with exit code 2 and the command usage', async () => {
    const w = await setup()
    for (const [args, usage] of [
      [['basic'], 'ecis basic ACCOUNT'],
      [['invoice', 'a'], 'ecis invoice ACCOUNT INVOICE'],
      [['invoice-detail', 'a', 'b', 'c'], 'ecis invoice-detail ACCOUNT INVOICE'],
      [['invoices', 'a', '--concurrency', '0'], 'ecis invoices ACCOUNT'],
      [['invoices', 'a', '--since', '2024-13-01'], 'ecis invoices ACCOUNT'],
      [['accounts', '--key', 'k'], 'ecis accounts'],
    ] as const) {
      const r = await w.run([...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain(`\n\nUsage: ${usage}`)
    }
  })
})

describe('ecis invoices', () => {
  it('prints the history in the provider order with details, --since filtering, a plain count on a non-TTY stderr', async () => {
    const w = await setup()
    const ids = w.fixture.account(w.account)?.invoices.map((i) => i.system_invoice_id) ?? []
    expect(ids.length).toBeGreaterThanOrEqual(24)
    const all = await w.run(['invoices', w.account, '--json', '--grant-file', w.grantFile])
    expect(all.code).toBe(0)
    const invoices = JSON.parse(all.stdout) as { system_invoice_id: string; invoice_date: string }[]
    expect(invoices.map((i) => i.system_invoice_id)).toEqual(ids)
    expect(all.stderr).toBe(`${ids.length}/${ids.length} invoices of ${w.account} fetched\n`)

    const since = invoices[invoices.length - 3]?.invoice_date as string
    const recent = await w.run([
      'invoices',
      w.account,
      '--detail',
      '--since',
      since,
      '--concurrency',
      '2',
      '--grant-file',
      w.grantFile,
    ])
    expect(recent.code).toBe(0)
    expect(recent.stdout).toMatch(/^invoice +date +service period +usage +charges +credit used +total +due +status$/m)
    expect(recent.stdout).toContain(`3 invoice(s) since ${since} of ${w.account} with details`)
  })

  it('--since fetches only the invoices from the cut on, and its progress line counts what was fetched', async () => {
    const w = await setup()
    const invoices = w.fixture.account(w.account)?.invoices ?? []
    const since = invoices[invoices.length - 2]?.invoice_date as string
    w.server.provider.clearCalls()
    const r = await w.run(['invoices', w.account, '--since', since, '--json', '--grant-file', w.grantFile])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toHaveLength(2)
    const eci = w.server.provider.calls.filter((c) => c.endpoint === 'eci')
    const searched = eci.filter((c) => c.claims?.eci_request_type === 'invoice').length
    // One Basic, a binary search of about log2(n) + 1 Invoice requests; the two found are reused.
    expect(searched).toBeLessThanOrEqual(Math.ceil(Math.log2(invoices.length)) + 1)
    expect(eci).toHaveLength(1 + searched)
    expect(r.stderr).toBe(
      `2/2 invoices of ${w.account} fetched\n${searched} Invoice request(s) found the first invoice since ${since}\n`,
    )
  })

  it('draws a progress bar when stderr is a terminal', async () => {
    const w = await setup()
    let err = ''
    const r = await w.run(['invoices', w.account, '--grant-file', w.grantFile], {
      stderr: {
        isTTY: true,
        columns: 100,
        write: (t: string) => {
          err += t
          return true
        },
      },
    })
    expect(r.code).toBe(0)
    expect(err).toMatch(/\r\[█+░*\] 1\/\d+ invoices of /)
    expect(err).toMatch(/\r\[█+\] (\d+)\/\1 invoices of /)
    expect(err.endsWith('\r\x1b[2K')).toBe(true)
  })
})
