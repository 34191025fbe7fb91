/**
 * The mock provider for fleets: a per-client rate limit (429 + Retry-After), latency on every ECI
 * response, timestamps in the call log, the next month's invoices, revoking some customers'
 * grants, and fixtures for thousands of customers.
 */
import { describe, expect, it } from 'vitest'
import { EciConfigError } from '../../src/errors.js'
import { createMockProvider, type MockProviderOptions } from '../../src/mock/index.js'
import { auditHistory } from '../../src/money/index.js'
import {
  CLIENT_ID,
  type ClientKey,
  eciCall,
  grant,
  ISSUER,
  makeKey,
  PUBLIC_CLIENT_ID,
  REDIRECT,
  RESOURCE,
  type Setup,
} from './helpers.js'

async function provider(options: Partial<MockProviderOptions> = {}, rateLimit?: { max: number; windowMs: number }) {
  const key: ClientKey = await makeKey()
  const p = createMockProvider({
    issuer: ISSUER,
    resource: RESOURCE,
    clients: [
      { clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] }, rateLimit },
      { clientId: PUBLIC_CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] }, authMethod: 'none' },
    ],
    ...options,
  })
  const s: Setup = { provider: p, key }
  const tokens = await grant(s, { scope: 'eci:basic eci:invoice eci:invoice_detail' })
  const account = tokens.system_account_ids[0] as string
  const basic = (token = tokens.access_token) =>
    eciCall(s, token, { eci_request_type: 'basic', system_account_id: account })
  return { ...s, tokens, account, basic }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('mock rateLimit', () => {
  it('answers at most max requests in any window, then 429 with Retry-After in whole seconds', async () => {
    const p = await provider({}, { max: 3, windowMs: 1500 })
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await p.basic()).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const refused = await p.basic()
    expect(refused.status).toBe(429)
    expect(refused.headers.get('Retry-After')).toMatch(/^[12]$/)
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' })
    const eci = p.provider.calls.filter((c) => c.endpoint === 'eci')
    expect(eci.map((c) => c.status)).toEqual([200, 200, 200, 429, 429, 429])
    expect(eci.every((c) => c.client === CLIENT_ID)).toBe(true)
  })

  it('frees a slot when the oldest answered request leaves the window; refused requests do not count', async () => {
    const p = await provider({}, { max: 2, windowMs: 1000 })
    expect((await p.basic()).status).toBe(200)
    await sleep(400)
    expect((await p.basic()).status).toBe(200)
    expect((await p.basic()).status).toBe(429)
    await sleep(650) // the first has left the window, the second not yet
    expect((await p.basic()).status).toBe(200)
    expect((await p.basic()).status).toBe(429)
  })

  it('is per client: a client without a limit is never refused', async () => {
    const p = await provider()
    const statuses = await Promise.all(Array.from({ length: 20 }, () => p.basic().then((r) => r.status)))
    expect(new Set(statuses)).toEqual(new Set([200]))
  })

  it('refuses a bad rateLimit option', async () => {
    const { publicJwk } = await makeKey()
    for (const rateLimit of [
      { max: 0, windowMs: 1000 },
      { max: 1.5, windowMs: 1000 },
      { max: 5, windowMs: -1 },
    ]) {
      expect(() =>
        createMockProvider({
          issuer: ISSUER,
          clients: [{ clientId: 'c', redirectUris: [REDIRECT], jwks: { keys: [publicJwk] }, rateLimit }],
        }),
      ).toThrow(EciConfigError)
    }
  })
})

