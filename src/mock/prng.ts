/**
 * A small seeded pseudo-random generator (sfc32 seeded through a string hash), so fixtures are
 * identical for the same seed on every platform. Never used for secrets.
 * @module
 */

/** A deterministic random source. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T
  /** `true` with probability `p`. */
  chance(p: number): boolean
  /** `length` lowercase hex digits. */
  hex(length: number): string
  /** `length` decimal digits (leading zeros kept). */
  digits(length: number): string
}

/** 32-bit string hash (FNV-1a with a final avalanche), used to expand the seed. */
function hash32(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Creates a generator from a seed. The same seed always yields the same sequence.
 * @param seed any number or string
 */
export function createPrng(seed: number | string): Prng {
  const text = `ecis:${String(seed)}`
  let a = hash32(text, 1)
  let b = hash32(text, 2)
  let c = hash32(text, 3)
  let d = 1
  const next32 = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 15; i++) next32()

  const prng: Prng = {
    next: () => next32() / 4294967296,
    int: (min, max) => min + Math.floor(prng.next() * (max - min + 1)),
    pick: (items) => items[Math.floor(prng.next() * items.length)] as (typeof items)[number],
    chance: (p) => prng.next() < p,
    hex: (length) => {
      let out = ''
      for (let i = 0; i < length; i++) out += Math.floor(prng.next() * 16).toString(16)
      return out
    },
    digits: (length) => {
      let out = ''
      for (let i = 0; i < length; i++) out += String(Math.floor(prng.next() * 10))
      return out
    },
  }
  return prng
}
