/**
 * Discovery (protocol §2): the metadata checks `ecis check` runs, each reported as the
 * catalog's test of the same id.
 * @module
 */
import { type CheckResult, checkMetadata } from '../cli/commands/check-metadata.js'
import { specOf } from './catalog.js'
import { fail, type Outcome, pass, type Runner } from './runner.js'
import type { Wire } from './wire.js'

/** Checks whose `warn` breaks the rule they test (the others warn about an allowed choice). */
const WARN_FAILS = new Set(['metadata.content-type', 'metadata.revocation'])

function outcomeOf(check: CheckResult): Outcome {
  const evidence = { detail: check.detail }
  if (check.status === 'pass') return pass(evidence)
  if (check.status === 'fail' || WARN_FAILS.has(check.id)) return fail(check.detail, evidence)
  if (check.status === 'skip') return { status: 'skip', reason: check.detail }
  return pass(evidence, `note: ${check.detail}`)
}

/** Runs the metadata checks under one deadline; returns the document when one was found. */
export async function runMetadataTests(
  runner: Runner,
  wire: Wire,
  issuer: string,
  allowInsecure: boolean,
  timeout: number,
): Promise<Record<string, unknown> | undefined> {
  const started = performance.now()
  const checks: CheckResult[] = []
  wire.signal = AbortSignal.timeout(timeout * 2)
  let doc: Record<string, unknown> | undefined
  try {
    doc = await checkMetadata(issuer, wire.boundedFetch, allowInsecure ? 'flag' : undefined, (c) => checks.push(c))
  } finally {
    wire.signal = undefined
  }
  const each = (performance.now() - started) / Math.max(1, checks.length)
  for (const check of checks) {
    if (!isCatalogued(check.id)) continue
    runner.record(check.id, outcomeOf(check), each)
  }
  return doc
}

function isCatalogued(id: string): boolean {
  try {
    specOf(id)
    return true
  } catch {
    return false
  }
}
