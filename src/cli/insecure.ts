/** http:// providers: allowed only with `--allow-insecure`, and said in the CLI's words. */

import { EciConfigError, ErrorCode } from '../errors.js'
import { isLoopbackHost } from '../protocol/metadata.js'

/** Loopback hosts (RFC 8252 §8.3): where plain http is acceptable for development. */
export function isLoopback(url: URL): boolean {
  return isLoopbackHost(url.hostname)
}

/**
 * Refuses an http:// `url` unless `allowed`, with the flag to pass, before the SDK is asked
 * (whose message would name its own option, `allowInsecureRequests`).
 */
export function requireHttpsUnlessAllowed(url: string, allowed: boolean, what: string): void {
  if (allowed || !URL.canParse(url) || new URL(url).protocol !== 'http:') return
  throw new EciConfigError(
    ErrorCode.INVALID_OPTION,
    `${what} ${url} uses http://; pass --allow-insecure for a local test provider such as "ecis mock"`,
  )
}
