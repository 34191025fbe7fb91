import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BasicSchema,
  type Deviation,
  EciValidationError,
  InvoiceDetailSchema,
  parseBasic,
  parseInvoice,
  parseInvoiceDetail,
} from '../../src/schemas/index.js'
import { basicBody, invoiceBody, invoiceDetailBody } from '../support/eci-endpoint.js'

function issuesOf(fn: () => unknown) {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(EciValidationError)
    return (e as EciValidationError).issues
  }
  throw new Error('expected EciValidationError')
}

describe('strict parsing', () => {
  it('accepts a conformant Basic, Invoice and InvoiceDetail', () => {
    expect(parseBasic(basicBody('0018-102')).system_account_id).toBe('0018-102')
    expect(parseInvoice(invoiceBody('a', 'i')).invoice_paid).toBe(false)
    expect(parseInvoiceDetail(invoiceDetailBody('a', 'i')).credit_allocated).toBe(117.8)
  })

  it('reads the seed typo serivce_period_end as service_period_end without reporting it', () => {
    const deviations: Deviation[] = []
    const inv = parseInvoice(invoiceBody('a', 'i'), { onDeviation: (d) => deviations.push(d) })
    expect(inv.service_period_end).toBe('2026-10-31')
    expect(Object.keys(inv)).not.toContain('serivce_period_end')
    expect(deviations).toEqual([])
  })

  it('accepts the corrected spelling service_period_end too', () => {
    const { serivce_period_end, ...rest } = invoiceBody('a', 'i')
    expect(parseInvoice({ ...rest, service_period_end: serivce_period_end }).service_period_end).toBe('2026-10-31')
  })

  it('accepts the vocabulary *_total credit names and reports them as aliases', () => {
    const { credit_carryover, credit_new, credit_allocated, ...rest } = invoiceDetailBody('a', 'i')
    const deviations: Deviation[] = []
    const d = parseInvoiceDetail(
      {
        ...rest,
        credit_carryover_total: credit_carryover,
        credit_new_total: credit_new,
        credit_allocated_total: credit_allocated,
      },
      { onDeviation: (x) => deviations.push(x) },
    )
    expect([d.credit_carryover, d.credit_new, d.credit_allocated]).toEqual([40, 100, 117.8])
    expect(deviations.map((x) => `${x.kind}:${x.path[0]}`).sort()).toEqual([
      'alias:credit_allocated_total',
      'alias:credit_carryover_total',
      'alias:credit_new_total',
    ])
  })

  it('refuses two spellings of one field with different values', () => {
    const issues = issuesOf(() => parseInvoice({ ...invoiceBody('a', 'i'), service_period_end: '2026-10-30' }))
    expect(issues[0].path).toEqual(['service_period_end'])
  })

  it('makes billing_period_* optional and validates them when present', () => {
    expect(parseBasic(basicBody('a')).billing_period_start).toBeUndefined()
    expect(parseBasic({ ...basicBody('a'), billing_period_start: '2026-10-01' }).billing_period_start).toBe(
      '2026-10-01',
    )
    expect(
      issuesOf(() => parseInvoice({ ...invoiceBody('a', 'i'), billing_period_end: '2026-10-32' }))[0].path,
    ).toEqual(['billing_period_end'])
  })

  it('accepts only electric or gas as account_type', () => {
    expect(parseBasic({ ...basicBody('a'), account_type: 'gas' }).account_type).toBe('gas')
    expect(issuesOf(() => parseBasic({ ...basicBody('a'), account_type: 'water' }))[0].path).toEqual(['account_type'])
  })

  it('rejects impossible calendar dates such as 2026-02-30', () => {
    expect(issuesOf(() => parseBasic({ ...basicBody('a'), next_read_date: '2026-02-30' }))[0].path).toEqual([
      'next_read_date',
    ])
  })

  it('rejects date-times, numeric strings and string booleans in strict mode', () => {
    const issues = issuesOf(() =>
      parseInvoice({
        ...invoiceBody('a', 'i'),
        invoice_date: '2026-11-02T10:00:00Z',
        invoice_total: '84.12',
        invoice_paid: 'true',
      }),
    )
    expect(issues.map((i) => i.path[0]).sort()).toEqual(['invoice_date', 'invoice_paid', 'invoice_total'])
  })

  it('lists every issue with its field path, the wire spelling included', () => {
    const { system_account_id: _, ...noAccount } = invoiceBody('a', 'i')
    const issues = issuesOf(() =>
      parseInvoice({ ...noAccount, serivce_period_end: 7, producer_projects: ['ok'], invoice_total: null }),
    )
    expect(issues.map((i) => i.path.join('.')).sort()).toEqual([
      'invoice_total',
      'serivce_period_end',
      'system_account_id',
    ])
  })

  it('reports array element paths', () => {
    const issues = issuesOf(() => parseBasic({ ...basicBody('a'), system_invoice_ids: ['x', 3, ''] }))
    expect(issues.map((i) => i.path)).toEqual([
      ['system_invoice_ids', 1],
      ['system_invoice_ids', 2],
    ])
  })

  it('drops unknown fields and reports each one, in strict mode too', () => {
    const deviations: Deviation[] = []
    const basic = parseBasic(
      { ...basicBody('a'), customer_name: 'Jane', extra: { x: 1 } },
      { onDeviation: (d) => deviations.push(d) },
    )
    expect(Object.keys(basic)).not.toContain('customer_name')
    expect(deviations.map((d) => `${d.kind}:${d.path[0]}`)).toEqual([
      'unknown-field:customer_name',
      'unknown-field:extra',
    ])
  })

  it('never puts the offending value in a message', () => {
    const secret = 'SENSITIVE-VALUE-123456'
    try {
      parseBasic({ ...basicBody('a'), account_type: secret, next_read_date: secret })
    } catch (e) {
      expect((e as Error).message).not.toContain(secret)
      expect(JSON.stringify(e)).not.toContain(secret)
      return
    }
    throw new Error('expected a failure')
  })
})

