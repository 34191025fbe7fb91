// The mock provider's wrong bills, read through the SDK (consent, signed requests, parsing)
// and audited: what a producer's reconciliation test does.
import { describe, expect, it } from 'vitest'
import { AUDIT_CHECKS, type AuditFinding, auditHistory, EciConfigError, type InvoiceDetail } from '../../src/index.js'
import type { MockProviderOptions } from '../../src/mock/index.js'
import { world } from '../support/consumer.js'
import { fixtures } from './support.js'

async function auditThroughSdk(provider: Partial<MockProviderOptions>, lenient = false) {
  const w = await world(provider, lenient ? { validation: 'lenient' } : {})
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const session = w.consumer.session(await w.consumer.completeConsent(await w.authorize(url), transaction))
  const details: InvoiceDetail[] = []
  for await (const d of session.invoices('0018-102', { detail: true, concurrency: 4 })) details.push(d)
  return { findings: auditHistory(details), injected: w.mock.fixtures.billErrors, details }
}

const brief = (f: AuditFinding) => ({ check: f.check, systemInvoiceId: f.systemInvoiceId, index: f.path[0] })

describe('mock wrong bills through the SDK', () => {
  it('audit clean by default', async () => {
    const { findings, injected, details } = await auditThroughSdk({})
    expect(details.length).toBeGreaterThanOrEqual(24)
    expect(injected).toEqual([])
    expect(findings).toEqual([])
  })

  it('are exactly what the audit of the fetched history reports, at the invoices fixtures.billErrors names', async () => {
    const kinds = ['credit-carryover', 'line-total', 'period-overlap', 'duplicate-invoice', 'due-date'] as const
    const { findings, injected, details } = await auditThroughSdk({ billErrors: [...kinds] })
    const here = injected.filter((e) => e.systemAccountId === '0018-102')
    expect(here.map((e) => e.kind).sort()).toEqual([...kinds].sort())
    expect(findings.map(brief)).toEqual(
      [...here]
        .sort((a, b) => a.index - b.index || AUDIT_CHECKS.indexOf(a.kind) - AUDIT_CHECKS.indexOf(b.kind))
        .map((e) => ({ check: e.kind, systemInvoiceId: e.systemInvoiceId, index: e.index })),
    )
    // The duplicate is a second fetch of the same invoice.
    const dup = here.find((e) => e.kind === 'duplicate-invoice')!
    expect(details[dup.index]).toEqual(details[dup.index - 1])
  })

  it('audit the same in the deviant dialect (numbers as strings) read leniently', async () => {
    const billErrors = ['invoice-total', 'credit-remaining'] as const
    const strict = await auditThroughSdk({ billErrors: [...billErrors] })
    const deviant = await auditThroughSdk({ billErrors: [...billErrors], dialect: 'deviant' }, true)
    expect(deviant.findings).toEqual(strict.findings)
    expect(strict.findings.map((f) => [f.check, f.severity])).toEqual([
      ['invoice-total', 'warning'],
      ['credit-remaining', 'error'],
    ])
  })

  it('go where a spec says, and a spec that cannot apply is an EciConfigError', () => {
    const data = fixtures({ billErrors: [{ kind: 'period-gap', account: '0018-102', invoice: -1 }] })
    const last = data.account('0018-102')!.invoices.at(-1)!
    expect(data.billErrors).toEqual([
      {
        kind: 'period-gap',
        systemAccountId: '0018-102',
        systemInvoiceId: last.system_invoice_id,
        index: data.account('0018-102')!.invoices.length - 1,
      },
    ])
    expect(Object.isFrozen(data.billErrors[0])).toBe(true)
    const gas = fixtures().owners[0]!.accounts[1]!
    expect(gas.accountType).toBe('gas')
    const bad = (billErrors: unknown) => () => fixtures({ billErrors: billErrors as never })
    expect(bad([{ kind: 'credit-carryover', account: gas.systemAccountId }])).toThrow(EciConfigError)
    expect(bad([{ kind: 'credit-carryover', account: gas.systemAccountId }])).toThrow(
      `credit-carryover cannot apply to account "${gas.systemAccountId}"`,
    )
    expect(bad(['wrong-total'])).toThrow('`billErrors`: each must be one of')
    expect(bad([{ kind: 'line-total', account: '9999-999' }])).toThrow('no account "9999-999"')
    expect(bad([{ kind: 'line-total', invoice: 1.5 }])).toThrow('`invoice` must be a whole number')
    expect(bad('line-total')).toThrow('`billErrors` must be an array')
  })
})
