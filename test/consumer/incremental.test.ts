/**
 * Incremental reads: `session.invoices(account, { after, skip, since, basic })` fetch only what is
 * new. Every test counts the provider's requests (the mock's call log).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { searchSince } from '../../src/grant/invoices.js'
import { EciConfigError, EciValidationError, type Invoice, type InvoicesProgress } from '../../src/index.js'
import type { MockCall } from '../../src/mock/index.js'
import { world } from '../support/consumer.js'

async function consented() {
  const w = await world({ seed: 11 })
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  const session = w.consumer.session(grant)
  const account = grant.accounts[0] as string
  const history = w.mock.fixtures.account(account)?.invoices ?? []
  const ids = history.map((i) => i.system_invoice_id)
  w.mock.clearCalls()
  return { ...w, session, account, history, ids }
}

/** ECI requests by type. */
function requests(calls: MockCall[]) {
  const eci = calls.filter((c) => c.endpoint === 'eci')
  const of = (type: string) => eci.filter((c) => c.claims?.eci_request_type === type)
  return {
    total: eci.length,
    basic: of('basic').length,
    invoice: of('invoice').map((c) => c.claims?.system_invoice_id),
    detail: of('invoice_detail').map((c) => c.claims?.system_invoice_id),
  }
}

async function collect<T extends { system_invoice_id: string }>(it: AsyncIterable<T>): Promise<string[]> {
  const out: string[] = []
  for await (const x of it) out.push(x.system_invoice_id)
  return out
}

describe('session.invoices({ after })', () => {
  it('fetches only the invoices after the given id', async () => {
    const { session, account, ids, mock } = await consented()
    const last = ids.length - 4
    const got = await collect(session.invoices(account, { detail: true, after: ids[last] }))
    expect(got).toEqual(ids.slice(last + 1))
    const r = requests(mock.calls)
    expect(r.basic).toBe(1)
    expect(r.detail.sort()).toEqual(ids.slice(last + 1).sort())
    expect(r.total).toBe(1 + 3)
  })

  it('fetches nothing but the Basic when the id is the newest', async () => {
    const { session, account, ids, mock } = await consented()
    expect(await collect(session.invoices(account, { after: ids.at(-1) }))).toEqual([])
    expect(requests(mock.calls).total).toBe(1)
  })

  it('fetches the whole list when the id is not in it, so nothing is missed', async () => {
    const { session, account, ids, mock } = await consented()
    expect(await collect(session.invoices(account, { after: 'not-an-invoice' }))).toEqual(ids)
    expect(requests(mock.calls).total).toBe(1 + ids.length)
  })

  it('uses a Basic the caller has already: no Basic request', async () => {
    const { session, account, ids, mock } = await consented()
    const basic = mock.fixtures.basic(account)!
    const got = await collect(session.invoices(account, { basic, after: ids.at(-3) }))
    expect(got).toEqual(ids.slice(-2))
    expect(requests(mock.calls)).toMatchObject({ total: 2, basic: 0 })
  })

  it('refuses the Basic of another account', async () => {
    const { session, account, mock } = await consented()
    const other = mock.fixtures.accounts().find((a) => a.systemAccountId !== account)!
    await expect(collect(session.invoices(account, { basic: other.basic }))).rejects.toBeInstanceOf(EciConfigError)
    expect(requests(mock.calls).total).toBe(0)
  })
})

describe('session.invoices({ skip })', () => {
  it('never fetches the ids it is told to skip', async () => {
    const { session, account, ids, mock } = await consented()
    const known = new Set(ids.filter((_, i) => i % 3 !== 0))
    const got = await collect(session.invoices(account, { detail: true, skip: known.values() }))
    expect(got).toEqual(ids.filter((id) => !known.has(id)))
    const r = requests(mock.calls)
    expect(r.detail.every((id) => !known.has(id as string))).toBe(true)
    expect(r.total).toBe(1 + got.length)
  })

  it('combines with after', async () => {
    const { session, account, ids, mock } = await consented()
    const got = await collect(session.invoices(account, { after: ids.at(-5), skip: [ids.at(-2) as string] }))
    expect(got).toEqual([ids.at(-4), ids.at(-3), ids.at(-1)])
    expect(requests(mock.calls).total).toBe(1 + 3)
  })
})

