/**
 * The hostile-provider case runner: each case gets fresh hostile servers, runs through the public
 * API, and yields one table row — what the provider did, the error class and code seen, the
 * requests the hostile servers saw, the time to fail and the peak RSS growth.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { EciError, type ErrorCode } from '../../src/index.js'
import { type HostileServer, startHostileServer } from '../support/hostile-server.js'
import type { SecretCollector } from './collector.js'

/** Which endpoint a case attacks. */
export type Area = 'eci' | 'metadata' | 'consent entry' | 'token' | 'jwks' | 'par' | 'revocation' | 'cli'

/** The classes a case may expect; `ok` means the call must succeed. */
export type Outcome =
  | 'EciConfigError'
  | 'EciConsentError'
  | 'EciHttpError'
  | 'EciValidationError'
  | 'EciNetworkError'
  | 'EciError'
  | 'ok'
  /** CLI cases: the process exited 1 without an `EciError` line, or had to be killed. */
  | 'exit 1'
  | 'killed'

/** What a CLI process did: its exit code, output and peak RSS; the error line's class and code. */
export class CliOutcome {
  readonly name: string | undefined
  readonly code: string | undefined
  constructor(
    readonly exit: number | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly peakRssMb: number,
  ) {
    const line = /^ecis: (Eci\w*Error) \[(ERR_ECI_\w+)\]/m.exec(stderr)
    this.name = line?.[1]
    this.code = line?.[2]
  }
}

export interface Expectation {
  outcome: Outcome
  code?: ErrorCode
  /** Requests the hostile servers saw after `w.start()`: a number, or per path. */
  attempts?: number | Record<string, number>
  /** Further assertions on the result (the error, or the value). */
  check?: (result: unknown, w: World) => void | Promise<void>
}

export interface FaultCase {
  area: Area
  name: string
  /** What the provider did, in a few words (the table's second column). */
  did: string
  expect: Expectation
  /** Runs the case through the public API; what it returns or throws is the result. */
  run(w: World): Promise<unknown>
  /**
   * A known defect outside this suite's files: the case is expected to FAIL (vitest `it.fails`)
   * until src is fixed, and the table says so.
   */
  broken?: string
  /** Hang guard for this case (vitest timeout), ms. @default 15_000 */
  limitMs?: number
}

/** Keys made once per run; their private parts are secrets the collector looks for. */
export interface Keys {
  privateJwk: JWK
  publicJwk: JWK
  /** A second key pair (the provider's response-signing key). */
  providerPrivate: CryptoKey
  providerPublicJwk: JWK
}

export interface World {
  /** The hostile provider. */
  server: HostileServer
  /** Another origin, for redirects. */
  other: HostileServer
  keys: Keys
  collector: SecretCollector
  /** Case label, for the collector. */
  label: string
  /** Starts the measurement (after the case's own setup, e.g. discovery against a good document). */
  start(): void
  /** Registers a secret the case knows (a token the hostile provider issued, a code). */
  secret(label: string, value: string | undefined): void
  /** Hands a deviation to the collector. */
  deviation(d: unknown): void
}

export interface Row {
  area: Area
  name: string
  did: string
  seen: string
  code: string
  attempts: string
  ms: number
  /** Peak RSS growth of the test process, MB; for CLI cases the child's peak RSS. */
  rss: string
  status: 'pass' | 'FAIL' | 'known broken'
  note?: string | undefined
}

export async function makeKeys(): Promise<Keys> {
  const mine = await generateKeyPair('ES256', { extractable: true })
  const provider = await generateKeyPair('ES256', { extractable: true })
  return {
    privateJwk: { ...(await exportJWK(mine.privateKey)), kid: 'faults-client', alg: 'ES256' },
    publicJwk: { ...(await exportJWK(mine.publicKey)), kid: 'faults-client', alg: 'ES256' },
    providerPrivate: provider.privateKey,
    providerPublicJwk: { ...(await exportJWK(provider.publicKey)), kid: 'faults-provider', alg: 'ES256', use: 'sig' },
  }
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Samples RSS every few ms; `stop()` gives the peak growth over the baseline, in MB. */
function rssSampler(collect = true) {
  // A full GC first when earlier cases left much behind, so the baseline is not their garbage (a
  // full GC costs tens of ms; doing it before every case would double the suite's time).
  if (collect && process.memoryUsage().heapUsed > 96 * 1024 * 1024) gc()
  const base = process.memoryUsage.rss()
  let peak = base
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 2)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage.rss())
      return (peak - base) / (1024 * 1024)
    },
  }
}

