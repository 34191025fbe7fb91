/**
 * Telemetry through the public API: OpenTelemetry spans recorded by the OTel SDK's in-memory
 * exporter, the plain hooks, and the User-Agent every request carries — and never a secret.
 */
import { readFileSync } from 'node:fs'
import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { memoryGrantStore, type RequestState, type ResponseState, type RetryState } from '../../src/index.js'
import { VERSION } from '../../src/version.js'
import { world } from '../support/consumer.js'

function otel() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, tracer: provider.getTracer('ecis-consumer') }
}

/** Every request the SDK sent, with its headers. */
function recording() {
  const seen: { url: string; headers: Headers; body?: string }[] = []
  const wrap =
    (f: typeof fetch): typeof fetch =>
    async (input, init) => {
      const request = new Request(input, init)
      seen.push({ url: request.url, headers: request.headers })
      return f(request)
    }
  return { seen, wrap }
}

describe('telemetry', () => {
  it('records a span per OAuth step and per ECI call, with HTTP semantic conventions and no secret', async () => {
    const { exporter, tracer } = otel()
    const w = await world({}, { tracer })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    const now = Math.floor(Date.now() / 1000)
    const session = w.consumer.session({ ...grant, expiresAt: now - 5 })
    const account = grant.accounts[0]!
    w.mock.fault({ endpoint: 'eci', status: 503, times: 1 })
    await session.basic(account)
    const spans = exporter.getFinishedSpans()
    const names = spans.map((s) => s.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'ecis.oauth.discovery',
        'ecis.oauth.authorization_request',
        'ecis.oauth.code_exchange',
        'ecis.oauth.refresh',
        'ecis.request',
      ]),
    )
    const request = spans.find((s) => s.name === 'ecis.request')!
    expect(request.attributes).toMatchObject({
      'ecis.request_type': 'basic',
      'http.request.method': 'POST',
      'server.address': 'api.utility.example',
      'http.request.resend_count': 1,
      'http.response.status_code': 200,
    })
    expect(request.attributes['ecis.request_id']).toBeTypeOf('string')
    expect(request.attributes['ecis.account_id']).toBeUndefined()
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, status: s.status })))
    for (const secret of [
      grant.accessToken,
      grant.refreshToken!,
      session.grant.accessToken,
      transaction.codeVerifier,
    ]) {
      expect(text).not.toContain(secret)
    }
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
  })

  it('records the EciError code as error.type on a failed call, and account ids only when asked', async () => {
    const { exporter, tracer } = otel()
    const w = await world({}, { tracer, telemetry: { accountIds: true }, retry: 0 })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    w.mock.fault({ endpoint: 'eci', status: 500, times: 1 })
    await w.consumer
      .session(grant)
      .basic(grant.accounts[0]!)
      .catch(() => {})
    const span = exporter.getFinishedSpans().find((s) => s.name === 'ecis.request')!
    expect(span.attributes['error.type']).toBe('ERR_ECI_HTTP')
    expect(span.status.code).toBe(2)
    expect(span.attributes['ecis.account_id']).toBe(grant.accounts[0])
  })

  it('a refresh through a store records the lock wait', async () => {
    const { exporter, tracer } = otel()
    const w = await world({}, { tracer })
    const store = memoryGrantStore()
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction, { store, key: 'k' })
    await store.put('k', { ...grant, expiresAt: Math.floor(Date.now() / 1000) - 5 })
    const session = await w.consumer.openSession('k', { store })
    await session.basic(grant.accounts[0]!)
    const span = exporter.getFinishedSpans().find((s) => s.name === 'ecis.grant.refresh')!
    expect(span.attributes['ecis.lock_wait_ms']).toBeTypeOf('number')
  })

  it('works with the global OpenTelemetry API and records nothing without a provider', async () => {
    const w = await world({}, { tracer: trace.getTracer('ecis-consumer') })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    await expect(w.consumer.session(grant).basic(grant.accounts[0]!)).resolves.toBeDefined()
  })

  it('calls onRequest, onResponse and onRetry with one state object each', async () => {
    const events: (RequestState | ResponseState | RetryState)[] = []
    const kinds: string[] = []
    const w = await world(
      {},
      {
        onRequest: (s) => {
          kinds.push('request')
          events.push(s)
        },
        onResponse: (s) => {
          kinds.push(`response ${s.status}`)
          events.push(s)
        },
        onRetry: (s) => {
          kinds.push(`retry ${s.error.code}`)
          events.push(s)
        },
      },
    )
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    w.mock.fault({ endpoint: 'eci', status: 503, times: 1 })
    await w.consumer.session(grant).basic(grant.accounts[0]!)
    expect(kinds).toEqual(['request', 'response 503', 'retry ERR_ECI_HTTP', 'request', 'response 200'])
    expect(events.map((e) => e.attempt)).toEqual([1, 1, 1, 2, 2])
    expect(JSON.stringify(events.map((e) => ({ ...e, error: undefined })))).not.toContain(grant.accessToken)
  })

  it('sends User-Agent: ecis-consumer/<version> plus appInfo on ECI and OAuth requests', async () => {
    const rec = recording()
    const w = await world(
      {},
      { appInfo: { name: 'acme-sync', version: '1.2.0', url: 'https://acme.example' } },
      rec.wrap,
    )
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    await w.consumer.session(grant).basic(grant.accounts[0]!)
    const expected = `ecis-consumer/${VERSION} acme-sync/1.2.0 (+https://acme.example)`
    const eci = rec.seen.filter((r) => r.url.includes('/eci/'))
    const token = rec.seen.filter((r) => r.url.endsWith('/token'))
    expect(eci.length).toBeGreaterThan(0)
    expect(token.length).toBeGreaterThan(0)
    for (const r of [...eci, ...token]) expect(r.headers.get('user-agent')).toBe(expected)
  })

  it('keeps VERSION equal to package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version)
  })
})
