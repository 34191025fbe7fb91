/** The package's version, read from its package.json (two levels up from src/cli and dist/cli). */
import { readFileSync } from 'node:fs'

let cached: string | undefined

/** `ecis-consumer`'s version, e.g. `0.1.0`; `unknown` if package.json cannot be read. */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        name?: string
        version?: string
      }
      cached = pkg.name === 'ecis-consumer' && typeof pkg.version === 'string' ? pkg.version : 'unknown'
    } catch {
      cached = 'unknown'
    }
  }
  return cached
}
