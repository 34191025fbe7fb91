// The conformance suite's own acceptance test: the mock passes every test, and each deliberate
// defect of the mock fails exactly the test that checks its rule.
import { describe, expect, it } from 'vitest'
import type { ConformanceOptions } from '../../src/conformance/index.js'
import { CONFORMANCE_TESTS } from '../../src/conformance/index.js'
import { MOCK_DEFECTS, type MockDefect, type MockProviderOptions } from '../../src/mock/index.js'
import { runAgainstMock } from './support.js'

/** The test each defect must fail (and no other). */
const FAILS: Record<MockDefect, string> = {
  'accept-expired-jwt': 'eci.jwt.expired',
  'accept-future-jwt': 'eci.jwt.not-yet-valid',
  'accept-long-lived-jwt': 'eci.jwt.too-long',
  'accept-wrong-aud': 'eci.jwt.wrong-aud',
  'accept-wrong-iss': 'eci.jwt.wrong-iss',
  'accept-wrong-ath': 'eci.jwt.wrong-ath',
  'accept-short-jti': 'eci.jwt.short-jti',
  'accept-wrong-typ': 'eci.jwt.wrong-typ',
  'accept-replayed-jti': 'eci.jwt.replayed-jti',
  'accept-unsigned-jwt': 'eci.jwt.unsigned',
  'accept-alg-none': 'eci.jwt.alg-none',
  'accept-wrong-key': 'eci.jwt.wrong-key',
  'accept-embedded-jwk': 'eci.jwt.embedded-key',
  'accept-unknown-request-type': 'eci.claims.unknown-type',
  'accept-missing-invoice-id': 'eci.claims.missing-invoice',
  'no-www-authenticate': 'eci.token.invalid',
  'accept-missing-scope': 'eci.scope',
  '403-for-foreign-account': 'eci.foreign-account',
  'accept-dpop-token-as-bearer': 'eci.dpop.bearer',
  'no-retry-after': 'eci.rate-limit',
  'cacheable-responses': 'eci.no-store',
  'text-plain-errors': 'errors.body',
  'no-pkce-required': 'authz.pkce-required',
  'no-state-echo': 'authz.state',
  'no-iss': 'authz.iss',
  'par-not-enforced': 'authz.par-required',
  'accept-invalid-authorization-details': 'authz.rar-invalid',
  'wrong-invalid-grant': 'token.invalid-grant',
  'no-refresh-rotation': 'token.refresh-rotation',
  'accept-reused-refresh-token': 'token.refresh-reuse',
  'accept-replayed-code': 'token.code-single-use',
}

/** Defects whose rule only applies to some providers: the configuration that makes it apply. */
const SETUP: Partial<
  Record<MockDefect, { provider?: Partial<MockProviderOptions>; run?: Partial<ConformanceOptions> }>
> = {
  'par-not-enforced': { provider: { requirePushedAuthorizationRequests: true } },
  'accept-dpop-token-as-bearer': { run: { dpop: true } },
}

describe('ecis conformance against the mock provider', () => {
  it('the conformant mock passes every test; only the rules that do not apply to it are skipped', async () => {
    const { report, failed } = await runAgainstMock()
    expect(failed).toEqual([])
    expect(report.conformant).toBe(true)
    expect(report.results.map((r) => r.id)).toEqual(CONFORMANCE_TESTS.map((t) => t.id))
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => r.id)
    expect(skipped).toEqual(['authz.par-required', 'eci.dpop.bearer'])
  })

  it('passes with PAR required and with DPoP-bound tokens (the rules skipped above)', async () => {
    const par = await runAgainstMock({ requirePushedAuthorizationRequests: true })
    expect(par.failed).toEqual([])
    expect(par.report.results.find((r) => r.id === 'authz.par-required')?.status).toBe('pass')
    const dpop = await runAgainstMock({}, { dpop: true })
    expect(dpop.failed).toEqual([])
    expect(dpop.report.results.find((r) => r.id === 'eci.dpop.bearer')?.status).toBe('pass')
  })

  it('every test of the catalog is named by exactly one defect', () => {
    expect(Object.values(FAILS).sort()).toEqual([...new Set(Object.values(FAILS))].sort())
    expect(Object.keys(FAILS).sort()).toEqual([...MOCK_DEFECTS].sort())
  })

  it.each([...MOCK_DEFECTS])('the defect %s fails exactly the test that names it', async (defect) => {
    const setup = SETUP[defect] ?? {}
    const { failed, report } = await runAgainstMock({ ...setup.provider, defects: [defect] }, setup.run)
    expect(failed).toEqual([FAILS[defect]])
    const result = report.results.find((r) => r.id === FAILS[defect])
    expect(result?.fix).toBeTruthy()
    expect(report.conformant).toBe(result?.level !== 'MUST')
  })
})

describe('docs/conformance.md', () => {
  it('names every test of the catalog and every mock defect', async () => {
    const { readFile } = await import('node:fs/promises')
    const doc = await readFile(new URL('../../docs/conformance.md', import.meta.url), 'utf8')
    for (const t of CONFORMANCE_TESTS) expect(doc, t.id).toContain(`\`${t.id}\``)
    for (const d of MOCK_DEFECTS) expect(doc, d).toContain(`\`${d}\``)
  })
})