describe('session.invoices({ since })', () => {
  it('finds the cut by binary search and fetches only the details from there', async () => {
    const { session, account, history, ids, mock } = await consented()
    const since = history[history.length - 3]!.invoice_date
    const got = await collect(session.invoices(account, { detail: true, since }))
    expect(got).toEqual(history.filter((i) => i.invoice_date >= since).map((i) => i.system_invoice_id))
    const r = requests(mock.calls)
    expect(r.basic).toBe(1)
    expect(r.invoice.length).toBeGreaterThan(0)
    expect(r.invoice.length).toBeLessThanOrEqual(Math.ceil(Math.log2(ids.length)) + 1)
    expect(r.detail.sort()).toEqual([...got].sort())
  })

  it('reuses the invoices the search fetched when details are not asked for', async () => {
    const { session, account, history, mock } = await consented()
    const since = history[history.length - 2]!.invoice_date
    const progress: InvoicesProgress[] = []
    const got = await collect(session.invoices(account, { since, onProgress: (p) => progress.push(p) }))
    expect(got).toHaveLength(2)
    const r = requests(mock.calls)
    // The search probed the cut itself, so no invoice is asked for twice.
    expect(r.invoice).toContain(got[0])
    expect(new Set(r.invoice).size).toBe(r.invoice.length)
    expect(got.every((id) => r.invoice.includes(id))).toBe(true)
    expect(r.total).toBe(1 + r.invoice.length)
    expect(progress[0]).toEqual({ total: 2, fetched: 0, searched: progress[0]!.searched })
    expect(progress.at(-1)).toMatchObject({ total: 2, fetched: 2 })
  })

  it('fetches nothing after the search when every invoice is older', async () => {
    const { session, account, ids, mock } = await consented()
    expect(await collect(session.invoices(account, { detail: true, since: '2999-01-01' }))).toEqual([])
    const r = requests(mock.calls)
    expect(r.detail).toEqual([])
    expect(r.invoice.length).toBeLessThanOrEqual(Math.ceil(Math.log2(ids.length)) + 1)
  })

  it('fetches everything when every invoice is newer', async () => {
    const { session, account, ids } = await consented()
    expect(await collect(session.invoices(account, { detail: true, since: '1999-01-01' }))).toEqual(ids)
  })

  it('searches only what follows `after`', async () => {
    const { session, account, history, ids, mock } = await consented()
    const since = history[2]!.invoice_date
    const got = await collect(session.invoices(account, { since, after: ids.at(-4) }))
    expect(got).toEqual(ids.slice(-3))
    const probed = requests(mock.calls).invoice
    expect(probed.every((id) => ids.slice(-3).includes(id as string))).toBe(true)
  })

  it('rejects a since that is not a date before any request', async () => {
    const { session, account, mock } = await consented()
    await expect(collect(session.invoices(account, { since: '2025-13-01' }))).rejects.toBeInstanceOf(EciConfigError)
    await expect(collect(session.invoices(account, { after: '' }))).rejects.toBeInstanceOf(EciConfigError)
    await expect(collect(session.invoices(account, { skip: 5 as never }))).rejects.toBeInstanceOf(EciConfigError)
    expect(mock.calls).toHaveLength(0)
  })
})

describe('session.invoices({ onInvalid })', () => {
  it('hands a schema break to onInvalid and goes on with the other invoices', async () => {
    const { session, account, ids, mock } = await consented()
    const after = ids.at(-5)
    // The Basic is the first ECI call; the third Invoice Detail breaks the schema.
    mock.fault({ endpoint: 'eci', delayMs: 0, times: 3 })
    mock.fault({ endpoint: 'eci', body: 'invalid', times: 1 })
    const invalid: { id: string; position: number; error: unknown }[] = []
    const got = await collect(
      session.invoices(account, {
        detail: true,
        after,
        concurrency: 1,
        onInvalid: ({ systemInvoiceId, position, error }) =>
          void invalid.push({ id: systemInvoiceId, position, error }),
      }),
    )
    expect(invalid).toHaveLength(1)
    expect(invalid[0]!.error).toBeInstanceOf(EciValidationError)
    expect(invalid[0]!.position).toBe(ids.indexOf(invalid[0]!.id))
    expect(got).toEqual(ids.slice(-4).filter((id) => id !== invalid[0]!.id))
  })

  it('ends the iteration with the validation error without onInvalid', async () => {
    const { session, account, ids, mock } = await consented()
    mock.fault({ endpoint: 'eci', delayMs: 0, times: 1 })
    mock.fault({ endpoint: 'eci', body: 'invalid', times: 1 })
    await expect(collect(session.invoices(account, { after: ids.at(-3), concurrency: 1 }))).rejects.toBeInstanceOf(
      EciValidationError,
    )
  })
})

describe('searchSince', () => {
  it('finds the first invoice on or after the date with at most log2(n) + 1 probes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }),
        fc.integer({ min: -5, max: 405 }),
        async (days, cutDay) => {
          const sorted = [...days].sort((a, b) => a - b)
          const date = (d: number) => new Date(Date.UTC(2020, 0, 1 + d)).toISOString().slice(0, 10)
          const ids = sorted.map((_, i) => `inv-${i}`)
          const since = date(cutDay)
          let probes = 0
          const { index } = await searchSince(ids, 0, ids.length, since, async (id) => {
            probes++
            return { invoice_date: date(sorted[Number(id.slice(4))]!) } as Invoice
          })
          const expected = sorted.findIndex((d) => date(d) >= since)
          expect(index).toBe(expected < 0 ? ids.length : expected)
          expect(probes).toBeLessThanOrEqual(ids.length === 0 ? 0 : Math.floor(Math.log2(ids.length)) + 1)
        },
      ),
    )
  })
})
