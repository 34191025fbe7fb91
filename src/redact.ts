/**
 * Redaction of secrets in text a provider sent back (error bodies, headers), before it goes into
 * an SDK error message. Dependency-free; `errors.ts` re-exports it.
 * @module
 */

const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g

/**
 * An echoed `Authorization` credential: `Bearer`, `DPoP` or `Basic` and a token68 of 16 or more
 * characters (shorter words are prose: "Bearer token expired"). A `Basic` credential carries the
 * client secret, which no other rule here knows.
 */
const CREDENTIAL = /\b(Bearer|DPoP|Basic)(\s+)[A-Za-z0-9\-._~+/]{16,}=*/gi

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`, and any JWT-shaped
 * string or echoed `Authorization` credential too (a provider may echo the request JWT, a token
 * or the request's headers back in its error text).
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(JWT_SHAPED, '[redacted]').replace(CREDENTIAL, '$1$2[redacted]')
  for (const secret of secrets) {
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]')
  }
  return out
}
