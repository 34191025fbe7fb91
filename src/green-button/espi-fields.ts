/**
 * One zod type per ESPI simple type (NAESB REQ.21 `espi.xsd`): each reads an element's text and
 * yields a number, boolean or string. The resource schemas are assembled from these, and the
 * element reader knows a leaf by its schema, so each simple type's rule is written once, here.
 *
 * @module
 */
import * as z from 'zod'

/** Largest magnitude of an ESPI `Int48`. */
export const INT48_MAX = 2 ** 47

function integer(pattern: RegExp, min: number, max: number, what: string) {
  return z
    .string({ error: `Expected ${what}` })
    .regex(pattern, { error: `Expected ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `Expected ${what}` })
}

/** `Int48`: a signed whole number of at most 48 bits (money in hundred-thousandths, reading values). */
export const Int48 = integer(/^[+-]?\d{1,15}$/, -INT48_MAX, INT48_MAX, 'a whole number (Int48)')
/** `Int16`: a signed 16-bit whole number (`powerOfTenMultiplier`, `tou`, …). */
export const Int16 = integer(/^[+-]?\d{1,5}$/, -32768, 32767, 'a whole number (Int16)')
/** `UInt16`: an unsigned 16-bit whole number (codes: `uom`, `currency`, `kind`, …). */
export const UInt16 = integer(/^\+?\d{1,5}$/, 0, 65535, 'a whole number from 0 to 65535 (UInt16)')
/** `UInt32`: an unsigned 32-bit whole number (durations in seconds). */
export const UInt32 = integer(/^\+?\d{1,10}$/, 0, 4294967295, 'a whole number of seconds (UInt32)')
/** `TimeType`: seconds since 1970-01-01T00:00:00Z (may be negative for offsets). */
export const TimeType = integer(/^[+-]?\d{1,12}$/, -(2 ** 40), 2 ** 40, 'a time in epoch seconds (TimeType)')
/** `HexBinary32` (a DST rule): eight hexadecimal digits, read as an unsigned number. */
export const HexBinary32 = z
  .string({ error: 'Expected eight hexadecimal digits' })
  .regex(/^[0-9A-Fa-f]{1,8}$/, { error: 'Expected eight hexadecimal digits' })
  .transform((s) => Number.parseInt(s, 16))
/** `xs:boolean`. */
export const XmlBoolean = z
  .enum(['true', 'false', '1', '0'], { error: 'Expected true or false' })
  .transform((s) => s === 'true' || s === '1')
/** A string (`String256`, `String64`, `xs:anyURI`, …): lengths are not enforced, the reader bounds them. */
export const Text = z.string({ error: 'Expected text' })

/**
 * A resource schema that also names the standard ESPI elements the SDK does not carry into its
 * model: those are read past without a deviation (unknown elements, by contrast, are reported).
 */
export function withUnmodelled<S extends z.ZodObject>(schema: S, names: readonly string[]): S {
  return schema.meta({ espiUnmodelled: names }) as S
}

/** The standard elements {@link withUnmodelled} named for `schema`. */
export function unmodelledNames(schema: z.ZodType): readonly string[] {
  const names = schema.meta()?.espiUnmodelled
  return Array.isArray(names) ? (names as string[]) : []
}

/** `DateTimeInterval`: a start (epoch seconds) and a duration (seconds). */
export const DateTimeInterval = z.object({ duration: UInt32, start: TimeType })
/** A period: `start` in epoch seconds, `duration` in seconds. */
export type DateTimeInterval = z.infer<typeof DateTimeInterval>

/** `SummaryMeasurement`: a value with its unit code and power-of-ten multiplier. */
export const SummaryMeasurement = z.object({
  powerOfTenMultiplier: Int16.optional(),
  timeStamp: TimeType.optional(),
  uom: UInt16.optional(),
  value: Int48.optional(),
  readingTypeRef: Text.optional(),
})
/** A summary measurement as the feed states it (raw integers and codes). */
export type SummaryMeasurement = z.infer<typeof SummaryMeasurement>