describe('lenient parsing', () => {
  it('coerces numeric strings, date-times and string booleans, reporting each with its path', () => {
    const deviations: string[] = []
    const inv = parseInvoice(
      {
        ...invoiceBody('a', 'i'),
        invoice_total: ' 84.12 ',
        invoice_date: '2026-11-02T23:30:00-05:00',
        invoice_paid: 'true',
      },
      { validation: 'lenient', onDeviation: (d) => deviations.push(`${d.kind}:${d.path.join('.')}`) },
    )
    expect(inv).toMatchObject({ invoice_total: 84.12, invoice_date: '2026-11-02', invoice_paid: true })
    expect(deviations.sort()).toEqual([
      'boolean-string:invoice_paid',
      'date-time:invoice_date',
      'numeric-string:invoice_total',
    ])
  })

  it('still rejects what it cannot coerce', () => {
    const issues = issuesOf(() =>
      parseInvoice(
        { ...invoiceBody('a', 'i'), invoice_total: 'eighty', invoice_date: '2026-02-30T00:00:00Z' },
        { validation: 'lenient' },
      ),
    )
    expect(issues.map((i) => i.path[0]).sort()).toEqual(['invoice_date', 'invoice_total'])
  })

  it('reports nothing for a conformant body', () => {
    const deviations: Deviation[] = []
    parseInvoiceDetail(invoiceDetailBody('a', 'i'), { validation: 'lenient', onDeviation: (d) => deviations.push(d) })
    expect(deviations).toEqual([])
  })
})

describe('any input at all', () => {
  it('yields a value or EciValidationError, never anything else', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), fc.boolean(), (raw, lenient) => {
        for (const parse of [parseBasic, parseInvoice, parseInvoiceDetail]) {
          try {
            parse(raw, { validation: lenient ? 'lenient' : 'strict' })
          } catch (e) {
            if (!(e instanceof EciValidationError)) throw e
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it.each([null, undefined, 'a string', 42, [], [basicBody('a')], new Date()])('refuses %j at the root', (raw) => {
    expect(issuesOf(() => parseBasic(raw))[0].path).toEqual([])
  })
})

// Arbitraries for valid objects, derived from the field kinds.
const date = fc
  .date({ min: new Date('1990-01-01'), max: new Date('2090-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10))
const id = fc.string({ minLength: 1, maxLength: 12 })
const amount = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 })
const validBasic = fc.record({
  system_account_id: id,
  account_type: fc.constantFrom('electric', 'gas'),
  rate_code: fc.string(),
  next_read_date: date,
  meter_number: fc.string(),
  producer_projects: fc.array(id),
  system_invoice_ids: fc.array(id),
})
const validDetail = fc.record(
  Object.fromEntries(
    Object.keys(InvoiceDetailSchema.shape)
      .filter((k) => !k.startsWith('billing_period'))
      .map((k) => {
        if (/_(quantity|rate|total)$|^credit_(carryover|new|allocated)$/.test(k)) return [k, amount]
        if (/date|period/.test(k)) return [k, date]
        if (k === 'invoice_paid') return [k, fc.boolean()]
        if (k === 'rate_code' || k === 'meter_number') return [k, fc.string()]
        return [k, id]
      }),
  ),
)

describe('properties', () => {
  it('valid Basic objects always parse to the same values', () => {
    fc.assert(
      fc.property(validBasic, (basic) => {
        expect(parseBasic(basic)).toEqual(basic)
        expect(parseBasic(basic, { validation: 'lenient' })).toEqual(basic)
      }),
    )
  })

  it('valid InvoiceDetail objects always parse to the same values (wire typo in, canonical out)', () => {
    fc.assert(
      fc.property(validDetail, (detail) => {
        const { service_period_end, ...rest } = detail as Record<string, unknown>
        expect(parseInvoiceDetail({ ...rest, serivce_period_end: service_period_end })).toEqual(detail)
      }),
    )
  })

  it('a required field of the wrong type is always rejected with its path', () => {
    const required = Object.keys(BasicSchema.shape).filter((k) => !k.startsWith('billing_period'))
    fc.assert(
      fc.property(
        validBasic,
        fc.constantFrom(...required),
        fc.oneof(fc.constant(null), fc.boolean(), fc.dictionary(fc.string(), fc.string()), fc.integer()),
        (basic, field, wrong) => {
          const bad = { ...basic, [field]: wrong }
          const issues = issuesOf(() => parseBasic(bad))
          expect(issues.map((i) => i.path[0])).toContain(field)
        },
      ),
    )
  })
})
