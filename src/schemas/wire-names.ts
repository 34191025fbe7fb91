/**
 * The wire spellings of ECIS fields that differ from the SDK's canonical names, written once.
 * Zod-free and import-free at run time, so the mock provider (which must not load zod) and the
 * parsers share it.
 *
 * @module
 */
import type { VocabularyTerm } from './vocabulary.js'

/**
 * The spelling the seed's response lists use, where it differs from the canonical name: its
 * `serivce_period_end` typo. Conformant providers send it, so parsers accept it silently.
 */
export const SEED_WIRE_NAMES: Readonly<Partial<Record<VocabularyTerm, string>>> = Object.freeze({
  service_period_end: 'serivce_period_end',
})

/**
 * The vocabulary's `*_total` credit names (the seed's response lists drop the suffix). Accepted
 * on the wire, and reported as an `alias` deviation.
 */
export const VOCABULARY_WIRE_NAMES: Readonly<Partial<Record<VocabularyTerm, string>>> = Object.freeze({
  credit_carryover: 'credit_carryover_total',
  credit_new: 'credit_new_total',
  credit_allocated: 'credit_allocated_total',
})

function invert(names: Readonly<Partial<Record<VocabularyTerm, string>>>): Record<string, VocabularyTerm> {
  const out: Record<string, VocabularyTerm> = {}
  for (const [canonical, wire] of Object.entries(names)) out[wire as string] = canonical as VocabularyTerm
  return out
}

/** Every wire spelling accepted besides the canonical name, mapped to the canonical name. */
export const WIRE_ALIASES: Readonly<Record<string, VocabularyTerm>> = Object.freeze({
  ...invert(SEED_WIRE_NAMES),
  ...invert(VOCABULARY_WIRE_NAMES),
})

/** True for a seed spelling (read without a deviation report, since the seed itself uses it). */
export function isSeedWireName(name: string): boolean {
  return Object.values(SEED_WIRE_NAMES).includes(name)
}
