/**
 * Turning a provider's JSON into a validated ECIS object. Synchronous, total: any input yields
 * a value or an {@link EciValidationError}, never a TypeError.
 *
 * @module
 */
import * as z from 'zod'
import { EciValidationError, MAX_VALIDATION_ISSUES, redact, type ValidationIssue } from '../errors.js'
import { Amount, Flag, Identifier, IsoDate } from './fields.js'
import {
  type Basic,
  BasicSchema,
  type Invoice,
  type InvoiceDetail,
  InvoiceDetailSchema,
  InvoiceSchema,
} from './responses.js'
import { isSeedWireName, WIRE_ALIASES } from './wire-names.js'

/**
 * `strict` rejects anything off the ECIS profile; `lenient` coerces the common provider
 * deviations (numeric strings, date-times where dates are due, `"true"`/`"false"`) and reports
 * each one to `onDeviation`.
 */
export type ValidationMode = 'strict' | 'lenient'

/** What a {@link Deviation} is about. */
export type DeviationKind =
  /** A field the ECIS vocabulary does not define; it was dropped. */
  | 'unknown-field'
  /** An alternative spelling (`service_period_end`, `credit_new_total`, …) was renamed. */
  | 'alias'
  /** (lenient) A number arrived as a string and was converted. */
  | 'numeric-string'
  /** (lenient) A date-time arrived where a date is due; its calendar date was kept. */
  | 'date-time'
  /** (lenient) A boolean arrived as `"true"`/`"false"` and was converted. */
  | 'boolean-string'

/** A difference between what the provider sent and the canonical ECIS form. */
export interface Deviation {
  kind: DeviationKind
  /** Field path as sent on the wire. */
  path: (string | number)[]
  /** Human-readable description; never contains the field's value. */
  message: string
}

/** Options of {@link parseBasic}, {@link parseInvoice} and {@link parseInvoiceDetail}. */
export interface ParseOptions {
  /**
   * How tolerant to be of provider deviations.
   * @default 'strict'
   */
  validation?: ValidationMode | undefined
  /** Called once per deviation, in both modes (unknown fields are reported in strict mode too). */
  onDeviation?: ((deviation: Deviation) => void) | undefined
}

type Kind = 'date' | 'number' | 'boolean' | 'other'

