/**
 * `runConformance`: every MUST and SHOULD of docs/protocol.md as one named test, run against a
 * provider with one grant (a consent of this run, or a stored grant).
 * @module
 */
import { EciConsumer } from '../consumer.js'
import { toEciError } from '../error-boundary.js'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import { ProviderClock } from '../oauth/clock.js'
import { REQUEST_TYPES } from '../protocol/claims.js'
import { createDpopProver, type DpopKeyInput } from '../request/dpop.js'
import { type ResolvedSigningKey, resolveSigningKey } from '../request/keys.js'
import { badOption } from '../resolve.js'
import { VERSION } from '../version.js'
import { CONFORMANCE_TESTS } from './catalog.js'
import { eciRefusals } from './eci-refusals.js'
import { type EciContext, errorBodyTest, noStoreTest, validRequests } from './eci-valid.js'
import { runMetadataTests } from './metadata-tests.js'
import { GrantState, OAuthClient, type OAuthMetadata } from './oauth.js'
import {
  authorizationTests,
  type ConsentTrace,
  grantEndingTests,
  invalidGrantTest,
  narrowedToken,
} from './oauth-tests.js'
import type { ConformanceOptions } from './options.js'
import type { ConformanceReport } from './report.js'
import { fail, pass, Runner, skip } from './runner.js'
import { type Answer, EciRequests, evidenceOfError, Wire } from './wire.js'

export type { ConformanceOptions } from './options.js'

/** Default per-test deadline, ms. */
const DEFAULT_TIMEOUT_MS = 15_000

/** Every test after the metadata ones, skipped with one reason. */
function skipRest(runner: Runner, reason: string): void {
  const done = new Set(runner.results.map((r) => r.id))
  for (const spec of CONFORMANCE_TESTS) if (!done.has(spec.id)) runner.record(spec.id, skip(reason))
}

/** Consent through the caller's redirect handler; the grant, the trace for the authorization tests. */
async function consentOnce(o: ConformanceOptions, consumer: EciConsumer, wire: Wire) {
  const { url, transaction } = await consumer.beginConsent({ scopes: o.scopes ?? [...REQUEST_TYPES] })
  wire.secret(transaction.codeVerifier, transaction.state)
  const callback = new URL(await (o.consent as (url: string) => Promise<string>)(url))
  const q = callback.searchParams
  const code = q.get('code')
  if (!code) {
    const error = q.get('error')
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      `The consent redirect carries no code${error ? ` (error=${error})` : ''}`,
    )
  }
  wire.secret(code)
  const trace: ConsentTrace = {
    sentState: transaction.state,
    state: q.get('state'),
    iss: q.get('iss'),
    code,
    codeVerifier: transaction.codeVerifier,
    redirectUri: transaction.redirectUri,
  }
  // The suite judges state and iss itself (authz.state, authz.iss), so the code is exchanged as is.
  const grant = await consumer.exchangeCode({
    code,
    codeVerifier: transaction.codeVerifier,
    redirectUri: transaction.redirectUri,
    scopes: transaction.scopes,
  })
  return { grant, trace }
}

function checkOptions(o: ConformanceOptions): void {
  if (o === null || typeof o !== 'object') throw badOption('runConformance needs an options object')
  if (typeof o.issuer !== 'string' || !URL.canParse(o.issuer)) throw badOption('`issuer` must be a URL')
  if (typeof o.clientId !== 'string' || !o.clientId) throw badOption('`clientId` must be a non-empty string')
  if (typeof o.redirectUri !== 'string' || !URL.canParse(o.redirectUri)) throw badOption('`redirectUri` must be a URL')
  if (o.grant === undefined && typeof o.consent !== 'function') {
    throw badOption('runConformance needs a stored `grant` or a `consent` function')
  }
  if (o.grant?.tokenType === 'DPoP' && !o.dpop) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      'The grant is DPoP-bound: pass the DPoP key it is bound to (`dpop`)',
    )
  }
  if (o.timeout !== undefined && (!Number.isInteger(o.timeout) || o.timeout < 100 || o.timeout > 600_000)) {
    throw badOption('`timeout` must be 100 to 600000 ms')
  }
}

