/**
 * The one secret collector of the hostile-provider suite. It learns the real secrets from what the
 * hostile servers received (access and refresh tokens in headers and forms, codes, verifiers,
 * client assertions, request JWTs, DPoP proofs) and from the keys the suite made, and it sees
 * every error, `onDeviation` report and CLI output line the suite produced. `check` fails when
 * any secret appears in any of them.
 */
import { inspect } from 'node:util'
import type { RecordedRequest } from '../support/hostile-server.js'

/** Shortest value treated as a secret (shorter strings match by accident). */
const MIN_SECRET = 8

/** Form parameters that carry a secret (RFC 6749, 7009, 7523, 7636, 9126). */
const SECRET_FORM_PARAMS = [
  'code',
  'code_verifier',
  'refresh_token',
  'token',
  'client_assertion',
  'client_secret',
  'request',
  'assertion',
]

interface Seen {
  /** Which case, and what (error, deviation, CLI line). */
  source: string
  text: string
}

/** Every printable form of a value and of its whole `cause` chain (and `errors` of aggregates). */
export function printableForms(value: unknown): string {
  const parts: string[] = []
  const visit = (current: unknown, depth: number) => {
    if (depth > 10 || current === null || current === undefined) return
    if (typeof current !== 'object' && typeof current !== 'function') {
      parts.push(String(current))
      return
    }
    const e = current as Error & { cause?: unknown; errors?: unknown }
    parts.push(String(e))
    if (typeof e.message === 'string') parts.push(e.message)
    if (typeof e.stack === 'string') parts.push(e.stack)
    try {
      parts.push(JSON.stringify(e) ?? '')
    } catch (error) {
      parts.push(`JSON.stringify threw ${String(error)}`)
    }
    parts.push(inspect(e, { depth: 10 }))
    // What a debugging session prints: non-enumerable properties too.
    parts.push(inspect(e, { depth: 10, showHidden: true }))
    visit(e.cause, depth + 1)
    if (Array.isArray(e.errors)) for (const inner of e.errors) visit(inner, depth + 1)
  }
  visit(value, 0)
  return parts.join('\n')
}

export class SecretCollector {
  /** Secret value → what it is (for the failure message). */
  readonly secrets = new Map<string, string>()
  readonly seen: Seen[] = []
  /** What kinds of secret were taken from the wire (e.g. `request JWT sent to /eci`). */
  readonly captured = new Set<string>()
  #harvested = new WeakSet<RecordedRequest>()

  /** Registers a secret; a JWT also registers its payload and signature, which are unique. */
  secret(label: string, value: string | undefined): void {
    if (!value || value.length < MIN_SECRET) return
    if (!this.secrets.has(value)) this.secrets.set(value, label)
    const parts = value.split('.')
    if (parts.length === 3 && value.startsWith('eyJ')) {
      if (parts[1]!.length >= 16) this.secrets.set(parts[1]!, `${label} (payload)`)
      if (parts[2]!.length >= 16) this.secrets.set(parts[2]!, `${label} (signature)`)
    }
  }

  /** Private key material of a JWK (`d`, and RSA's primes and exponents). */
  key(label: string, jwk: Record<string, unknown>): void {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      const v = jwk[member]
      if (typeof v === 'string') this.secret(`${label} private ${member}`, v)
    }
  }

  /** Learns the secrets a request really carried, as the hostile server received it. */
  harvest(requests: readonly RecordedRequest[]): void {
    const wire = (label: string, value: string | undefined) => {
      if (!value || value.length < MIN_SECRET) return
      this.captured.add(label)
      this.secret(label, value)
    }
    for (const r of requests) {
      if (this.#harvested.has(r)) continue
      this.#harvested.add(r)
      const auth = r.headers.authorization
      if (auth) {
        const [scheme, credentials] = auth.split(' ', 2)
        wire(`${scheme} credentials sent to ${r.path}`, credentials)
        if (scheme?.toLowerCase() === 'basic' && credentials) {
          const [, password] = Buffer.from(credentials, 'base64').toString().split(':', 2)
          wire(`client secret sent to ${r.path}`, password && decodeURIComponent(password))
        }
      }
      const dpop = r.headers.dpop
      if (typeof dpop === 'string') wire(`DPoP proof sent to ${r.path}`, dpop)
      const type = String(r.headers['content-type'] ?? '')
      if (type.startsWith('application/jwt')) wire(`request JWT sent to ${r.path}`, r.body.trim())
      if (type.startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(r.body)
        for (const name of SECRET_FORM_PARAMS) {
          for (const value of form.getAll(name)) wire(`${name} sent to ${r.path}`, value)
        }
      }
      const query = new URL(r.url, 'http://x').searchParams
      for (const name of SECRET_FORM_PARAMS) {
        for (const value of query.getAll(name)) wire(`${name} in the query to ${r.path}`, value)
      }
    }
  }

  /** An error (or any thrown value) a public call produced. */
  error(source: string, error: unknown): void {
    this.seen.push({ source: `${source}: error`, text: printableForms(error) })
  }

  /** A deviation reported to `onDeviation`. */
  deviation(source: string, deviation: unknown): void {
    this.seen.push({
      source: `${source}: onDeviation`,
      text: `${JSON.stringify(deviation)}\n${inspect(deviation, { depth: 10 })}`,
    })
  }

  /** Each line a CLI process wrote. */
  lines(source: string, output: string): void {
    for (const line of output.split('\n')) if (line) this.seen.push({ source: `${source}: output line`, text: line })
  }

  /** Every leak among the items seen from `from` on: `[]` when clean. */
  leaks(from = 0): string[] {
    const found: string[] = []
    for (const item of this.seen.slice(from)) {
      for (const [secret, label] of this.secrets) {
        if (item.text.includes(secret)) found.push(`${label} appears in ${item.source}`)
      }
    }
    return found
  }
}
