/** Counting in sliding windows, for the rate-limit tests (runs in Node and in the browser). */

/** The most of `times` (ms) in any half-open window of `windowMs`. */
export function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let low = 0
  for (let high = 0; high < sorted.length; high++) {
    while ((sorted[high] as number) - (sorted[low] as number) >= windowMs) low++
    best = Math.max(best, high - low + 1)
  }
  return best
}
