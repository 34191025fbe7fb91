/** Command-line parsing on node:util parseArgs, with mistakes as {@link UsageError}s. */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './io.js'
import { didYouMean } from './suggest.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Checks the option tokens ourselves first, so that mistakes read as the CLI's own words
 * ("unknown option --gran-file (did you mean --grant-file?)") instead of parseArgs' text.
 */
function checkTokens(args: string[], options: Options, usage: string): void {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true })
  const names = Object.keys(options).map((n) => `--${n}`)
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = options[token.name]
    if (!spec) {
      throw new UsageError(`unknown option ${token.rawName}${didYouMean(token.rawName, names, (s) => s)}`, usage)
    }
    if (spec.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`${token.rawName} takes no value`, usage)
    }
    if (spec.type === 'string') {
      const value = token.value
      if (value === undefined || (!token.inlineValue && value.startsWith('--'))) {
        throw new UsageError(`${token.rawName} needs a value`, usage)
      }
    }
  }
}

/** Parses `args` against `options`; unknown options and missing values are usage errors. */
export function parse<O extends Options>(args: string[], options: O, usage: string) {
  checkTokens(args, options, usage)
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

/** One of `allowed`, or a usage error that lists them (and the closest one). */
export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
  usage: string,
): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}${didYouMean(value, allowed)}`, usage)
  }
  return value as T
}
