/**
 * The bounds every ESPI parse runs within, so that a hostile or broken file costs bounded time
 * and memory: its size, nesting, element and attribute counts and the length of one text.
 *
 * @module
 */
import { badOption } from '../resolve.js'

/** Bounds of {@link parseEspi} and {@link parseEspiStream}. Each is checked while reading. */
export interface EspiLimits {
  /**
   * Largest file read, in bytes of UTF-8 (a year of 15-minute readings for one usage point is
   * about 5 MB).
   * @default 268435456 (256 MiB)
   */
  maxBytes?: number | undefined
  /**
   * Deepest element nesting (an ESPI feed nests about 8 deep).
   * @default 64
   */
  maxDepth?: number | undefined
  /**
   * Most elements in the whole file.
   * @default 20000000
   */
  maxElements?: number | undefined
  /**
   * Most attributes on one element (namespace declarations included).
   * @default 32
   */
  maxAttributes?: number | undefined
  /**
   * Longest text of one element, in characters.
   * @default 65536
   */
  maxTextLength?: number | undefined
}

/** {@link EspiLimits} with every default applied. */
export type ResolvedEspiLimits = Readonly<Required<{ [K in keyof EspiLimits]: number }>>

/** The default {@link EspiLimits}. */
export const DEFAULT_ESPI_LIMITS: ResolvedEspiLimits = Object.freeze({
  maxBytes: 256 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 20_000_000,
  maxAttributes: 32,
  maxTextLength: 65_536,
})

/**
 * The limits with defaults applied.
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` when a limit is not a positive whole number.
 */
export function resolveEspiLimits(limits: EspiLimits | undefined): ResolvedEspiLimits {
  if (limits === undefined) return DEFAULT_ESPI_LIMITS
  if (limits === null || typeof limits !== 'object') throw badOption('`limits` must be an object')
  const out = { ...DEFAULT_ESPI_LIMITS }
  for (const name of Object.keys(DEFAULT_ESPI_LIMITS) as (keyof ResolvedEspiLimits)[]) {
    const value = limits[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw badOption(`\`limits.${name}\` must be a positive whole number`)
    }
    out[name] = value
  }
  return Object.freeze(out)
}
