import type { InvoiceDetail } from '../schemas/responses.js'

/** Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))]
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

/** USD with two decimals. */
export const usd = (n: number): string => `$${n.toFixed(2)}`

/** The detail columns shared by `ecis demo` and `ecis invoices --detail`: usage, charges, credit used. */
export function detailColumns(d: InvoiceDetail): string[] {
  const charges =
    d.energy_consumption_total +
    d.distribution_total +
    d.transmission_total +
    d.stranded_costs_total +
    d.conservation_total
  // No credit allocated (a gas account, or no project output yet): a dash, not "0 kWh".
  const credit = d.credit_allocated === 0 ? '—' : `${d.credit_allocated} ${d.credit_unit}`
  return [`${d.energy_consumption_quantity} ${d.delivery_unit}`, usd(charges), credit]
}
