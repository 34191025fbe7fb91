/**
 * Spans with no option: an app that registers the OpenTelemetry SDK globally gets the SDK's spans
 * without passing a tracer, as the OpenTelemetry library guidance asks; `tracerProvider` and
 * `tracer` override the global provider.
 */
import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import type { EciConsumerOptions } from '../../src/index.js'
import { VERSION } from '../../src/version.js'
import { world } from '../support/consumer.js'

function sdk() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { exporter, provider }
}

/** Consent, then one Basic call on an expired grant (so a refresh too). */
async function journey(options: Partial<EciConsumerOptions> = {}) {
  const w = await world({}, options)
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  const session = w.consumer.session({ ...grant, expiresAt: Math.floor(Date.now() / 1000) - 5 })
  await session.basic(grant.accounts[0]!)
  return { grant, session, transaction }
}

afterEach(() => trace.disable())

describe('telemetry with a global tracer provider', () => {
  it('records spans with no tracer option once the app registered the OTel SDK globally', async () => {
    const { exporter, provider } = sdk()
    expect(trace.setGlobalTracerProvider(provider)).toBe(true)
    const { grant, session, transaction } = await journey()
    const spans = exporter.getFinishedSpans()
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'ecis.oauth.discovery',
        'ecis.oauth.authorization_request',
        'ecis.oauth.code_exchange',
        'ecis.oauth.refresh',
        'ecis.request',
      ]),
    )
    const request = spans.find((s) => s.name === 'ecis.request')!
    expect(request.instrumentationScope).toMatchObject({ name: 'ecis-consumer', version: VERSION })
    expect(request.attributes).toMatchObject({ 'ecis.request_type': 'basic', 'http.response.status_code': 200 })
    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes })))
    for (const secret of [
      grant.accessToken,
      grant.refreshToken!,
      session.grant.accessToken,
      transaction.codeVerifier,
    ]) {
      expect(text).not.toContain(secret)
    }
  })

  it('records spans to a provider registered after the consumer was made', async () => {
    const w = await world()
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    const { exporter, provider } = sdk()
    trace.setGlobalTracerProvider(provider)
    await w.consumer.session(grant).basic(grant.accounts[0]!)
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['ecis.request'])
  })

  it('records nothing, and calls still work, when no provider is registered', async () => {
    const { exporter, provider } = sdk()
    trace.setGlobalTracerProvider(provider)
    trace.disable()
    await expect(journey()).resolves.toBeDefined()
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it('sends spans to the tracerProvider option instead of the global provider', async () => {
    const global = sdk()
    const own = sdk()
    trace.setGlobalTracerProvider(global.provider)
    await journey({ tracerProvider: own.provider })
    expect(global.exporter.getFinishedSpans()).toEqual([])
    const request = own.exporter.getFinishedSpans().find((s) => s.name === 'ecis.request')!
    expect(request.instrumentationScope).toMatchObject({ name: 'ecis-consumer', version: VERSION })
  })

  it('sends spans to the tracer option over tracerProvider and the global provider', async () => {
    const global = sdk()
    const own = sdk()
    const chosen = sdk()
    trace.setGlobalTracerProvider(global.provider)
    await journey({ tracerProvider: own.provider, tracer: chosen.provider.getTracer('mine') })
    expect(global.exporter.getFinishedSpans()).toEqual([])
    expect(own.exporter.getFinishedSpans()).toEqual([])
    expect(chosen.exporter.getFinishedSpans().map((s) => s.instrumentationScope.name)).toContain('mine')
  })

  it('refuses a tracerProvider that is not one, as a config error', async () => {
    await expect(world({}, { tracerProvider: {} as never })).rejects.toMatchObject({
      name: 'EciConfigError',
      message: expect.stringContaining('tracerProvider'),
    })
  })
})