/**
 * Runs the ECIS provider conformance suite: the metadata, the authorization and token
 * endpoints, and the ECI endpoint's answers and refusals, each test under its own deadline.
 * Never throws for what the provider does (that is a failed test); throws only for bad options.
 *
 * @throws {EciConfigError} for bad options or a key that cannot sign.
 * @see docs/conformance.md
 * @example
 * ```ts
 * import { runConformance } from 'ecis-consumer/conformance'
 *
 * const report = await runConformance({
 *   issuer: 'https://auth.staging.utility.example',
 *   clientId: 'acme-solar',
 *   key: privateJwk,
 *   redirectUri: 'http://127.0.0.1:8765/callback',
 *   grant,
 * })
 * if (!report.conformant) process.exitCode = 1
 * ```
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  checkOptions(options)
  const o = options
  const key = await resolveSigningKey(o.key)
  const started = Date.now()
  const clock = new ProviderClock()
  const wire = new Wire(clock.wrap(o.fetch ?? ((input, init) => globalThis.fetch(input, init))))
  const timeout = o.timeout ?? DEFAULT_TIMEOUT_MS
  const only = o.only ?? []
  const runner = new Runner({
    wire,
    timeout,
    only,
    onProgress: o.onProgress,
    total: CONFORMANCE_TESTS.filter(
      (s) => only.length === 0 || only.some((x) => s.id === x || s.id.startsWith(`${x}.`)),
    ).length,
  })
  if (o.grant) wire.secret(o.grant.accessToken, o.grant.refreshToken)
  await suite(o, runner, wire, key, clock, timeout)
  const results = runner.results
  const count = (status: string) => results.filter((r) => r.status === status).length
  const failures = (level: string) => results.filter((r) => r.status === 'fail' && r.level === level).length
  const mustFailures = failures('MUST')
  return {
    version: 1,
    tool: `ecis-consumer ${VERSION}`,
    issuer: o.issuer,
    clientId: o.clientId,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    destructive: o.destructive === true,
    conformant: mustFailures === 0,
    summary: {
      pass: count('pass'),
      fail: count('fail'),
      skip: count('skip'),
      mustFailures,
      shouldFailures: failures('SHOULD'),
    },
    results,
  }
}

/** The SDK on the provider, for consent (and the rules `discover` applies); why not, as a string. */
async function discoverConsumer(o: ConformanceOptions, wire: Wire, dpopKey: DpopKeyInput | undefined, timeout: number) {
  try {
    wire.signal = AbortSignal.timeout(timeout)
    return await EciConsumer.discover({
      issuer: o.issuer,
      clientId: o.clientId,
      clientAuth: { method: 'private_key_jwt', key: o.key },
      redirectUri: o.redirectUri,
      allowInsecureRequests: o.allowInsecureRequests === true,
      fetch: wire.boundedFetch,
      retry: 0,
      ...(dpopKey !== undefined && dpopKey !== true ? { dpop: { key: dpopKey } } : {}),
    })
  } catch (error) {
    const e = toEciError(error)
    return `the SDK refuses the provider: ${e.name} [${e.code}]`
  } finally {
    wire.signal = undefined
  }
}

async function suite(
  o: ConformanceOptions,
  runner: Runner,
  wire: Wire,
  key: ResolvedSigningKey,
  clock: ProviderClock,
  timeout: number,
): Promise<void> {
  const metadata = await runMetadataTests(runner, wire, o.issuer, o.allowInsecureRequests === true, timeout)
  if (!metadata) return skipRest(runner, 'no usable metadata (see metadata.location)')
  // One DPoP key for the consumer (token requests) and the suite's own proofs: made here for `dpop: true`.
  const dpopKey = o.dpop ? (o.dpop === true ? await inMemoryDpopKey() : o.dpop.key) : undefined
  const dpop = dpopKey !== undefined ? await createDpopProver(dpopKey) : undefined
  const consumer = await discoverConsumer(o, wire, dpopKey, timeout)
  if (typeof consumer === 'string') return skipRest(runner, consumer)
  const m = consumer.metadata as unknown as OAuthMetadata & Record<string, unknown>
  const eci = new EciRequests(wire, key, o.clientId, consumer.resource, clock.now)
  let grant: Grant | undefined = o.grant
  let trace: ConsentTrace | undefined
  const consent = await runner.run(
    'authz.consent',
    async () => {
      if (grant) return skip('a stored grant was used')
      try {
        ;({ grant, trace } = await consentOnce(o, consumer, wire))
        wire.secret(grant.accessToken, grant.refreshToken)
        await o.onGrant?.(grant)
        return pass({ detail: `granted ${grant.accounts.length} account(s), scopes ${grant.scopes.join(' ')}` })
      } catch (error) {
        const e = toEciError(error)
        return fail(`${e.name} [${e.code}]`, evidenceOfError(e))
      }
    },
    { always: true },
  )
  await authorizationTests(runner, new OAuthClient(eci, m, o.redirectUri, undefined), trace)
  if (!grant) return skipRest(runner, `no grant: the consent failed (${consent.reason ?? 'see authz.consent'})`)
  const tokens = new OAuthClient(eci, m, o.redirectUri, grant.tokenType === 'DPoP' ? dpop : undefined)
  await grantTests(o, runner, tokens, new GrantState(grant, dpop, o.onGrant), trace, timeout)
}

/** Every test that needs the grant: the token endpoint and the ECI endpoint. */
async function grantTests(
  o: ConformanceOptions,
  runner: Runner,
  tokens: OAuthClient,
  state: GrantState,
  trace: ConsentTrace | undefined,
  timeout: number,
): Promise<void> {
  const m = tokens.metadata as OAuthMetadata & Record<string, unknown>
  await invalidGrantTest(runner, tokens, [])
  const refusals: Answer[] = []
  const c: EciContext = {
    runner,
    eci: tokens.eci,
    get presented() {
      return state.presented
    },
    accounts: state.grant.accounts,
    granted: REQUEST_TYPES.filter((t) => state.grant.scopes.some((s) => s === `eci:${t}` || s.endsWith(`:${t}`))),
    advertised: Array.isArray(m.eci_request_types_supported)
      ? (m.eci_request_types_supported as string[])
      : [...REQUEST_TYPES],
    foreignAccount: o.foreignAccount,
    rateLimitBurst: o.rateLimitBurst ?? 0,
    refusals,
    answered: [],
    narrower: (types) => narrowedToken(state, tokens, types),
    restore: () => state.restore(tokens),
  }
  const { control, invoice } = await validRequests(c)
  await eciRefusals(c, control, invoice)
  await noStoreTest(c)
  await errorBodyTest(c)
  await grantEndingTests(runner, tokens, state, trace, {
    destructive: o.destructive === true,
    refreshReuseWindow: o.refreshReuseWindow ?? 0,
    timeout,
    refusals,
  })
}

/** A non-extractable ES256 key pair for DPoP, as `dpop: true` makes one. */
function inMemoryDpopKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>
}
