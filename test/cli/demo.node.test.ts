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
    const histories = text.match(/5\. Invoice history of \S+ \(ECI Invoice Detail; last 3 of (\d+)\)/g) ?? []
    expect(histories.length).toBeGreaterThan(0)
    const requests = Number(/Done: (\d+) signed ECI requests/.exec(text)?.[1])
    expect(requests).toBeGreaterThanOrEqual(histories.length * 25)
  })
})
