/**
 * Node `diagnostics_channel` TracingChannel events for APM agents: `ecis-consumer:request` per ECI
 * call and `ecis-consumer:refresh` per token refresh, with the spans' secret-free attributes.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelContext } from '../../src/index.js'
import { world } from '../support/consumer.js'

type Event = { event: string; name: string; attributes: Record<string, unknown>; error?: unknown }

const subscriptions: (() => void)[] = []
afterEach(() => {
  for (const unsubscribe of subscriptions.splice(0)) unsubscribe()
})

/** Every event of the TracingChannel `name`, with a snapshot of the context's attributes at that moment. */
function listen(name: string): Event[] {
  const events: Event[] = []
  const on = (event: string) => (message: unknown) => {
    const context = message as ChannelContext
    events.push({ event, name: context.name, attributes: { ...context.attributes }, error: context.error })
  }
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  }
  const channel = diagnosticsChannel.tracingChannel(name)
  channel.subscribe(handlers)
  subscriptions.push(() => channel.unsubscribe(handlers))
  return events
}

async function consented(options = {}) {
  const w = await world({}, options)
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  return { w, grant, transaction }
}

describe('diagnostics_channel events', () => {
  it('publishes ecis-consumer:request with the span attributes, completed on asyncEnd', async () => {
    const events = listen('ecis-consumer:request')
    const { w, grant } = await consented()
    await w.consumer.session(grant).basic(grant.accounts[0]!)
    expect(events.map((e) => e.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(events[0]).toMatchObject({
      name: 'ecis.request',
      attributes: {
        'ecis.request_type': 'basic',
        'http.request.method': 'POST',
        'server.address': 'api.utility.example',
        'url.full': 'https://api.utility.example/eci/v1',
      },
    })
    expect(events[0]!.attributes['http.response.status_code']).toBeUndefined()
    expect(events[3]!.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 0 })
    expect(events[3]!.attributes['ecis.request_id']).toBeTypeOf('string')
    expect(events[3]!.attributes['ecis.account_id']).toBeUndefined()
  })

  it('publishes the error event with the EciError and its code as error.type on a failed call', async () => {
    const events = listen('ecis-consumer:request')
    const { w, grant } = await consented({ retry: 0 })
    w.mock.fault({ endpoint: 'eci', status: 500, times: 1 })
    const failure = await w.consumer
      .session(grant)
      .basic(grant.accounts[0]!)
      .catch((e: unknown) => e)
    const error = events.find((e) => e.event === 'error')!
    expect(error.error).toBe(failure)
    expect(error.error).toMatchObject({ name: 'EciHttpError', status: 500 })
    expect(events.at(-1)).toMatchObject({ event: 'asyncEnd', attributes: { 'error.type': 'ERR_ECI_HTTP' } })
  })

  it('publishes ecis-consumer:refresh for a token refresh, and never a secret on either channel', async () => {
    const refresh = listen('ecis-consumer:refresh')
    const request = listen('ecis-consumer:request')
    const { w, grant, transaction } = await consented()
    const session = w.consumer.session({ ...grant, expiresAt: Math.floor(Date.now() / 1000) - 5 })
    await session.basic(grant.accounts[0]!)
    expect(refresh.map((e) => e.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(refresh[0]).toMatchObject({
      name: 'ecis.oauth.refresh',
      attributes: { 'server.address': 'auth.utility.example', 'http.request.method': 'POST' },
    })
    const text = JSON.stringify([...refresh, ...request])
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

  it('names account ids on the channel only with telemetry: { accountIds: true }', async () => {
    const events = listen('ecis-consumer:request')
    const { w, grant } = await consented({ telemetry: { accountIds: true } })
    await w.consumer.session(grant).basic(grant.accounts[0]!)
    expect(events[0]!.attributes['ecis.account_id']).toBe(grant.accounts[0])
  })
})
