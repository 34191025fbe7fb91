/** "Did you mean …?" for mistyped commands and options: edit distance, no dependency. */

/**
 * Edit distance of `a` and `b`: insertions, deletions, substitutions and transpositions of two
 * neighbours (optimal string alignment), so `atuo` is one edit from `auto`.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)]
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    const up = rows[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1)
      }
      row[j] = best
    }
    rows.push(row)
  }
  return (rows[a.length] as number[])[b.length] as number
}

/**
 * The candidate closest to `input`: within a third of its length in edits (at least one), or
 * the one candidate `input` begins. `undefined` when nothing is close enough.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = editDistance(input, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(input.length / 3))) return best
  const prefixed = input.length >= 3 ? candidates.filter((c) => c.startsWith(input)) : []
  return prefixed.length === 1 ? prefixed[0] : undefined
}

/** ` (did you mean "x"?)` or nothing. */
export function didYouMean(input: string, candidates: readonly string[], quote = (s: string) => `"${s}"`): string {
  const match = closest(input, candidates)
  return match === undefined ? '' : ` (did you mean ${quote(match)}?)`
}
