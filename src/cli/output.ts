/** Terminal output of ECIS objects: key/value listings and money. */
import { table } from './table.js'

/** A two-column listing of an object's fields, in the object's order; lists joined with commas. */
export function fields(object: object): string {
  const rows = Object.entries(object).map(([name, value]) => [
    name,
    Array.isArray(value) ? listing(value) : value === undefined ? '—' : String(value),
  ])
  return table(['field', 'value'], rows)
}

/** A list in one cell; long lists show their count, first and last item (`--json` has them all). */
function listing(values: unknown[]): string {
  if (values.length === 0) return '—'
  if (values.length <= 4) return values.join(', ')
  return `${values.length}: ${values[0]}, ${values[1]} … ${values[values.length - 1]} (--json lists all)`
}
