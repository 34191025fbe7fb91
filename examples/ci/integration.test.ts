/**
 * How a producer tests its ECIS integration in CI: vitest + MSW `setupServer` + the shipped mock
 * provider (`ecis-consumer/mock`). No network, no provider sandbox: discovery, consent, code
 * exchange, refresh and every signed ECI request run against a conformant provider, with faults
 * injected where the test wants them.
 *
 * It is written as your test file (your own code is `../sync-invoices.ts`, the nightly job).
 * Run it: `npm run build && npx vitest run --config examples/ci/vitest.config.ts`
 * (in your project: `npm i -D vitest msw` and `npx vitest run`).
 */
import { EciConsentError, EciConsumer, type Grant, type InvoiceDetail } from 'ecis-consumer'
import { createMockProvider } from 'ecis-consumer/mock'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memoryGrantStore, syncInvoices } from '../sync-invoices.js'

const ISSUER = 'https://auth.utility.example'
const RESOURCE = 'https://api.utility.example/eci/v1'
const REDIRECT_URI = 'https://acme.example/eci/callback'

// Your client key pair; the mock provider gets the public half, as the real one would at registration.
const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'ci-key' }
const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'ci-key' }

const provider = createMockProvider({
  issuer: ISSUER,
  resource: RESOURCE,
  asOf: '2026-01-15', // fixed "today": the same data on every run
  clients: [{ clientId: 'acme-solar', redirectUris: [REDIRECT_URI], jwks: { keys: [publicJwk] } }],
})
const server = setupServer(...provider.handlers)

beforeAll(() => server.listen({ onUnhandledFrame: 'error' })) // msw 3: not `onUnhandledRequest`
afterEach(() => {
  provider.clearFaults()
  provider.clearCalls()
})
afterAll(() => server.close())

/** Discovery and a full consent: the mock consents at once and redirects with code, state and iss. */
async function connect(): Promise<{ consumer: EciConsumer; grant: Grant }> {
  const consumer = await EciConsumer.discover({
    issuer: ISSUER,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT_URI,
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const redirect = await fetch(url, { redirect: 'manual' }) // what the customer's browser does
  const grant = await consumer.completeConsent(redirect.headers.get('location') ?? '', transaction)
  return { consumer, grant }
}

describe('ECIS integration', () => {
  it('consents and reads every account', async () => {
    const { consumer, grant } = await connect()
    expect(grant.scopes).toEqual(['eci:basic', 'eci:invoice', 'eci:invoice_detail'])
    const session = consumer.session(grant)
    expect(session.accounts).toContain('0018-102')
    for (const account of session.accounts) {
      expect(await session.basic(account)).toEqual(provider.fixtures.basic(account))
    }
  })

  it('survives two 503s in a row, with a new request JWT per attempt', async () => {
    const { consumer, grant } = await connect()
    const session = consumer.session(grant)
    provider.clearCalls()
    provider.fault({ endpoint: 'eci', status: 503, times: 2 })

    await expect(session.basic('0018-102')).resolves.toEqual(provider.fixtures.basic('0018-102'))

    const eci = provider.calls.filter((c) => c.endpoint === 'eci')
    expect(eci.map((c) => c.status)).toEqual([503, 503, 200])
    expect(new Set(eci.map((c) => c.claims?.jti)).size).toBe(3)
  })

  it('refreshes an expired access token once and hands the rotated grant to onGrant', async () => {
    const { consumer, grant } = await connect()
    const saved: Grant[] = []
    const session = consumer.session(grant, { onGrant: (g) => void saved.push(g) })

    provider.expireAccessTokens() // the next ECI call gets 401 invalid_token
    await expect(session.basic('0018-102')).resolves.toEqual(provider.fixtures.basic('0018-102'))

    expect(saved).toHaveLength(1)
    expect(saved[0]?.refreshToken).not.toBe(grant.refreshToken) // rotated: persist the new one
    expect(provider.calls.filter((c) => c.endpoint === 'token')).toHaveLength(2) // code + one refresh
  })

  it('a revoked consent is an EciConsentError: the customer must consent again', async () => {
    const { consumer, grant } = await connect()
    provider.revokeGrants()
    await expect(consumer.session(grant).basic('0018-102')).rejects.toBeInstanceOf(EciConsentError)
  })
})

describe('the nightly invoice sync (../sync-invoices.ts)', () => {
  const since = '2025-10-01'

  it('stores every invoice since the date, with line items', async () => {
    const { consumer, grant } = await connect()
    const grants = memoryGrantStore([{ customerId: 'c1', grant }])
    const stored: InvoiceDetail[] = []
    const report = await syncInvoices({
      consumer,
      grants,
      since,
      invoices: { upsert: async (_customer, invoice) => void stored.push(invoice) },
      log: () => {},
    })

    const expected = grant.accounts.flatMap((account) =>
      (provider.fixtures.basic(account)?.system_invoice_ids ?? [])
        .map((id) => provider.fixtures.invoiceDetail(account, id))
        .filter((invoice) => invoice !== undefined && invoice.invoice_date >= since),
    )
    expect(expected.length).toBeGreaterThan(0)
    expect(stored).toEqual(expected)
    expect(report.failed).toEqual([])
  })

  it('marks a revoked grant for consent again and leaves it alone on the next run', async () => {
    const { consumer, grant } = await connect()
    const grants = memoryGrantStore([{ customerId: 'c1', grant }])
    const sink = { upsert: async () => {} }
    provider.revokeGrants()

    const first = await syncInvoices({ consumer, grants, invoices: sink, since, log: () => {} })
    expect(first.reconsent).toEqual([{ customerId: 'c1', code: 'ERR_ECI_INVALID_GRANT' }])

    const second = await syncInvoices({ consumer, grants, invoices: sink, since, log: () => {} })
    expect(second.skipped).toEqual(['c1'])
  })

  it('backs off for as long as a rate-limiting provider asks', async () => {
    const { consumer, grant } = await connect()
    const grants = memoryGrantStore([{ customerId: 'c1', grant }])
    // Retry-After beyond the SDK's maxRetryAfter (60 s): the SDK gives up at once, the job reschedules.
    provider.fault({ endpoint: 'eci', status: 429, retryAfter: 900 })

    const report = await syncInvoices({
      consumer,
      grants,
      invoices: { upsert: async () => {} },
      since,
      now: () => 0,
      log: () => {},
    })

    expect(report.rateLimited).toEqual([{ customerId: 'c1', retryAt: 900_000 }])
    expect(grants.rows.get('c1')?.retryAt).toBe(900_000)
  })

  it('does not swallow errors of its own sink', async () => {
    const { consumer, grant } = await connect()
    const grants = memoryGrantStore([{ customerId: 'c1', grant }])
    const sink = {
      upsert: async () => {
        throw new Error('disk full')
      },
    }
    await expect(syncInvoices({ consumer, grants, invoices: sink, since, log: () => {} })).rejects.toThrow('disk full')
  })
})
