import { describe, expect, it } from 'vitest'
import { auditGreenButtonBill, auditGreenButtonBills, espiBills, parseEspi } from '../../src/green-button/index.js'
import { generateEspiFeed } from '../../src/mock/index.js'

function billsOf(xml: string) {
  return espiBills(parseEspi(xml))
}

const clean = generateEspiFeed({ seed: 11, months: 3, usagePoints: [{ service: 'electricity', interval: 3600 }] })

describe('auditGreenButtonBills', () => {
  it('finds nothing on a consistent feed', () => {
    expect(auditGreenButtonBills(billsOf(clean.xml))).toEqual([])
  })

  it('reports a total one cent off its charge lines as an error, or a warning within the tolerance', () => {
    const first = clean.bills[0]!
    const wrong = clean.xml.replace(
      `<billLastPeriod>${first.totalCents * 1000}</billLastPeriod>`,
      `<billLastPeriod>${first.totalCents * 1000 + 1000}</billLastPeriod>`,
    )
    const bills = billsOf(wrong)
    const findings = auditGreenButtonBills(bills)
    expect(findings).toEqual([
      expect.objectContaining({
        check: 'line-items-total',
        severity: 'error',
        path: [0, 'lineItems'],
        expected: ((first.totalCents + 1) / 100).toFixed(2),
        actual: (first.totalCents / 100).toFixed(2),
      }),
    ])
    expect(auditGreenButtonBill(bills[0]!, { tolerance: '0.01' })[0]?.severity).toBe('warning')
    expect(() => auditGreenButtonBill(bills[0]!, { tolerance: -1 })).toThrow(/must not be negative/)
  })

  it('reports a missing period as a gap and a repeated one as a duplicate', () => {
    const bills = billsOf(clean.xml)
    const gap = auditGreenButtonBills([bills[0]!, bills[2]!])
    expect(gap.map((f) => [f.check, f.path])).toEqual([['period-gap', [1, 'periodStart']]])
    const duplicate = auditGreenButtonBills([bills[0]!, bills[1]!, bills[1]!])
    expect(duplicate.map((f) => f.check)).toEqual(['duplicate-period'])
    const overlap = auditGreenButtonBills([bills[0]!, { ...bills[1]!, periodStart: bills[1]!.periodStart - 86_400 }])
    expect(overlap.map((f) => [f.check, f.expected, f.actual])).toEqual([
      ['period-overlap', '2025-02-01', '2025-01-31'],
    ])
  })
})
