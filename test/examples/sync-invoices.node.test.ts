/** examples/sync-invoices.ts: the nightly job against the mock provider on loopback, and the script as users run it. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage, ROOT } from './package-build.js'

type JobModule = typeof import('../../examples/sync-invoices.js')
type Sdk = typeof import('ecis-consumer')
type MockServer = Awaited<ReturnType<typeof import('ecis-consumer/mock/node')['startMockProviderServer']>>

let job: JobModule
let sdk: Sdk
let mock: MockServer
let privateJwk: JsonWebKey & { kid: string }
const REDIRECT = 'http://127.0.0.1/eci/callback'
const SINCE = '2025-07-01'

beforeAll(async () => {
  await ensureBuiltPackage()
  job = await import('../../examples/sync-invoices.js')
  sdk = await import('ecis-consumer')
  const { startMockProviderServer } = await import('ecis-consumer/mock/node')
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'k1' }
  const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'k1' }
  mock = await startMockProviderServer({
    seed: 3,
    clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [publicJwk] } }],
  })
}, 180_000)

afterAll(async () => {
  await mock?.close()
})

/** A consumer and one customer's grant (the mock consents automatically). */
async function customer() {
  const consumer = await sdk.EciConsumer.discover({
    issuer: mock.issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
    retry: { limit: 2, backoffLimit: 20 },
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const redirect = await fetch(url, { redirect: 'manual' })
  return { consumer, grant: await consumer.completeConsent(redirect.headers.get('location') ?? '', transaction) }
}

function expectedSince(accounts: string[]) {
  const f = mock.provider.fixtures
  return accounts.flatMap((account) =>
    f
      .basic(account)!
      .system_invoice_ids.map((id) => f.invoiceDetail(account, id)!)
      .filter((invoice) => invoice.invoice_date >= SINCE),
  )
}

describe('examples/sync-invoices.ts', () => {
  it('stores every invoice since the date, surviving two 503s and persisting the refreshed grant', async () => {
    const { consumer, grant } = await customer()
    const grants = job.memoryGrantStore([{ customerId: 'c1', grant }])
    const invoices: unknown[] = []
    mock.provider.expireAccessTokens() // the first call refreshes; onGrant saves the rotation
    mock.provider.fault({ endpoint: 'eci', status: 503, times: 2 })

    const report = await job.syncInvoices({
      consumer,
      grants,
      since: SINCE,
      log: () => {},
      invoices: {
        upsert: async (_customerId, invoice) => {
          invoices.push(invoice)
        },
      },
    })

    expect(invoices).toEqual(expectedSince(grant.accounts))
    expect(report.synced.map((s) => s.account)).toEqual(grant.accounts)
    expect(report.synced.reduce((n, s) => n + s.invoices, 0)).toBe(invoices.length)
    expect(report.failed).toEqual([])
    const saved = JSON.parse(grants.rows.get('c1')!.grant)
    expect(saved.refreshToken).not.toBe(grant.refreshToken)
    expect(saved.accessToken).not.toBe(grant.accessToken)
  })

  it('marks a grant whose consent was withdrawn, goes on with the others, and skips it next time', async () => {
    const revoked = await customer()
    mock.provider.revokeGrants()
    const { consumer, grant } = await customer()
    const grants = job.memoryGrantStore([
      { customerId: 'gone', grant: revoked.grant },
      { customerId: 'ok', grant },
    ])
    const sink = { upsert: async () => {} }

    const first = await job.syncInvoices({ consumer, grants, invoices: sink, since: SINCE, log: () => {} })
    expect(first.reconsent).toEqual([{ customerId: 'gone', code: sdk.ErrorCode.INVALID_GRANT }])
    expect(first.synced.every((s) => s.customerId === 'ok')).toBe(true)
    expect(grants.rows.get('gone')?.reconsentReason).toBe('ERR_ECI_INVALID_GRANT')

    const second = await job.syncInvoices({ consumer, grants, invoices: sink, since: SINCE, log: () => {} })
    expect(second.skipped).toEqual(['gone'])
  })

  it('reschedules a rate-limited customer after retryAfter, and records other failures by code', async () => {
    const { consumer, grant } = await customer()
    const grants = job.memoryGrantStore([{ customerId: 'c1', grant }])
    const sink = { upsert: async () => {} }
    mock.provider.fault({ endpoint: 'eci', status: 429, retryAfter: 600 }) // beyond maxRetryAfter: surfaces at once

    const limited = await job.syncInvoices({
      consumer,
      grants,
      invoices: sink,
      since: SINCE,
      log: () => {},
      now: () => 1_000,
    })
    expect(limited.rateLimited).toEqual([{ customerId: 'c1', retryAt: 601_000 }])
    const skipped = await job.syncInvoices({
      consumer,
      grants,
      invoices: sink,
      since: SINCE,
      log: () => {},
      now: () => 2_000,
    })
    expect(skipped.skipped).toEqual(['c1'])

    mock.provider.fault({ endpoint: 'eci', body: 'invalid' }) // a response that breaks the schema
    const broken = await job.syncInvoices({
      consumer,
      grants,
      invoices: sink,
      since: SINCE,
      log: () => {},
      now: () => 700_000,
    })
    expect(broken.failed).toEqual([{ customerId: 'c1', code: sdk.ErrorCode.VALIDATION_FAILED }])
  })

  it('runs as a script with Node’s type stripping: `node examples/sync-invoices.ts`', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [join(ROOT, 'examples/sync-invoices.ts')], { cwd: ROOT })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => {
          stdout += d
        })
        child.stderr.on('data', (d) => {
          stderr += d
        })
        child.on('error', reject)
        child.on('exit', (exit) => resolve({ code: exit, stdout, stderr }))
      },
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/0018-102: \d+ invoice\(s\) since \d{4}-\d{2}-\d{2}/)
    expect(stdout).toMatch(/Done: [1-9]\d* invoice\(s\) stored, 0 grant\(s\) need consent, 0 rate limited, 0 failed\./)
  }, 60_000)
})
