/**
 * The `diagnostics_channel` side of telemetry: Node's TracingChannel events
 * `ecis-consumer:request` and `ecis-consumer:refresh`, for APM agents that subscribe to channels
 * (as they do for undici, mysql2 and mssql) rather than to OpenTelemetry. The module is reached
 * through `process.getBuiltinModule` (Node 22.3+, Deno, Bun), never imported, so the core entries
 * hold no Node import and bundle unchanged for browsers and workers, where this finds nothing.
 * @module
 */

/** The part of a `diagnostics_channel` Channel the SDK reads. */
interface ChannelLike {
  readonly hasSubscribers: boolean
}

/** The part of a `diagnostics_channel` TracingChannel the SDK uses. */
export interface TracingChannelLike {
  readonly hasSubscribers?: boolean
  readonly start: ChannelLike
  readonly end: ChannelLike
  readonly asyncStart: ChannelLike
  readonly asyncEnd: ChannelLike
  readonly error: ChannelLike
  tracePromise<T>(fn: () => Promise<T>, context: object): Promise<T>
}

interface DiagnosticsChannelModule {
  tracingChannel(name: string): TracingChannelLike
}

/** Which spans also publish on a TracingChannel: the ECI call and the token refresh. */
const CHANNEL_OF_SPAN: Readonly<Record<string, string>> = {
  'ecis.request': 'ecis-consumer:request',
  'ecis.oauth.refresh': 'ecis-consumer:refresh',
}

let channels: Map<string, TracingChannelLike> | null | undefined

function diagnosticsChannel(): DiagnosticsChannelModule | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    const dc = p?.getBuiltinModule?.('node:diagnostics_channel') as Partial<DiagnosticsChannelModule> | undefined
    return typeof dc?.tracingChannel === 'function' ? (dc as DiagnosticsChannelModule) : undefined
  } catch {
    return undefined
  }
}

function hasSubscribers(channel: TracingChannelLike): boolean {
  if (typeof channel.hasSubscribers === 'boolean') return channel.hasSubscribers
  const { start, end, asyncStart, asyncEnd, error } = channel
  return (
    start.hasSubscribers ||
    end.hasSubscribers ||
    asyncStart.hasSubscribers ||
    asyncEnd.hasSubscribers ||
    error.hasSubscribers
  )
}

/**
 * The TracingChannel a span named `spanName` publishes on, when the runtime has one and someone
 * subscribed to it; otherwise `undefined` (no context object is built for nobody).
 */
export function subscribedChannel(spanName: string): TracingChannelLike | undefined {
  const name = CHANNEL_OF_SPAN[spanName]
  if (name === undefined) return undefined
  if (channels === undefined) {
    const dc = diagnosticsChannel()
    channels = dc ? new Map(Object.values(CHANNEL_OF_SPAN).map((n) => [n, dc.tracingChannel(n)])) : null
  }
  const channel = channels?.get(name)
  return channel && hasSubscribers(channel) ? channel : undefined
}
