/**
 * Shared setup of the sync tests: a utility (the mock provider server, its customers consenting
 * through the real SDK into a grant store), and a sink in memory that counts its writes.
 */
import type { JWK } from 'jose'
import { EciConsumer, type EciConsumerOptions, type GrantStore } from '../../src/index.js'
import type { MockCall, MockOwnerSpec, MockRateLimit } from '../../src/mock/index.js'
import {
  type MockProviderServer,
  type MockProviderServerOptions,
  startMockProviderServer,
} from '../../src/mock/node/index.js'
import type { SyncAccountRef, SyncFailedRecord, SyncInvoiceRecord, SyncSink } from '../../src/sync/index.js'
import { makeKeys } from '../support/eci-endpoint.js'
import { mostInWindow } from '../support/windows.js'

export const REDIRECT = 'http://127.0.0.1/eci/callback'
export const CLIENT_ID = 'acme-solar'

export interface Utility {
  id: string
  server: MockProviderServer
  /** What a worker passes as `providers[id].consumer` (a JSON-safe copy goes to child processes). */
  consumer: EciConsumerOptions
  privateJwk: JWK
}

export interface UtilityOptions extends Omit<MockProviderServerOptions, 'clients' | 'owners'> {
  /** Customers, one owner spec each. */
  owners: MockOwnerSpec[]
  rateLimit?: MockRateLimit
}

/** A mock utility whose consent page approves the owner of the requested accounts. */
export async function startUtility(id: string, options: UtilityOptions): Promise<Utility> {
  const { privateJwk, publicJwk } = await makeKeys('ES256')
  const { owners, rateLimit, ...rest } = options
  const server = await startMockProviderServer({
    ...rest,
    owners,
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [publicJwk] }, rateLimit }],
    consent: (request) => {
      const account = request.requestedAccounts?.[0]
      const owner = account ? server.provider.fixtures.account(account)?.ownerId : undefined
      return owner ? { owner } : 'deny'
    },
  })
  const consumer: EciConsumerOptions = {
    issuer: server.issuer,
    clientId: CLIENT_ID,
    clientAuth: { method: 'private_key_jwt', key: privateJwk },
    redirectUri: REDIRECT,
    allowInsecureRequests: true,
  }
  return { id, server, consumer, privateJwk }
}

/**
 * Every owner of the utility consents (for all their accounts) and the grant is saved under
 * `keyOf(ownerId)`, `concurrency` consents at a time. Resolves the keys.
 */
export async function consentAll(
  utility: Utility,
  store: GrantStore,
  keyOf: (ownerId: string) => string,
  concurrency = 8,
): Promise<string[]> {
  const consumer = await EciConsumer.discover(utility.consumer)
  const owners = [...utility.server.provider.fixtures.owners]
  const keys: string[] = []
  let next = 0
  const one = async () => {
    while (next < owners.length) {
      const owner = owners[next++]!
      const { url, transaction } = await consumer.beginConsent({
        scopes: ['basic', 'invoice', 'invoice_detail'],
        accounts: owner.accounts.map((a) => a.systemAccountId),
      })
      const location = (await fetch(url, { redirect: 'manual' })).headers.get('location')
      if (!location) throw new Error('the mock did not redirect')
      const key = keyOf(owner.ownerId)
      await consumer.completeConsent(location, transaction, { store, key })
      keys.push(key)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, one))
  utility.server.provider.clearCalls()
  return keys
}

/** `n` owners with `accounts` accounts of `months` invoices each, ids `prefix-0` … */
export function owners(n: number, prefix: string, shape: (i: number) => { accounts: number; months: number }) {
  return Array.from({ length: n }, (_, i): MockOwnerSpec => {
    const { accounts, months } = shape(i)
    return { ownerId: `${prefix}-${i}`, accounts: Array.from({ length: accounts }, () => ({ months })) }
  })
}

/** Every invoice the utility holds, as `account/invoice`. */
export function allInvoices(utility: Utility, owners?: ReadonlySet<string>): string[] {
  return utility.server.provider.fixtures
    .accounts()
    .filter((a) => !owners || owners.has(a.ownerId))
    .flatMap((a) => a.basic.system_invoice_ids.map((id) => `${a.systemAccountId}/${id}`))
}

/** The most requests of `calls` in any window of `windowMs` (sliding, by arrival time). */
export function maxInWindow(calls: readonly MockCall[], windowMs = 1000): number {
  return mostInWindow(
    calls.map((c) => c.at),
    windowMs,
  )
}

/** A sink in memory: rows by provider/account/invoice, with a write count per row. */
export function memorySink() {
  const rows = new Map<string, SyncInvoiceRecord>()
  const writes = new Map<string, number>()
  const failures: SyncFailedRecord[] = []
  const accounts = new Map<string, string[]>()
  const id = (r: SyncAccountRef) => `${r.provider}/${r.systemAccountId}`
  const sink: SyncSink & {
    fail?: () => boolean
  } = {
    async lastInvoice(ref) {
      let best: SyncInvoiceRecord | undefined
      for (const row of rows.values()) {
        if (id(row) === id(ref) && (!best || row.position > best.position)) best = row
      }
      return best?.systemInvoiceId
    },
    async upsertInvoice(record) {
      if (sink.fail?.()) throw new Error('the database is down')
      const key = `${id(record)}/${record.systemInvoiceId}`
      rows.set(key, record)
      writes.set(key, (writes.get(key) ?? 0) + 1)
    },
    async upsertAccount(record) {
      accounts.set(id(record), record.basic.system_invoice_ids)
    },
    async recordFailure(record) {
      failures.push(record)
    },
  }
  return { sink, rows, writes, failures, accounts }
}
