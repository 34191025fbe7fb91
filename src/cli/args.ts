/** Command-line parsing on node:util parseArgs, with mistakes as {@link UsageError}s. */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './io.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `args` against `options`; unknown options and missing values are usage errors. */
export function parse<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true, allowNegative: false })
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'invalid arguments', usage)
  }
}

/** A whole number option within [min, max]. */
export function integer(
  value: string | undefined,
  name: string,
  usage: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`, usage)
  }
  return n
}

/** A comma-separated list option (empty items dropped). */
export function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Exactly `names.length` positionals. */
export function positionals(values: string[], names: string[], usage: string): string[] {
  if (values.length < names.length) throw new UsageError(`missing ${names.slice(values.length).join(' ')}`, usage)
  if (values.length > names.length) throw new UsageError(`unexpected argument "${values[names.length]}"`, usage)
  return values
}

/** A required option. */
export function required(value: string | undefined, name: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, usage)
  return value
}
