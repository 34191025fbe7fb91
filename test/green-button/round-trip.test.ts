import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  auditGreenButtonBills,
  espiBills,
  parseEspi,
  toAccountView,
  toInvoiceDetail,
  usageTotals,
} from '../../src/green-button/index.js'
import { type GeneratedUsagePointSpec, generateEspiFeed } from '../../src/mock/index.js'
import { addAmounts, exactAmount, formatAmount } from '../../src/money/index.js'

const cents = (n: number) => formatAmount(exactAmount(`${n}e-2`), { decimals: 2 })

const pointSpec: fc.Arbitrary<GeneratedUsagePointSpec> = fc.record({
  service: fc.constantFrom('electricity' as const, 'gas' as const),
  interval: fc.constantFrom(3600 as const, 86_400 as const),
  bills: fc.constantFrom('usage-summary' as const, 'costed-readings' as const),
  summaryElement: fc.constantFrom('UsageSummary' as const, 'ElectricPowerUsageSummary' as const),
  lineItems: fc.boolean(),
  lineMultiplier: fc.integer({ min: -2, max: 3 }),
  payments: fc.boolean(),
})

describe('generated feeds round-trip through parseEspi → espiBills → toInvoiceDetail exactly', () => {
  it('every bill has the generator total to the cent, its charge lines add up to it for any line multiplier, payments are not summed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(pointSpec, { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 1, max: 3 }),
        (seed, usagePoints, months) => {
          const generated = generateEspiFeed({ seed, usagePoints, months, start: '2025-02-20' })
          const feed = parseEspi(generated.xml)
          const bills = espiBills(feed)
          expect(bills).toHaveLength(generated.bills.length)
          for (const [i, want] of generated.bills.entries()) {
            const bill = bills[i]!
            expect([bill.usagePointId, bill.source, bill.periodStart, bill.periodEnd]).toEqual([
              want.usagePointId,
              want.source,
              want.periodStart,
              want.periodEnd,
            ])
            expect(formatAmount(bill.total!, { decimals: 2 })).toBe(cents(want.totalCents))
            expect(formatAmount(bill.consumption!.value)).toBe(
              formatAmount(exactAmount(`${want.consumption}e${bill.serviceKind === 'gas' ? -3 : 0}`)),
            )
            expect(bill.lineItems.map((l) => [l.itemKind, formatAmount(l.amount, { decimals: 2 })])).toEqual(
              want.lines.map((l) => [l.itemKind, cents(l.cents)]),
            )
            const charges = bill.lineItems.filter((l) => l.charge)
            if (charges.length > 0)
              expect(formatAmount(addAmounts(...charges.map((l) => l.amount)), { decimals: 2 })).toBe(
                cents(want.totalCents),
              )
            expect(
              bill.lineItems
                .filter((l) => !l.charge)
                .map((l) => l.kind)
                .sort(),
            ).toEqual(want.lines.filter((l) => l.itemKind >= 9).length ? ['information', 'payment'] : [])
            const detail = toInvoiceDetail(bill)
            expect(detail.value.invoice_total).toBe(want.totalCents / 100)
            expect(detail.missing).toEqual(
              expect.arrayContaining(['invoice_date', 'invoice_due_date', 'invoice_paid', 'transmission_total']),
            )
            for (const field of detail.missing) expect(detail.value).not.toHaveProperty(field)
          }
          expect(auditGreenButtonBills(bills)).toEqual([])
        },
      ),
      { numRuns: 25 },
    )
  })

  it('maps the energy and delivery lines onto ECIS with quantity × rate from the line', () => {
    const { xml } = generateEspiFeed({
      seed: 3,
      months: 1,
      usagePoints: [{ service: 'electricity', interval: 3600, payments: false }],
    })
    const [bill] = espiBills(parseEspi(xml))
    const energy = bill!.lineItems.find((l) => l.kind === 'energy-usage-fee')!
    const detail = toInvoiceDetail(bill!).value
    expect(detail.delivery_unit).toBe('kWh')
    expect(detail.energy_consumption_rate).toBe(0.12345)
    expect(detail.energy_consumption_total).toBe(Number(formatAmount(energy.amount)))
    expect(detail.energy_consumption_quantity).toBe(Number(formatAmount(bill!.consumption!.value)) / 1000)
    expect(detail.distribution_rate).toBe(0.04567)
  })

  it('cuts 15-minute readings into local days: 92 readings on the spring DST day, 100 on the autumn one, 96 otherwise', () => {
    const { xml, readings } = generateEspiFeed({
      seed: 9,
      start: '2025-03-01',
      months: 9,
      usagePoints: [{ service: 'electricity', interval: 900, bills: 'none' }],
    })
    const feed = parseEspi(xml)
    const point = feed.usagePoints[0]!
    expect(point.meterReadings[0]!.intervalReadings).toHaveLength(readings[0]!)
    const days = usageTotals(point.meterReadings[0]!, 'day', point.localTimeParameters)
    const odd = days.filter((d) => d.readings !== 96).map((d) => [d.period, d.readings])
    expect(odd).toEqual([
      ['2025-03-09', 92],
      ['2025-11-02', 100],
    ])
    expect(days[0]?.period).toBe('2025-03-01')
    const months = usageTotals(point.meterReadings[0]!, 'month', point.localTimeParameters)
    expect(months.map((m) => m.period)).toEqual([
      '2025-03',
      '2025-04',
      '2025-05',
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
    ])
    expect(formatAmount(addAmounts(...months.map((m) => m.value)))).toBe(
      formatAmount(addAmounts(...days.map((d) => d.value))),
    )
  })

  it('gives a Basic-like account view that names what ESPI cannot carry', () => {
    const { xml, bills: generated } = generateEspiFeed({ seed: 5, months: 2 })
    const feed = parseEspi(xml)
    const bills = espiBills(feed)
    const gas = toAccountView(feed.usagePoints[1]!, bills)
    expect(gas.value).toMatchObject({ account_type: 'gas', rate_code: 'G-1' })
    expect(gas.value.system_invoice_ids).toHaveLength(generated.filter((b) => b.usagePoint === 1).length)
    expect(gas.missing).toEqual(['system_account_id', 'next_read_date', 'meter_number', 'producer_projects'])
  })
})
