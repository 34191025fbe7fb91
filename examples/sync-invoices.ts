/**
 * A nightly job: for every stored grant, fetch each account's new invoices with line items
 * (`session.invoices(account, { detail: true, concurrency: 4, since })`), persist rotated grants
 * through `onGrant`, and handle failures by error class and code:
 *
 *   EciConsentError            → the customer must consent again: mark the grant, skip it from now on
 *   EciHttpError 429           → the provider is rate limiting: retry that customer after `retryAfter` seconds
 *   anything else              → log it and retry the customer on the next run; other customers go on
 *
 * `syncInvoices()` is the job; plug in your database through the `GrantStore` and `InvoiceSink`
 * interfaces. Run the demo (an embedded mock provider, one consenting customer, a two-month window):
 *
 *   npm run build && npx node examples/sync-invoices.ts
 */
import { EciConsentError, EciConsumer, EciError, EciHttpError, type Grant, type InvoiceDetail } from 'ecis-consumer'
import { startMockProviderServer } from 'ecis-consumer/mock/node'

/** A stored grant, as your `grants` table holds it. */
export interface StoredGrant {
  customerId: string
  grant: Grant
  /** Set when the customer must consent again; the job skips such grants. */
  reconsentReason?: string
  /** Epoch ms before which the job leaves this customer alone (rate limiting). */
  retryAt?: number
}

export interface GrantStore {
  list(): Promise<StoredGrant[]>
  /** Persist a rotated grant: the old refresh token is dead after rotation. */
  save(customerId: string, grant: Grant): Promise<void>
  markForReconsent(customerId: string, reason: string): Promise<void>
  retryAfter(customerId: string, retryAt: number): Promise<void>
}

export interface InvoiceSink {
  /** Insert or update one invoice (idempotent: the job may fetch an invoice twice). */
  upsert(customerId: string, invoice: InvoiceDetail): Promise<void>
}

export interface SyncOptions {
  consumer: EciConsumer
  grants: GrantStore
  invoices: InvoiceSink
  /** Only invoices dated on or after this `YYYY-MM-DD` day (e.g. 60 days ago). */
  since: string
  /** @default console.log */
  log?: (line: string) => void
  /** @default Date.now */
  now?: () => number
}

export interface SyncReport {
  synced: { customerId: string; account: string; invoices: number }[]
  reconsent: { customerId: string; code: string }[]
  rateLimited: { customerId: string; retryAt: number }[]
  failed: { customerId: string; code: string }[]
  skipped: string[]
}

export async function syncInvoices(options: SyncOptions): Promise<SyncReport> {
  const { consumer, grants, invoices, since } = options
  const log = options.log ?? console.log
  const now = options.now ?? Date.now
  const report: SyncReport = { synced: [], reconsent: [], rateLimited: [], failed: [], skipped: [] }

  for (const stored of await grants.list()) {
    const { customerId } = stored
    if (stored.reconsentReason || (stored.retryAt !== undefined && stored.retryAt > now())) {
      report.skipped.push(customerId)
      continue
    }
    // One session per grant; every refresh rotates the grant, and onGrant is awaited before the
    // call that caused it goes on, so the new refresh token is saved before anything else runs.
    const session = consumer.session(stored.grant, { onGrant: (g) => grants.save(customerId, g) })
    try {
      for (const account of session.accounts) {
        let count = 0
        for await (const invoice of session.invoices(account, { detail: true, concurrency: 4, since })) {
          await invoices.upsert(customerId, invoice)
          count++
        }
        report.synced.push({ customerId, account, invoices: count })
        log(`${customerId} ${account}: ${count} invoice(s) since ${since}`)
      }
    } catch (error) {
      if (error instanceof EciConsentError) {
        // invalid_grant on refresh, a revoked grant: nothing but a new consent helps.
        await grants.markForReconsent(customerId, error.code)
        report.reconsent.push({ customerId, code: error.code })
        log(`${customerId}: needs consent again (${error.code})`)
      } else if (error instanceof EciHttpError && error.status === 429) {
        // The SDK already retried within its policy; come back when the provider says so.
        const retryAt = now() + (error.retryAfter ?? 3600) * 1000
        await grants.retryAfter(customerId, retryAt)
        report.rateLimited.push({ customerId, retryAt })
        log(`${customerId}: rate limited, retry after ${new Date(retryAt).toISOString()}`)
      } else if (error instanceof EciError) {
        // Network, 5xx after retries, a response that breaks the schema …: try again next run.
        report.failed.push({ customerId, code: error.code })
        log(`${customerId}: failed with ${error.name} ${error.code} (request id ${requestId(error) ?? '—'})`)
      } else {
        throw error // a bug in this job or in the sink: let the scheduler see it
      }
    }
  }
  return report
}

function requestId(error: EciError): string | undefined {
  return error instanceof EciHttpError ? error.requestId : undefined
}

/** An in-memory GrantStore (grants kept as JSON text, as a database column would). */
export function memoryGrantStore(initial: { customerId: string; grant: Grant }[] = []): GrantStore & {
  rows: Map<string, { grant: string; reconsentReason?: string; retryAt?: number }>
} {
  const rows = new Map<string, { grant: string; reconsentReason?: string; retryAt?: number }>()
  for (const { customerId, grant } of initial) rows.set(customerId, { grant: JSON.stringify(grant) })
  const row = (customerId: string) => {
    const found = rows.get(customerId)
    if (!found) throw new Error(`no grant stored for ${customerId}`)
    return found
  }
  return {
    rows,
    async list() {
      return [...rows].map(([customerId, r]) => ({
        customerId,
        grant: JSON.parse(r.grant) as Grant,
        reconsentReason: r.reconsentReason,
        retryAt: r.retryAt,
      }))
    },
    async save(customerId, grant) {
      row(customerId).grant = JSON.stringify(grant)
    },
    async markForReconsent(customerId, reason) {
      row(customerId).reconsentReason = reason
    },
    async retryAfter(customerId, retryAt) {
      row(customerId).retryAt = retryAt
    },
  }
}

/** The demo: a mock provider on loopback, one customer's consent, then the job. */
async function main(): Promise<void> {
  const kid = 'acme-solar-1'
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const privateJwk = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid }
  const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid }
  const redirectUri = 'http://127.0.0.1/eci/callback'
  const today = new Date().toISOString().slice(0, 10)
  const mock = await startMockProviderServer({
    asOf: today, // the mock's invoices run up to today
    clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: { keys: [publicJwk] } }],
  })
  try {
    const consumer = await EciConsumer.discover({
      issuer: mock.issuer,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: privateJwk },
      redirectUri,
      allowInsecureRequests: true,
    })
    // The consent that would have happened earlier in the web app (examples/backend).
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
    const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? ''
    const grants = memoryGrantStore([
      { customerId: 'customer-1', grant: await consumer.completeConsent(callback, transaction) },
    ])

    const since = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10)
    const stored: InvoiceDetail[] = []
    const report = await syncInvoices({
      consumer,
      grants,
      since,
      invoices: { upsert: async (_customerId, invoice) => void stored.push(invoice) },
    })
    console.log(
      `Done: ${stored.length} invoice(s) stored, ${report.reconsent.length} grant(s) need consent, ` +
        `${report.rateLimited.length} rate limited, ${report.failed.length} failed.`,
    )
  } finally {
    await mock.close()
  }
}

if (import.meta.main) await main()
