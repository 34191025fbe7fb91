/**
 * What a provider's response says about its rate limit, from whichever fields it sends:
 * `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-08 and later:
 * `"default";q=100;w=1` and `"default";r=42;t=1`; draft-07's `100;w=1` and
 * `limit=100, remaining=42, reset=1` too), the earlier drafts' `RateLimit-Limit` /
 * `-Remaining` / `-Reset`, and the common `X-RateLimit-Limit` / `-Remaining` / `-Reset`
 * (delta seconds, or epoch seconds as GitHub sends) / `-Reset-After`.
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 * @internal
 * @module
 */

/** A provider's statement about its rate limit; each field only when the response said it. */
export interface RateLimitInfo {
  /** Requests the provider allows per window (its quota). */
  limit?: number
  /** The quota's window, ms. */
  windowMs?: number
  /** Requests left in the current window. */
  remaining?: number
  /** Ms until more quota is available. */
  resetMs?: number
}

/** One member of a structured-field list: its bare value and its `;key=value` parameters. */
interface Member {
  value: string
  params: Map<string, string>
}

/** Splits `text` at `separator` outside double quotes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = []
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts.map((p) => p.trim()).filter((p) => p.length > 0)
}

/** A structured-field list (RFC 9651), leniently: members of `value;key=value;…`. */
function members(field: string | null): Member[] {
  if (!field) return []
  return splitOutsideQuotes(field, ',').map((member) => {
    const [value = '', ...rest] = splitOutsideQuotes(member, ';')
    const params = new Map<string, string>()
    for (const p of rest) {
      const at = p.indexOf('=')
      if (at > 0) params.set(p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim())
    }
    const eq = value.indexOf('=')
    // draft-07's dictionary (`limit=100`) puts the pair in the value: keep it as a parameter.
    if (eq > 0 && !value.startsWith('"'))
      params.set(value.slice(0, eq).trim().toLowerCase(), value.slice(eq + 1).trim())
    return { value: eq > 0 && !value.startsWith('"') ? '' : value, params }
  })
}

/** A finite, non-negative number, or undefined. */
function count(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || !/^\d+(\.\d+)?$/.test(text.trim())) return undefined
  return Number(text)
}

/** A quota must be a positive whole number of requests. */
const quota = (n: number | undefined) => (n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined)

const seconds = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 1000))

/** The current drafts' fields: `RateLimit-Policy` and `RateLimit`. */
function fromRateLimitFields(headers: Headers): RateLimitInfo {
  const info: RateLimitInfo = {}
  const state = members(headers.get('ratelimit'))
  const policies = members(headers.get('ratelimit-policy'))
  // draft-07's dictionary (`limit=100, remaining=42, reset=1`) spreads one state over members.
  const current =
    state.length > 1 && state.every((m) => m.value === '')
      ? { value: '', params: new Map(state.flatMap((m) => [...m.params])) }
      : state[0]
  if (current) {
    info.remaining = count(current.params.get('r') ?? current.params.get('remaining'))
    info.resetMs = seconds(count(current.params.get('t') ?? current.params.get('reset')))
    info.limit = quota(count(current.params.get('limit')))
  }
  // The policy the current state names, else the first.
  const policy = policies.find((p) => current && p.value !== '' && p.value === current.value) ?? policies[0]
  if (policy) {
    info.limit = quota(count(policy.params.get('q') ?? policy.params.get('l') ?? policy.value)) ?? info.limit
    info.windowMs = seconds(count(policy.params.get('w')))
  }
  return info
}

/** The earlier drafts' `RateLimit-*` and the common `X-RateLimit-*` fields. */
function fromSeparateFields(headers: Headers, prefix: string, now: number): RateLimitInfo {
  const info: RateLimitInfo = {}
  const limit = members(headers.get(`${prefix}-limit`))[0]
  if (limit) {
    info.limit = quota(count(limit.value))
    info.windowMs = seconds(count(limit.params.get('w')))
  }
  info.remaining = count(headers.get(`${prefix}-remaining`))
  const after = count(headers.get(`${prefix}-reset-after`))
  const reset = count(headers.get(`${prefix}-reset`))
  // A reset above 10^9 is a time (epoch seconds), not a delay: no window lasts 30 years.
  if (after !== undefined) info.resetMs = seconds(after)
  else if (reset !== undefined) info.resetMs = reset > 1e9 ? Math.max(0, reset * 1000 - now) : seconds(reset)
  return info
}

/** Drops the fields a response did not carry. */
function defined(info: RateLimitInfo): RateLimitInfo {
  return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as RateLimitInfo
}

/**
 * What `headers` say about the provider's rate limit: the current drafts' fields first, then
 * the earlier drafts', then `X-RateLimit-*`, each field from the first that carries it.
 */
export function rateLimitInfo(headers: Headers, now = Date.now()): RateLimitInfo {
  return defined({
    ...defined(fromSeparateFields(headers, 'x-ratelimit', now)),
    ...defined(fromSeparateFields(headers, 'ratelimit', now)),
    ...defined(fromRateLimitFields(headers)),
  })
}
