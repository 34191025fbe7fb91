import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  auditGreenButtonBills,
  type EspiDeviation,
  espiBills,
  parseEspi,
  parseEspiStream,
  readingCost,
  readingQuantity,
  toInvoice,
  toInvoiceDetail,
  usageTotals,
} from '../../src/green-button/index.js'
import { formatAmount } from '../../src/money/index.js'

const read = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/green-button', name))

describe('the real electric feed (GBA sample, containerized, ElectricPowerUsageSummary)', () => {
  const deviations: EspiDeviation[] = []
  const feed = parseEspi(read('electric_containerized.xml'), { onDeviation: (d) => deviations.push(d) })

  it('resolves the up/related links into one electric usage point with its reading type, readings, summary and local time', () => {
    expect(deviations).toEqual([])
    expect(feed.id).toBe('urn:uuid:DE33D836-583A-4F1F-A25D-EEEDCFBCA19E')
    expect(feed.usagePoints).toHaveLength(1)
    const [point] = feed.usagePoints
    expect(point?.serviceKind).toBe('electricity')
    expect(point?.atom.title).toBe('Coastal Multi-Family 12hr')
    expect(point?.localTimeParameters).toMatchObject({
      tzOffset: -28800,
      dstOffset: 3600,
      dstStartRule: 0x360e2000,
      dstEndRule: 0xb40e2000,
    })
    const [series] = point?.meterReadings ?? []
    expect(series?.readingType).toMatchObject({
      uom: 72,
      unit: 'Wh',
      currency: 840,
      currencyLetters: 'USD',
      intervalLength: 3600,
      powerOfTenMultiplier: 0,
    })
    expect(series?.intervalReadings.map((r) => r.value)).toEqual([450, 430, 418, 410, 595, 591, 611, 581])
    expect(series?.intervalReadings.map((r) => r.start)).toEqual(
      [...series!.intervalReadings.map((r) => r.start)].sort((a, b) => a - b),
    )
    expect(point?.usageSummaries.map((s) => s.element)).toEqual(['ElectricPowerUsageSummary'])
    expect(point?.usageSummaries[0]?.billingPeriod).toEqual({ start: 1320130800, duration: 2592000 })
  })

  it('gives exact reading values in Wh and totals the readings per local (Pacific) day', () => {
    const [point] = feed.usagePoints
    const series = point!.meterReadings[0]!
    expect(formatAmount(readingQuantity(series.intervalReadings[0]!, series.readingType)!.value)).toBe('450')
    expect(readingCost(series.intervalReadings[0]!)).toBeUndefined()
    // 1293868800 is 2011-01-01T08:00Z = midnight in Pacific standard time; 20:00Z is noon.
    const days = usageTotals(series, 'day', point!.localTimeParameters)
    expect(days.map((d) => [d.period, d.readings, formatAmount(d.value), d.unit])).toEqual([
      ['2011-01-01', 8, '4086', 'Wh'],
    ])
  })

  it('makes a bill of the usage summary with its consumption but no total (the summary has no billLastPeriod)', () => {
    const [bill, ...rest] = espiBills(feed)
    expect(rest).toEqual([])
    expect(bill).toMatchObject({
      source: 'ElectricPowerUsageSummary',
      periodStart: 1320130800,
      periodEnd: 1320130800 + 2592000,
      lineItems: [],
    })
    expect(bill?.total).toBeUndefined()
    expect(formatAmount(bill!.consumption!.value)).toBe('768032')
    const detail = toInvoiceDetail(bill!)
    expect(detail.value).toMatchObject({
      service_period_start: '2011-11-01',
      service_period_end: '2011-11-30',
      delivery_unit: 'kWh',
      energy_consumption_quantity: 768.032,
    })
    expect(detail.missing).toEqual(
      expect.arrayContaining([
        'invoice_total',
        'invoice_date',
        'invoice_due_date',
        'invoice_paid',
        'system_account_id',
      ]),
    )
    expect(detail.value).not.toHaveProperty('invoice_total')
  })
})

describe('the real gas feed (third-party batch, bills only as costed billing-period readings)', () => {
  it('reads the therm readings with their multiplier and makes one bill per costed billing-period reading', () => {
    const feed = parseEspi(read('gas_direct.xml'))
    const [point] = feed.usagePoints
    expect(point?.serviceKind).toBe('gas')
    expect(point?.usageSummaries).toEqual([])
    const series = point!.meterReadings[0]!
    expect(series.readingType).toMatchObject({ unit: 'therm', powerOfTenMultiplier: -3, currencyLetters: 'USD' })
    expect(formatAmount(readingQuantity(series.intervalReadings[0]!, series.readingType)!.value)).toBe('37.000')
    const bills = espiBills(feed)
    expect(bills.map((b) => b.source)).toEqual(Array(5).fill('IntervalReading'))
    // Costs are hundred-thousandths of a dollar and are not scaled by the reading type's multiplier.
    expect(bills.map((b) => formatAmount(b.total!, { decimals: 2 }))).toEqual([
      '51.00',
      '24.93',
      '32.81',
      '42.07',
      '55.43',
    ])
    expect(bills.map((b) => `${formatAmount(b.consumption!.value)} ${b.consumption!.unit}`)).toEqual([
      '37.000 therm',
      '14.000 therm',
      '21.000 therm',
      '27.000 therm',
      '41.000 therm',
    ])
    expect(auditGreenButtonBills(bills)).toEqual([])
    expect(toInvoice(bills[0]!).value).toEqual({
      invoice_total: 51,
      service_period_start: '2021-05-26',
      service_period_end: '2021-06-29',
      billing_period_start: '2021-05-26',
      billing_period_end: '2021-06-29',
    })
  })

  it('parses the same feed from a string, bytes and a stream of small chunks to the same result', async () => {
    const bytes = read('gas_direct.xml')
    const fromString = parseEspi(bytes.toString('utf8'))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 97) controller.enqueue(new Uint8Array(bytes.subarray(i, i + 97)))
        controller.close()
      },
    })
    expect(await parseEspiStream(stream)).toEqual(fromString)
    expect(parseEspi(new Uint8Array(bytes))).toEqual(fromString)
  })
})
