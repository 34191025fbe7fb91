/**
 * `--debug`: the whole cause chain of an error and the root cause's stack, for bug reports.
 * Still no secrets: every line goes through the SDK's `redact` with the tokens and key
 * material this run loaded, and sensitive URL parameters (code, state, tokens) are masked.
 */
import { EciError, redact } from '../errors.js'

/** Values this process must never print: tokens of the stored grant, key material. */
export class SecretSet {
  readonly #values = new Set<string>()
  add(...values: (string | undefined)[]): void {
    for (const v of values) if (typeof v === 'string' && v.length >= 8) this.#values.add(v)
  }
  get values(): readonly string[] {
    return [...this.#values]
  }
}

const SENSITIVE_PARAMS =
  /([?&#](?:code|state|access_token|refresh_token|id_token|code_verifier|client_assertion|request_uri|token)=)[^&#\s"']+/gi

/** `text` without any known secret, JWT-shaped string or sensitive URL parameter value. */
export function scrub(text: string, secrets: SecretSet): string {
  return redact(text, secrets.values).replace(SENSITIVE_PARAMS, '$1[redacted]')
}

/** Protocol fields worth a look: HTTP status, `error`, request id, Retry-After. */
function fieldsOf(error: unknown): string {
  if (!(error instanceof EciError)) return ''
  const record = error as unknown as Record<string, unknown>
  const parts: string[] = []
  for (const name of ['status', 'error', 'errorDescription', 'requestId', 'retryAfter']) {
    const value = record[name]
    if (value !== undefined && value !== '') parts.push(`${name}=${JSON.stringify(value)}`)
  }
  return parts.length ? ` (${parts.join(', ')})` : ''
}

function headline(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}${fieldsOf(error)}`
  }
  return `${typeof error}: ${String(error)}`
}

/** The debug lines for `error`: each cause on its own line, then the root cause's stack frames. */
export function debugReport(error: unknown, secrets: SecretSet): string {
  const chain: unknown[] = []
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 10; ) {
    if (chain.includes(e)) break
    chain.push(e)
    e = e instanceof Error ? e.cause : undefined
  }
  const lines = chain.map((e, i) => `debug: ${i === 0 ? 'error' : 'caused by'} ${headline(e)}`)
  const root = chain.at(-1)
  const frames =
    root instanceof Error && typeof root.stack === 'string'
      ? root.stack.split('\n').filter((l) => /^\s+at /.test(l))
      : []
  lines.push(`debug: stack of the ${chain.length > 1 ? 'root cause' : 'error'}:`)
  lines.push(...(frames.length ? frames : ['    (no stack)']))
  return `${lines.map((l) => scrub(l, secrets)).join('\n')}\n`
}