function kindOf(schema: z.ZodType): Kind {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema
  if (inner === IsoDate) return 'date'
  if (inner === Amount) return 'number'
  if (inner === Flag) return 'boolean'
  return 'other'
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Longest field name a deviation repeats; a provider may send anything as a name. */
const MAX_NAME = 64
/** Unknown fields reported one by one; after these, one summary. */
const MAX_UNKNOWN_REPORTED = 100

/** A provider-chosen field name, safe to print: no JWT-shaped text, capped. */
function shownName(name: string): string {
  const clean = redact(name, [])
  return clean.length > MAX_NAME ? `${clean.slice(0, MAX_NAME)}…` : clean
}

/** An array field of a schema: its name and its element schema. */
interface ArrayField {
  readonly name: string
  readonly element: z.ZodType
}

/**
 * Checks the items of array fields one by one, keeping at most {@link MAX_VALIDATION_ISSUES}
 * issues (zod would build one per bad item: 500k for a 1 MB body). A broken array is emptied
 * before zod sees it. Returns how many issues were not kept.
 */
function checkArrays(
  input: Record<string, unknown>,
  arrays: readonly ArrayField[],
  wireName: (canonical: string) => string,
  issues: ValidationIssue[],
): number {
  let dropped = 0
  for (const { name, element } of arrays) {
    const value = input[name]
    if (!Array.isArray(value)) continue
    let bad = 0
    // Identifier lists: a typeof test says what zod would, without building an error per item.
    const quick = element === Identifier ? (v: unknown) => typeof v === 'string' && v.length >= 1 : undefined
    for (let i = 0; i < value.length; i++) {
      if (quick?.(value[i])) continue
      if (issues.length >= MAX_VALIDATION_ISSUES) {
        if (quick || !element.safeParse(value[i]).success) dropped++
        continue
      }
      const result = element.safeParse(value[i], { reportInput: false })
      if (result.success) continue
      bad++
      issues.push({ path: [wireName(name), i], message: result.error.issues[0]?.message ?? 'Invalid' })
    }
    if (bad > 0 || dropped > 0) input[name] = []
  }
  return dropped
}

/** How one accepted wire name is read: the field it fills, its kind, and whether to report the spelling. */
interface WireField {
  readonly canonical: string
  readonly kind: Kind
  /** An alternative spelling that is reported as an `alias` deviation (not the seed's own). */
  readonly reported: boolean
}

/** Every wire name `shape` accepts — canonical names and their aliases — read once per parser. */
function wireFields(shape: Record<string, z.ZodType>): Map<string, WireField> {
  const fields = new Map<string, WireField>()
  for (const [name, schema] of Object.entries(shape)) {
    fields.set(name, { canonical: name, kind: kindOf(schema), reported: false })
  }
  for (const [wire, canonical] of Object.entries(WIRE_ALIASES)) {
    const field = fields.get(canonical)
    if (field && field.canonical === canonical) {
      fields.set(wire, { canonical, kind: field.kind, reported: !isSeedWireName(wire) })
    }
  }
  return fields
}

/** The array fields of `shape`, so a response's arrays are found without walking its keys. */
function arrayFields(shape: Record<string, z.ZodType>): ArrayField[] {
  const out: ArrayField[] = []
  for (const [name, schema] of Object.entries(shape)) {
    const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema
    if (inner instanceof z.ZodArray) out.push({ name, element: inner.element as z.ZodType })
  }
  return out
}

/** Lenient coercion of one field; returns the value to validate. */
function coerce(kind: Kind, value: unknown, path: (string | number)[], report: (d: Deviation) => void): unknown {
  if (typeof value !== 'string') return value
  if (kind === 'number' && NUMERIC.test(value)) {
    const n = Number(value)
    if (Number.isFinite(n)) {
      report({ kind: 'numeric-string', path, message: 'number sent as a string; converted' })
      return n
    }
  }
  if (kind === 'date') {
    const m = DATE_TIME.exec(value)
    if (m) {
      report({ kind: 'date-time', path, message: 'date-time sent where a date is due; kept its calendar date' })
      return m[1]
    }
  }
  if (kind === 'boolean' && (value === 'true' || value === 'false')) {
    report({ kind: 'boolean-string', path, message: 'boolean sent as a string; converted' })
    return value === 'true'
  }
  return value
}

/** The error for a response with `issues` (and `dropped` more not kept). */
function validationError(what: string, issues: ValidationIssue[], dropped: number): EciValidationError {
  // The message names a few issues; the error keeps the first hundred (a small body can hold 500k).
  const shown = issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
  const count = issues.length + dropped
  const list = shown.join('; ') + (count > shown.length ? `; and ${count - shown.length} more` : '')
  // No ZodError as cause: the issues carry what it says, and it can be huge.
  return new EciValidationError(`Invalid ${what}: ${list}`, issues, { issueCount: count })
}

/**
 * Builds a parser for one response schema. Exported for the SDK's own request code; users call
 * {@link parseBasic}, {@link parseInvoice} or {@link parseInvoiceDetail}.
 * @internal
 */
export function createParser<S extends z.ZodObject>(schema: S, what: string) {
  const shape = schema.shape as Record<string, z.ZodType>
  const fields = wireFields(shape)
  const arrays = arrayFields(shape)

  return function parse(raw: unknown, options: ParseOptions = {}): z.infer<S> {
    const lenient = options.validation === 'lenient'
    const deviations: Deviation[] = []
    const report = (d: Deviation) => deviations.push(d)
    if (!isPlainObject(raw)) {
      const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`
      throw new EciValidationError(`Invalid ${what}: expected a JSON object, got ${got}`, [
        { path: [], message: `Expected a JSON object, got ${got}` },
      ])
    }

    const input: Record<string, unknown> = {}
    /** Canonical name → the wire name it was read from, for the fields that arrived under an alias. */
    let renamed: Map<string, string> | undefined
    const wireName = (canonical: string) => renamed?.get(canonical) ?? canonical
    const issues: ValidationIssue[] = []
    let unknown = 0
    for (const key of Object.keys(raw)) {
      const field = fields.get(key)
      if (field === undefined) {
        unknown++
        if (unknown <= MAX_UNKNOWN_REPORTED) {
          const name = shownName(key)
          report({
            kind: 'unknown-field',
            path: [name],
            message: `field "${name}" is not in the ECIS vocabulary for ${what}; dropped`,
          })
        }
        continue
      }
      const { canonical } = field
      if (Object.hasOwn(input, canonical)) {
        // Two spellings of one field: the same plain value twice is fine, anything else is a conflict.
        const first = wireName(canonical)
        if (!Object.is(raw[key], raw[first]) || typeof raw[key] === 'object') {
          issues.push({ path: [key], message: `Conflicts with "${first}", another spelling of "${canonical}"` })
        }
        continue
      }
      if (canonical !== key) {
        renamed ??= new Map()
        renamed.set(canonical, key)
        if (field.reported) report({ kind: 'alias', path: [key], message: `"${key}" read as "${canonical}"` })
      }
      input[canonical] = lenient ? coerce(field.kind, raw[key], [key], report) : raw[key]
    }

    if (unknown > MAX_UNKNOWN_REPORTED) {
      report({
        kind: 'unknown-field',
        path: [],
        message: `and ${unknown - MAX_UNKNOWN_REPORTED} more fields not in the ECIS vocabulary for ${what}; dropped`,
      })
    }
    const dropped = checkArrays(input, arrays, wireName, issues)
    const result = schema.safeParse(input, { reportInput: false })
    if (!result.success) {
      for (const issue of result.error.issues) {
        const [head, ...rest] = issue.path as (string | number)[]
        const field = typeof head === 'string' ? wireName(head) : head
        issues.push({ path: field === undefined ? [] : [field, ...rest], message: issue.message })
      }
    }
    if (issues.length > 0) throw validationError(what, issues, dropped)
    if (options.onDeviation) for (const d of deviations) options.onDeviation(d)
    return result.data as z.infer<S>
  }
}

/**
 * Validates an ECI Basic response body.
 * @throws {EciValidationError} listing every problem with its field path.
 * @example
 * ```ts
 * const basic = parseBasic(await res.json(), { validation: 'lenient', onDeviation: console.warn })
 * ```
 */
export const parseBasic: (raw: unknown, options?: ParseOptions) => Basic = createParser(BasicSchema, 'Basic')

/**
 * Validates an ECI Invoice response body; `serivce_period_end` is read as `service_period_end`.
 * @throws {EciValidationError} listing every problem with its field path.
 */
export const parseInvoice: (raw: unknown, options?: ParseOptions) => Invoice = createParser(InvoiceSchema, 'Invoice')

/**
 * Validates an ECI Invoice Detail response body; the `*_total` credit spellings are accepted.
 * @throws {EciValidationError} listing every problem with its field path.
 */
export const parseInvoiceDetail: (raw: unknown, options?: ParseOptions) => InvoiceDetail = createParser(
  InvoiceDetailSchema,
  'InvoiceDetail',
)
