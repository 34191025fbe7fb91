/**
 * Turning an XML element into a validated ESPI object: the element's children are matched to the
 * keys of the resource's zod schema (repeated elements to its arrays, leaves to their text), then
 * the schema checks and converts them. Unknown elements are dropped and reported, as the ECIS
 * parsers drop unknown fields.
 *
 * @module
 */
import * as z from 'zod'
import { EciValidationError, type ValidationIssue } from '../errors.js'
import { unmodelledNames } from './espi-fields.js'
import type { XmlElement } from './xml-reader.js'

/** What an {@link EspiDeviation} is about. */
export type EspiDeviationKind =
  /** An element the ESPI schema does not define where it was found; it was dropped. */
  | 'unknown-element'
  /** An entry whose content is no ESPI resource the SDK reads; it was dropped. */
  | 'unknown-resource'
  /** A resource no link ties to a usage point (or a reading type to its meter reading); it was dropped. */
  | 'unlinked-entry'
  /** A code the SDK has no name for (a currency, a unit, a line item kind); the number is kept. */
  | 'unknown-code'
  /** Two readings of one meter reading cover the same start; the later one in the file was dropped. */
  | 'duplicate-reading'

/** A difference between a Green Button file and the ESPI standard that the parser worked around. */
export interface EspiDeviation {
  kind: EspiDeviationKind
  /** Where: `['entry', 3, 'UsageSummary', 'costAdditionalDetailLastPeriod', 0, 'itemKind']`. */
  path: (string | number)[]
  /** What, in words; never the file's text beyond an element name. */
  message: string
}

/** Reported one by one per kind; after these, one summary at the end. */
const MAX_REPORTED = 100
const MAX_NAME = 64

/** Collects deviations (at most {@link MAX_REPORTED} per kind) and hands them to `onDeviation`. */
export class DeviationLog {
  readonly #counts = new Map<EspiDeviationKind, number>()
  readonly #report: ((d: EspiDeviation) => void) | undefined

  constructor(report: ((d: EspiDeviation) => void) | undefined) {
    this.#report = report
  }

  add(deviation: EspiDeviation): void {
    const count = (this.#counts.get(deviation.kind) ?? 0) + 1
    this.#counts.set(deviation.kind, count)
    if (count <= MAX_REPORTED) this.#report?.(deviation)
  }

  /** One summary line per kind that went over the cap. */
  finish(): void {
    for (const [kind, count] of this.#counts) {
      if (count > MAX_REPORTED) {
        this.#report?.({ kind, path: [], message: `and ${count - MAX_REPORTED} more of this kind` })
      }
    }
  }
}

/** An element name from the file, safe to print. */
export function shownName(name: string): string {
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name
}

/** An element's path, or a function that makes it: most elements never need theirs, so it is built on demand. */
export type Path = (string | number)[] | (() => (string | number)[])

const at = (path: Path) => (typeof path === 'function' ? path() : path)

function unwrap(schema: z.ZodType): z.ZodType {
  let inner = schema
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType
  return inner
}

/** What reading an element of an object schema needs: its fields unwrapped, and the names it reads past. */
interface ObjectPlan {
  readonly fields: ReadonlyMap<string, z.ZodType>
  readonly skipped: ReadonlySet<string>
}

/** Plans by schema, made once: a year of interval readings reads the same few schemas 35,000 times. */
const plans = new WeakMap<z.ZodObject, ObjectPlan>()

function planOf(schema: z.ZodObject): ObjectPlan {
  let plan = plans.get(schema)
  if (!plan) {
    const shape = schema.shape as Record<string, z.ZodType>
    plan = {
      fields: new Map(Object.entries(shape).map(([name, field]) => [name, unwrap(field)])),
      skipped: new Set(unmodelledNames(schema)),
    }
    plans.set(schema, plan)
  }
  return plan
}

/** The plain value zod will check: objects for object schemas, arrays for repeated children, text for leaves. */
function toRaw(
  element: XmlElement,
  schema: z.ZodType,
  path: Path,
  log: DeviationLog,
  issues: ValidationIssue[],
): unknown {
  const inner = unwrap(schema)
  if (!(inner instanceof z.ZodObject)) return element.text
  const { fields, skipped } = planOf(inner)
  const out: Record<string, unknown> = {}
  for (const child of element.children) {
    const same = child.ns === element.ns
    if (same && skipped.has(child.name)) continue
    const field = same ? fields.get(child.name) : undefined
    if (field === undefined) {
      const name = shownName(child.name)
      log.add({
        kind: 'unknown-element',
        path: [...at(path), name],
        message: `element "${name}" is not part of ${element.name} in ESPI; dropped`,
      })
      continue
    }
    if (field instanceof z.ZodArray) {
      const list = (out[child.name] as unknown[] | undefined) ?? []
      out[child.name] = list
      const index = list.length
      list.push(toRaw(child, field.element as z.ZodType, () => [...at(path), child.name, index], log, issues))
    } else if (Object.hasOwn(out, child.name)) {
      issues.push({ path: [...at(path), child.name], message: `Element appears more than once (line ${child.line})` })
    } else {
      out[child.name] = toRaw(child, field, () => [...at(path), child.name], log, issues)
    }
  }
  return out
}

/**
 * The element as a validated object of `schema`.
 * @throws {EciValidationError} with each issue's path below `path`.
 */
export function readElement<S extends z.ZodType>(
  element: XmlElement,
  schema: S,
  path: Path,
  log: DeviationLog,
): z.output<S> {
  const issues: ValidationIssue[] = []
  const raw = toRaw(element, schema, path, log, issues)
  const result = schema.safeParse(raw, { reportInput: false })
  if (!result.success) {
    for (const issue of result.error.issues) {
      issues.push({ path: [...at(path), ...(issue.path as (string | number)[])], message: issue.message })
    }
  }
  if (issues.length > 0) throw invalidEspi(issues, element.line)
  return result.data as z.output<S>
}

/** The error for a file with `issues`, naming the first few and the line. */
export function invalidEspi(issues: ValidationIssue[], line?: number): EciValidationError {
  const shown = issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
  const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : ''
  const where = line === undefined ? '' : ` (near line ${line})`
  return new EciValidationError(`Invalid ESPI file${where}: ${shown.join('; ')}${more}`, issues)
}