describe('mock latency and the call log', () => {
  it('delays every ECI response by the latency, and stamps each call with its arrival time', async () => {
    const p = await provider({ latency: { minMs: 60, maxMs: 80 } })
    const before = Date.now()
    const started = performance.now()
    expect((await p.basic()).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(59)
    const call = p.provider.calls.at(-1)!
    expect(call.endpoint).toBe('eci')
    expect(call.at).toBeGreaterThanOrEqual(before)
    expect(call.at).toBeLessThanOrEqual(Date.now())
    // Token requests are not delayed.
    const first = p.provider.calls[0]!
    expect(first.at).toBeLessThanOrEqual(call.at)
  })

  it('refuses a bad latency', () => {
    for (const latency of [-1, 70_000, { minMs: 50, maxMs: 10 }, 'slow']) {
      expect(() => createMockProvider({ issuer: ISSUER, clients: [], latency: latency as never })).toThrow(
        EciConfigError,
      )
    }
  })
})

describe('mock issueInvoices', () => {
  it('bills the next month of every account: appended to the history and the Basic, money adding up', async () => {
    const p = await provider({ seed: 4 })
    const f = p.provider.fixtures
    const before = f.accounts().map((a) => ({ id: a.systemAccountId, invoices: [...a.invoices] }))
    const issued = p.provider.issueInvoices()
    expect(issued.map((i) => i.systemAccountId)).toEqual(before.map((b) => b.id))
    for (const b of before) {
      const account = f.account(b.id)!
      const fresh = account.invoices.at(-1)!
      const previous = b.invoices.at(-1)!
      expect(account.invoices.slice(0, -1)).toEqual(b.invoices)
      expect(account.basic.system_invoice_ids.at(-1)).toBe(fresh.system_invoice_id)
      expect(account.basic.next_read_date).toBe(fresh.next_read_date)
      expect(fresh.service_period_start > previous.service_period_end).toBe(true)
      expect(fresh.invoice_date > previous.invoice_date).toBe(true)
      expect(fresh.credit_carryover).toBe(previous.credit_remaining_total)
      expect(fresh.invoice_paid).toBe(false)
      expect(f.invoiceDetail(b.id, fresh.system_invoice_id)).toBe(fresh)
      expect(f.owner(account.ownerId)!.accounts).toContain(account)
      expect(auditHistory([...account.invoices]).filter((x) => x.severity === 'error')).toEqual([])
      expect(Object.isFrozen(account) && Object.isFrozen(account.basic.system_invoice_ids)).toBe(true)
    }
    expect(new Set(issued.map((i) => i.systemInvoiceId)).size).toBe(issued.length)
  })

  it('serves the new invoice at the ECI endpoint, and bills only the accounts named', async () => {
    const p = await provider({ seed: 4 })
    const other = p.provider.fixtures.accounts().find((a) => a.systemAccountId !== p.account)!
    const otherCount = other.invoices.length
    const [issued] = p.provider.issueInvoices([p.account])
    expect(p.provider.fixtures.account(other.systemAccountId)!.invoices).toHaveLength(otherCount)
    const basic = await (await p.basic()).json()
    expect(basic.system_invoice_ids.at(-1)).toBe(issued!.systemInvoiceId)
    const res = await eciCall(p, p.tokens.access_token, {
      eci_request_type: 'invoice_detail',
      system_account_id: p.account,
      system_invoice_id: issued!.systemInvoiceId,
    })
    expect(res.status).toBe(200)
    expect(() => p.provider.issueInvoices(['9999-999'])).toThrow(EciConfigError)
  })

  it('is deterministic: the same seed bills the same next months', async () => {
    const a = createMockProvider({ issuer: ISSUER, clients: [], seed: 9 })
    const b = createMockProvider({ issuer: ISSUER, clients: [], seed: 9 })
    a.issueInvoices()
    a.issueInvoices()
    b.issueInvoices()
    b.issueInvoices()
    expect(a.fixtures.accounts()).toEqual(b.fixtures.accounts())
  })
})

describe('mock revokeGrants({ owners })', () => {
  it('revokes only the grants of the owners named', async () => {
    const p = await provider()
    const owner = p.provider.grants()[0]!.ownerId
    p.provider.revokeGrants({ owners: ['someone-else'] })
    expect((await p.basic()).status).toBe(200)
    p.provider.revokeGrants({ owners: [owner] })
    expect((await p.basic()).status).toBe(401)
    expect(p.provider.grants()[0]!.revoked).toBe(true)
  })
})

describe('fixtures for a fleet', () => {
  it('generates thousands of owners with unique account and invoice ids', () => {
    const p = createMockProvider({
      issuer: ISSUER,
      clients: [],
      owners: Array.from({ length: 3000 }, (_, i) => ({ ownerId: `c${i}`, accounts: [{ months: 3 }] })),
    })
    const accounts = p.fixtures.accounts()
    expect(accounts).toHaveLength(3000)
    expect(p.fixtures.owner('c2999')!.accounts[0]).toBe(accounts[2999])
    const ids = accounts.flatMap((a) => a.basic.system_invoice_ids)
    expect(new Set(ids).size).toBe(9000)
  })
})
