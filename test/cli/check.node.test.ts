import { afterEach, describe, expect, it } from 'vitest'
import type { CheckResult } from '../../src/cli/commands/check.js'
import { main } from '../../src/cli/main.js'
import { startMockProviderServer } from '../../src/mock/node/index.js'
import { memoryIo, providerWithStoredGrant } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

interface Report {
  issuer: string
  checks: CheckResult[]
  summary: { pass: number; warn: number; fail: number; skip: number }
}

async function check(args: string[], extra: Parameters<typeof memoryIo>[1] = {}, env = {}) {
  const m = memoryIo(env, extra)
  const code = await main(['check', ...args], m.io)
  return { code, stdout: m.stdout, stderr: m.stderr }
}

const byId = (report: Report, id: string) => report.checks.find((c) => c.id === id) as CheckResult

describe('ecis check', () => {
  it('passes every check against the mock provider, data requests included (its loopback http a warning)', async () => {
    const w = await providerWithStoredGrant()
    cleanups.push(w.cleanup)
    const r = await check(['--issuer', w.server.issuer, '--grant-file', w.grantFile, '--json'])
    expect(r.stderr).toBe('')
    const report = JSON.parse(r.stdout) as Report
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([
      {
        id: 'issuer.https',
        title: 'issuer is https',
        status: 'warn',
        detail: `${w.server.issuer} is not https: loopback, for development only (allowed because the stored grant was made with --allow-insecure)`,
      },
    ])
    expect(report.checks.map((c) => c.id)).toEqual([
      'issuer.https',
      'metadata.location',
      'metadata.content-type',
      'metadata.issuer',
      'metadata.endpoints',
      'metadata.response-type',
      'metadata.pkce',
      'metadata.iss',
      'metadata.private-key-jwt',
      'metadata.par',
      'metadata.rar',
      'metadata.revocation',
      'eci.resource',
      'sdk.rules',
      'eci.request-types',
      'eci.signing-algs',
      'sdk.discover',
      'data.basic',
      'data.invoice',
      'data.invoice_detail',
    ])
    expect(r.code).toBe(0)
    // Every request type went to the provider for the first account.
    const eci = w.server.provider.calls.filter((c) => c.endpoint === 'eci').map((c) => c.claims?.eci_request_type)
    expect(eci).toEqual(['basic', 'invoice', 'invoice_detail'])

    const text = await check(['--issuer', w.server.issuer, '--grant-file', w.grantFile])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^PASS +ECI Invoice Detail \(\S+\/\S+\) +valid \(strict\)$/m)
    expect(text.stdout).toMatch(/Summary: 19 pass, 1 warn, 0 fail, 0 skipped — conformant\n$/)
    expect(text.stdout).not.toMatch(/^PASS +issuer is https/m)
  })

  it('lists the deviations of the deviant dialect and reports the strict failures (exit 1)', async () => {
    const w = await providerWithStoredGrant({ dialect: 'deviant' })
    cleanups.push(w.cleanup)
    const r = await check(['--issuer', w.server.issuer, '--grant-file', w.grantFile, '--json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    for (const id of ['data.basic', 'data.invoice', 'data.invoice_detail']) {
      const c = byId(report, id)
      expect(c.status, id).toBe('fail')
      expect(c.detail).toMatch(/^strict validation: \d+ issue\(s\); lenient: \d+ deviation\(s\)$/)
      expect(c.issues?.length).toBeGreaterThan(0)
      expect(c.deviations?.length).toBeGreaterThan(0)
    }
    const detail = byId(report, 'data.invoice_detail')
    expect(detail.deviations?.map((d) => d.kind)).toEqual(
      expect.arrayContaining(['numeric-string', 'date-time', 'boolean-string', 'alias']),
    )
    expect(detail.issues?.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['invoice_total', 'invoice_date']),
    )
    expect(report.summary.fail).toBe(3)

    const text = await check(['--issuer', w.server.issuer, '--grant-file', w.grantFile])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/^ {2}strict +invoice_total: /m)
    expect(text.stdout).toMatch(/^ {2}numeric-string +invoice_total: /m)
    expect(text.stdout).toMatch(/Summary: 16 pass, 1 warn, 3 fail, 0 skipped — NOT conformant\n$/)
  })

  it('fails metadata without eci_resource, and reports only metadata when there is no grant', async () => {
    const server = await startMockProviderServer({ port: 0 })
    cleanups.push(() => server.close())
    // A provider whose metadata lacks eci_resource (and RFC 9207 support).
    const fetchImpl: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      const url = input instanceof Request ? input.url : String(input)
      if (!url.includes('/.well-known/')) return res
      const doc = (await res.json()) as Record<string, unknown>
      delete doc.eci_resource
      delete doc.authorization_response_iss_parameter_supported
      return Response.json(doc)
    }
    const r = await check(
      ['--issuer', server.issuer, '--allow-insecure', '--json'],
      { fetch: fetchImpl },
      { HOME: '/nonexistent' },
    )
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(byId(report, 'eci.resource')).toMatchObject({ status: 'fail', detail: 'missing' })
    expect(byId(report, 'metadata.iss').status).toBe('fail')
    expect(byId(report, 'data')).toMatchObject({
      status: 'skip',
      detail: 'no grant: run "ecis consent" first, or pass --grant-file',
    })
    expect(byId(report, 'issuer.https')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/by --allow-insecure\)$/),
    })
    expect(byId(report, 'sdk.rules')).toMatchObject({ status: 'fail' })
    expect(report.summary).toEqual({ pass: 12, warn: 1, fail: 3, skip: 1 })
  })

  it('fails an http issuer without --allow-insecure, an unreachable provider, and refuses bad usage', async () => {
    const server = await startMockProviderServer({ port: 0 })
    const issuer = server.issuer
    await server.close()
    const r = await check(['--issuer', issuer, '--json'], {}, { HOME: '/nonexistent' })
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as Report
    expect(byId(report, 'issuer.https')).toEqual({
      id: 'issuer.https',
      title: 'issuer is https',
      status: 'fail',
      detail: `${issuer} is not https (pass --allow-insecure for a local test provider)`,
    })
    expect(byId(report, 'metadata.location')).toMatchObject({ status: 'fail' })
    expect(byId(report, 'metadata.location').detail).toMatch(
      /^no metadata: RFC 8414: EciNetworkError \[ERR_ECI_NETWORK\]/,
    )
    expect((await check([])).code).toBe(2)
    expect((await check(['--issuer', 'x', 'extra'])).code).toBe(2)
  })
})
