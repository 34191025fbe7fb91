import { describe, expect, it } from 'vitest'
import { createFixtures, invoiceOf } from '../../src/mock/fixtures.js'
import { toWire } from '../../src/mock/wire.js'
import { type Deviation, parseBasic, parseInvoice, parseInvoiceDetail } from '../../src/schemas/index.js'

/** Cents of quantity × rate, computed exactly from the decimal rate (≤ 5 decimals). */
function cents(quantity: number, rate: number): number {
  const product = quantity * Math.round(rate * 1e5)
  const rem = product % 1000
  return (product - rem) / 1000 + (rem >= 500 ? 1 : 0)
}

const SEEDS = [1, 2, 7, 'acme', 20260115]

describe('mock fixtures', () => {
  it('are identical for the same seed and differ for another seed', () => {
    expect(JSON.stringify(createFixtures({ seed: 5 }).owners)).toBe(JSON.stringify(createFixtures({ seed: 5 }).owners))
    expect(JSON.stringify(createFixtures({ seed: 5 }).owners)).not.toBe(
      JSON.stringify(createFixtures({ seed: 6 }).owners),
    )
  })

  it.each(SEEDS)('of seed %s pass the strict parsers in the seed spelling, unchanged', (seed) => {
    const fixtures = createFixtures({ seed })
    for (const account of fixtures.accounts()) {
      const deviations: Deviation[] = []
      const onDeviation = (d: Deviation) => deviations.push(d)
      expect(parseBasic(toWire(account.basic, 'seed'), { onDeviation })).toEqual(account.basic)
      for (const detail of account.invoices) {
        const wire = toWire(detail, 'seed')
        expect(wire).toHaveProperty('serivce_period_end', detail.service_period_end)
        expect(wire).not.toHaveProperty('service_period_end')
        expect(parseInvoiceDetail(wire, { onDeviation })).toEqual(detail)
        expect(parseInvoice(toWire(invoiceOf(detail), 'seed'), { onDeviation })).toEqual(invoiceOf(detail))
      }
      expect(deviations).toEqual([])
    }
  })

  it.each(SEEDS)('of seed %s have owners with electric and gas accounts and at least 24 invoices each', (seed) => {
    const fixtures = createFixtures({ seed })
    expect(fixtures.owners.length).toBeGreaterThanOrEqual(3)
    const types = new Set(fixtures.accounts().map((a) => a.accountType))
    expect(types).toEqual(new Set(['electric', 'gas']))
    expect(Math.max(...fixtures.owners.map((o) => o.accounts.length))).toBeGreaterThan(1)
    for (const account of fixtures.accounts()) {
      expect(account.invoices.length).toBeGreaterThanOrEqual(24)
      expect(account.basic.system_invoice_ids).toEqual(account.invoices.map((i) => i.system_invoice_id))
      const dates = account.invoices.map((i) => i.invoice_date)
      expect([...dates].sort()).toEqual(dates)
      expect(new Set(dates).size).toBe(dates.length)
      expect(dates.at(-1)! <= fixtures.asOf).toBe(true)
    }
    const ids = fixtures.accounts().flatMap((a) => a.invoices.map((i) => i.system_invoice_id))
    expect(new Set(ids).size).toBe(ids.length)
  })

  it.each(SEEDS)(
    'of seed %s have line totals of quantity × rate to the cent and a consistent invoice total',
    (seed) => {
      for (const account of createFixtures({ seed }).accounts()) {
        for (const d of account.invoices) {
          const lines = [
            [d.energy_consumption_quantity, d.energy_consumption_rate, d.energy_consumption_total],
            [d.distribution_quantity, d.distribution_rate, d.distribution_total],
            [d.transmission_quantity, d.transmission_rate, d.transmission_total],
            [d.stranded_costs_quantity, d.stranded_costs_rate, d.stranded_costs_total],
            [d.conservation_quantity, d.conservation_rate, d.conservation_total],
          ] as const
          let sum = 0
          for (const [q, r, total] of lines) {
            expect(Math.round(total * 100)).toBe(cents(q, r))
            expect(Math.abs(q * r - total)).toBeLessThanOrEqual(0.005 + 1e-9)
            sum += cents(q, r)
          }
          const credit = cents(d.credit_allocated, d.credit_rate)
          expect(Math.round(d.invoice_total * 100)).toBe(sum - credit)
          expect(d.invoice_total).toBeGreaterThanOrEqual(0)
        }
      }
    },
  )

  it.each(SEEDS)('of seed %s carry net-metering credits over from month to month', (seed) => {
    let withCredits = 0
    for (const account of createFixtures({ seed }).accounts()) {
      account.invoices.forEach((d, i) => {
        expect(d.credit_remaining_total).toBe(d.credit_carryover + d.credit_new - d.credit_allocated)
        expect(d.credit_allocated).toBeLessThanOrEqual(d.credit_carryover + d.credit_new)
        if (i > 0) expect(d.credit_carryover).toBe(account.invoices[i - 1]!.credit_remaining_total)
      })
      if (account.basic.producer_projects.length > 0) {
        withCredits++
        expect(account.invoices.some((d) => d.credit_new > 0)).toBe(true)
      } else {
        expect(account.invoices.every((d) => d.credit_new === 0)).toBe(true)
      }
    }
    expect(withCredits).toBeGreaterThan(0)
  })

  it('give the first default owner the seed example account 0018-102 with invoice 09183eef267', () => {
    const fixtures = createFixtures()
    const account = fixtures.owners[0]!.accounts[0]!
    expect(account.systemAccountId).toBe('0018-102')
    expect(account.basic.system_invoice_ids.at(-1)).toBe('09183eef267')
    expect(fixtures.invoice('0018-102', '09183eef267')?.system_invoice_id).toBe('09183eef267')
  })

  it('follow owner specs: ids, account types and invoice counts', () => {
    const fixtures = createFixtures({
      owners: [
        { ownerId: 'alice', accounts: [{ systemAccountId: 'A-1', accountType: 'gas', months: 30 }] },
        { ownerId: 'bob', accounts: 2 },
      ],
    })
    expect(fixtures.owner('alice')!.accounts[0]!.basic).toMatchObject({ system_account_id: 'A-1', account_type: 'gas' })
    expect(fixtures.account('A-1')!.invoices).toHaveLength(30)
    expect(fixtures.owner('bob')!.accounts).toHaveLength(2)
  })

  it('refuse duplicate account ids in owner specs', () => {
    expect(() =>
      createFixtures({ owners: [{ accounts: [{ systemAccountId: 'X' }] }, { accounts: [{ systemAccountId: 'X' }] }] }),
    ).toThrow(/Duplicate systemAccountId/)
  })

  it('are frozen so a test cannot change what the provider serves', () => {
    const fixtures = createFixtures()
    expect(Object.isFrozen(fixtures.accounts()[0]!.basic)).toBe(true)
  })

  it('in the deviant dialect are refused by the strict parser and accepted, with deviations, by the lenient one', () => {
    const detail = createFixtures({ seed: 3 }).accounts()[0]!.invoices[0]!
    const wire = toWire(detail, 'deviant')
    expect(wire).toMatchObject({
      invoice_total: String(detail.invoice_total),
      credit_new_total: String(detail.credit_new),
      invoice_date: `${detail.invoice_date}T00:00:00Z`,
      serivce_period_end: `${detail.service_period_end}T00:00:00Z`,
    })
    expect(() => parseInvoiceDetail(wire)).toThrow()
    const kinds = new Set<string>()
    expect(parseInvoiceDetail(wire, { validation: 'lenient', onDeviation: (d) => kinds.add(d.kind) })).toEqual(detail)
    expect(kinds).toEqual(new Set(['numeric-string', 'date-time', 'alias', 'boolean-string']))
  })
})
