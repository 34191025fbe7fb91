import { describe, expect, it } from 'vitest'
import { runDemo } from '../../src/cli/demo.js'

describe('ecis demo', () => {
  it('runs discovery, consent, code exchange and every data request against the loopback mock', async () => {
    const lines: string[] = []
    await runDemo({ seed: 7, last: 3, out: (l) => lines.push(l) })
    const text = lines.join('\n')
    expect(text).toMatch(/1\. Discovery {3}issuer http:\/\/127\.0\.0\.1:\d+/)
    expect(text).toContain('2. Consent     pushed (PAR), PKCE S256')
    expect(text).toMatch(/3\. Grant {7}\d+ account\(s\), scopes eci:basic eci:invoice eci:invoice_detail/)
    expect(text).toContain('4. Accounts (ECI Basic)')
    // One section 5, numbered 5.1, 5.2 … per account.
    expect(text.match(/^5\. /gm)).toEqual(['5. '])
    const histories = text.match(/^5\.\d+ \S+ \((electric|gas)\): last 3 of \d+ invoices$/gm) ?? []
    expect(histories.length).toBeGreaterThan(0)
    expect(histories.map((h) => h.split(' ')[0])).toEqual(histories.map((_, i) => `5.${i + 1}`))
    // Accounts without credits (gas) show a dash, never "0 kWh".
    expect(text.split('\n6. ')[0]).not.toMatch(/ 0 kWh/)
    const requests = Number(/Done: (\d+) signed ECI requests/.exec(text)?.[1])
    expect(requests).toBeGreaterThanOrEqual(histories.length * 25)
  })
})

describe('ecis demo, Green Button section', () => {
  it('parses, bills, audits and maps a generated Download My Data file', async () => {
    const lines: string[] = []
    await runDemo({ seed: 7, last: 1, out: (l) => lines.push(l) })
    const text = lines.join('\n').split('\n7. ')[1] ?? ''
    expect(text).toMatch(/^Green Button \(ESPI\)/)
    expect(text).toMatch(/2 usage points, \d+ interval readings, parsed and validated/)
    expect(text.match(/ USD +\d+\/\d+ +UsageSummary$/gm)).toHaveLength(6)
    expect(text).toContain('audit: every bill adds up to its line items, periods contiguous')
    expect(text).toMatch(/as an ECIS Invoice Detail: \d+ fields from the feed; no ESPI home for \d+: system_account_id/)
  })
})