function describeOutcome(result: unknown, threw: boolean): { seen: string; code: string } {
  if (result instanceof CliOutcome) {
    if (result.name) return { seen: result.name, code: result.code ?? '—' }
    return { seen: result.exit === null ? 'killed' : result.exit === 0 ? 'ok' : `exit ${result.exit}`, code: '—' }
  }
  if (!threw) return { seen: 'ok', code: '—' }
  if (result instanceof EciError) return { seen: result.name, code: result.code }
  const e = result as { name?: unknown; message?: unknown } | null
  return { seen: `not an EciError: ${String(e?.name ?? typeof result)}`, code: String(e?.message ?? '').slice(0, 60) }
}

function countAttempts(w: World, from: { server: number; other: number }): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const [name, server, start] of [
    ['', w.server, from.server],
    ['other origin ', w.other, from.other],
  ] as const) {
    for (const r of server.requests.slice(start)) counts[`${name}${r.path}`] = (counts[`${name}${r.path}`] ?? 0) + 1
  }
  return counts
}

const SHORT_PATHS: Record<string, string> = {
  '/.well-known/oauth-authorization-server': 'metadata',
  '/.well-known/openid-configuration': 'oidc metadata',
}

function formatAttempts(counts: Record<string, number>): string {
  const entries = Object.entries(counts)
  if (entries.length === 0) return '0'
  if (entries.length === 1) return String(entries[0]![1])
  return entries.map(([path, n]) => `${n} ${SHORT_PATHS[path] ?? path.replace(/^\//, '')}`).join(', ')
}

/** Largest RSS growth a case may cause, MB: generous for noise, far below what an unbounded read costs. */
export const RSS_LIMIT_MB = 100

/** Runs one case and returns its row; failed expectations are in `failures` (the test asserts none). */
export async function runCase(c: FaultCase, keys: Keys, collector: SecretCollector) {
  const server = await startHostileServer()
  const other = await startHostileServer()
  const label = `${c.area} › ${c.name}`
  let from = { server: 0, other: 0 }
  let t0 = performance.now()
  // Cases that call `w.start()` (most do) are measured from there; the first sampler is a fallback.
  let sampler = rssSampler(false)
  const w: World = {
    server,
    other,
    keys,
    collector,
    label,
    start() {
      from = { server: server.total(), other: other.total() }
      sampler.stop()
      sampler = rssSampler()
      t0 = performance.now()
    },
    secret: (l, v) => collector.secret(`${l} (${label})`, v),
    deviation: (d) => collector.deviation(label, d),
  }
  const seenBefore = collector.seen.length
  let result: unknown
  let threw = false
  try {
    result = await c.run(w)
  } catch (error) {
    result = error
    threw = true
  }
  const ms = performance.now() - t0
  const rssMb = sampler.stop()
  const counts = countAttempts(w, from)
  collector.harvest(server.requests)
  collector.harvest(other.requests)
  if (threw) collector.error(label, result)
  await Promise.all([server.close(), other.close()])

  const failures: string[] = []
  const { seen, code } = describeOutcome(result, threw)
  const e = c.expect
  if (seen !== e.outcome) failures.push(`expected ${e.outcome}, saw ${seen} ${code}`)
  if (e.code && code !== e.code) failures.push(`expected code ${e.code}, saw ${code}`)
  if (typeof e.attempts === 'number') {
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    if (total !== e.attempts)
      failures.push(`expected ${e.attempts} requests, the provider saw ${formatAttempts(counts)}`)
  } else if (e.attempts) {
    for (const [path, n] of Object.entries(e.attempts)) {
      if ((counts[path] ?? 0) !== n) failures.push(`expected ${n} requests to ${path}, saw ${counts[path] ?? 0}`)
    }
  }
  if (rssMb >= RSS_LIMIT_MB) failures.push(`RSS grew by ${rssMb.toFixed(0)} MB`)
  if (e.check && failures.length === 0) {
    try {
      await e.check(result, w)
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error))
    }
  }
  failures.push(...collector.leaks(seenBefore))
  const row: Row = {
    area: c.area,
    name: c.name,
    did: c.did,
    seen,
    code,
    attempts: formatAttempts(counts),
    ms: Math.round(ms),
    rss:
      result instanceof CliOutcome
        ? `${result.peakRssMb.toFixed(0)} (child)`
        : `${rssMb >= 0 ? '+' : ''}${rssMb.toFixed(1)}`,
    status: failures.length === 0 ? 'pass' : c.broken ? 'known broken' : 'FAIL',
    note: c.broken ?? (failures.length > 0 ? failures.join('; ') : undefined),
  }
  return { row, failures }
}
