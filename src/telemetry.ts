/**
 * What the SDK tells an app about its requests: OpenTelemetry spans (`ecis.request` and one per
 * OAuth step), Node `diagnostics_channel` TracingChannel events (see telemetry-channels.ts), plain
 * hooks (`onRequest`, `onResponse`, `onRetry`, each with one state object), and the `User-Agent`
 * every request carries. No token, code, key or JWT is ever an attribute or a hook field; account
 * ids only with `telemetry: { accountIds: true }`.
 *
 * Spans need no option: an app that registered a tracer provider with `@opentelemetry/api` (an
 * optional peer) gets them, as the OpenTelemetry library guidance asks. The SDK does not import
 * the API to find that provider: it reads the API's own global registry
 * (`globalThis[Symbol.for('opentelemetry.js.api.1')].trace`, where every 1.x copy of the API
 * registers and looks up the global provider — what `trace.getTracerProvider()` returns). So no
 * bundler ever sees the optional peer, nothing fails where it is not installed, and browsers,
 * Deno, Bun and workers get spans whenever the app's own copy of the API registered a provider.
 * @module
 */

import { toEciError } from './error-boundary.js'
import type { EciError } from './errors.js'
import { requestIdOf } from './http/refusal.js'
import { badOption, resolveFunction } from './resolve.js'
import { subscribedChannel } from './telemetry-channels.js'
import { VERSION } from './version.js'

/** Attribute values a span takes (OpenTelemetry's `AttributeValue`, narrowed). */
export type SpanAttributeValue = string | number | boolean

/** The part of an OpenTelemetry `Span` the SDK uses. */
export interface SpanLike {
  /** Sets one attribute. */
  setAttribute(key: string, value: SpanAttributeValue): unknown
  /** Sets the status (`2` = error). */
  setStatus(status: { code: number; message?: string }): unknown
  /** Ends the span. */
  end(): void
}

/** The part of an OpenTelemetry `Tracer` the SDK uses; `trace.getTracer(…)` satisfies it. */
export interface TracerLike {
  /** Starts a span (`kind` 2 = client). */
  startSpan(name: string, options?: { kind?: number; attributes?: Record<string, SpanAttributeValue> }): SpanLike
}

/** The part of an OpenTelemetry `TracerProvider` the SDK uses; the OTel SDK's providers satisfy it. */
export interface TracerProviderLike {
  /** A tracer for the named library (the SDK asks for `ecis-consumer` at its version). */
  getTracer(name: string, version?: string): TracerLike
}

/** Who the app is, appended to the `User-Agent` (Stripe's `appInfo`). */
export interface AppInfo {
  /** The app's name, e.g. `acme-sync`. */
  name: string
  /** Its version. */
  version?: string | undefined
  /** Where to learn about it. */
  url?: string | undefined
}

/** What {@link TelemetryOptions.onRequest} receives before each attempt of an ECI call or a Green Button read. */
export interface RequestState {
  /**
   * `basic`, `invoice` or `invoice_detail` for an ECI call; `green_button.subscription`,
   * `green_button.usage_point` or `green_button.authorization` for a Green Button read.
   */
  requestType: string
  /**
   * The ECI endpoint. For a Green Button read, the Data Custodian's origin — the whole URL (no
   * query) only with `telemetry: { accountIds: true }`, since its path names the customer's
   * subscription.
   */
  url: string
  /** 1 for the first attempt. */
  attempt: number
  /** The account, only with `telemetry: { accountIds: true }`. */
  systemAccountId?: string | undefined
}

/** What {@link TelemetryOptions.onResponse} receives after each attempt that got a response. */
export interface ResponseState extends RequestState {
  status: number
  /** The provider's request id (scrubbed of secrets). */
  requestId: string | undefined
  /** Milliseconds from sending to the response headers. */
  durationMs: number
}

/** What {@link TelemetryOptions.onRetry} receives before waiting for the next attempt. */
export interface RetryState extends RequestState {
  /** Why the attempt failed. */
  error: EciError
  /** How long the SDK waits before the next attempt, ms. */
  delayMs: number
}

/** Telemetry options of `EciConsumer.discover` and `createEciClient`. */
export interface TelemetryOptions {
  /**
   * The OpenTelemetry tracer the SDK's spans go to; overrides `tracerProvider` and the global one.
   * @default the tracer `ecis-consumer` of `tracerProvider`, else of the global tracer provider registered with `@opentelemetry/api`
   * @see https://opentelemetry.io/docs/specs/otel/trace/api/#get-a-tracer
   */
  tracer?: TracerLike | undefined
  /**
   * The OpenTelemetry tracer provider to take the `ecis-consumer` tracer from, instead of the global one.
   * @default the global tracer provider registered with `@opentelemetry/api` (no spans when none is registered)
   */
  tracerProvider?: TracerProviderLike | undefined
  /** Privacy switches for spans and hooks. */
  telemetry?: { accountIds?: boolean } | undefined
  /** Called before each attempt of an ECI call or a Green Button read. */
  onRequest?: ((state: RequestState) => void) | undefined
  /** Called after each attempt that got an HTTP response. */
  onResponse?: ((state: ResponseState) => void) | undefined
  /** Called before the SDK waits to retry an ECI call or a Green Button read. */
  onRetry?: ((state: RetryState) => void) | undefined
  /** Your app, appended to `User-Agent: ecis-consumer/<version>`. */
  appInfo?: AppInfo | undefined
}

/** {@link TelemetryOptions} checked. */
export interface ResolvedTelemetry {
  /** The tracer spans go to now (the global provider can be registered after the consumer was made). */
  readonly tracer: () => TracerLike | undefined
  readonly accountIds: boolean
  readonly onRequest: ((state: RequestState) => void) | undefined
  readonly onResponse: ((state: ResponseState) => void) | undefined
  readonly onRetry: ((state: RetryState) => void) | undefined
  readonly userAgent: string
}

const TOKEN = /^[\w.+-]{1,64}$/

/** `ecis-consumer/<version>`, then the app's `name/version (+url)`. */
export function userAgent(app: AppInfo | undefined): string {
  const base = `ecis-consumer/${VERSION}`
  if (app === undefined) return base
  if (app === null || typeof app !== 'object' || typeof app.name !== 'string' || !TOKEN.test(app.name)) {
    throw badOption('`appInfo.name` must be a short product token (letters, digits, . _ + -)')
  }
  if (app.version !== undefined && (typeof app.version !== 'string' || !TOKEN.test(app.version))) {
    throw badOption('`appInfo.version` must be a short version token')
  }
  if (app.url !== undefined && (typeof app.url !== 'string' || !URL.canParse(app.url) || /[\s()]/.test(app.url))) {
    throw badOption('`appInfo.url` must be a URL')
  }
  return `${base} ${app.name}${app.version ? `/${app.version}` : ''}${app.url ? ` (+${app.url})` : ''}`
}

/** Where every 1.x copy of `@opentelemetry/api` keeps its globals (the API's `GLOBAL_OPENTELEMETRY_API_KEY`). */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1')
const LIBRARY = 'ecis-consumer'
let globalProvider: unknown
let globalProviderTracer: TracerLike | undefined

/** The `ecis-consumer` tracer of the global provider registered through `@opentelemetry/api`, if any. */
function globalTracer(): TracerLike | undefined {
  const api = (globalThis as { [OTEL_API_GLOBAL]?: { trace?: Partial<TracerProviderLike> } })[OTEL_API_GLOBAL]
  const provider = api?.trace
  if (typeof provider?.getTracer !== 'function') return undefined
  if (provider !== globalProvider) {
    // Registered once per process, so one tracer is asked for once.
    globalProviderTracer = provider.getTracer(LIBRARY, VERSION)
    globalProvider = provider
  }
  return globalProviderTracer
}

/** Checks the telemetry options once. */
export function resolveTelemetry(options: TelemetryOptions): ResolvedTelemetry {
  const { tracer: given, tracerProvider } = options
  if (given !== undefined && (given === null || typeof given.startSpan !== 'function')) {
    throw badOption('`tracer` must be an OpenTelemetry Tracer (trace.getTracer(…))')
  }
  if (tracerProvider !== undefined && (tracerProvider === null || typeof tracerProvider.getTracer !== 'function')) {
    throw badOption('`tracerProvider` must be an OpenTelemetry TracerProvider')
  }
  const fixed = given ?? tracerProvider?.getTracer(LIBRARY, VERSION)
  return Object.freeze({
    tracer: fixed ? () => fixed : globalTracer,
    accountIds: options.telemetry?.accountIds === true,
    onRequest: resolveFunction(options.onRequest, 'onRequest'),
    onResponse: resolveFunction(options.onResponse, 'onResponse'),
    onRetry: resolveFunction(options.onRetry, 'onRetry'),
    userAgent: userAgent(options.appInfo),
  })
}

/** OpenTelemetry's `SpanKind.CLIENT` and `SpanStatusCode.ERROR` (numeric, as the API defines them). */
const CLIENT = 2
const ERROR = 2

/** A hook never breaks a call: what it throws is dropped. */
export function callHook<S>(hook: ((state: S) => void) | undefined, state: S): void {
  if (!hook) return
  try {
    hook(state)
  } catch {}
}

/**
 * Calls the app's `onResponse` hook, if any, for an attempt sent at `sentAt` (`performance.now()`);
 * the provider's request id is scrubbed of `secrets`.
 */
export function reportResponse(
  telemetry: ResolvedTelemetry,
  state: RequestState,
  response: Response,
  sentAt: number,
  secrets: readonly string[],
): void {
  const hook = telemetry.onResponse
  if (!hook) return
  const requestId = requestIdOf(response.headers, secrets)
  callHook(hook, { ...state, status: response.status, requestId, durationMs: performance.now() - sentAt })
}

/**
 * The `onRetry` of a call's `withRetries`: the app's `onRetry` hook with the attempt's state, the
 * error typed (`what` names the call in it); `undefined` when the app set no hook.
 */
export function retryHook(
  telemetry: ResolvedTelemetry,
  state: (attempt: number) => RequestState,
  what: string,
): ((error: unknown, delayMs: number, attempt: number) => void) | undefined {
  const hook = telemetry.onRetry
  if (!hook) return undefined
  return (error, delayMs, attempt) => callHook(hook, { ...state(attempt), error: toEciError(error, what), delayMs })
}

/**
 * What a TracingChannel subscriber receives (`ecis-consumer:request`, `ecis-consumer:refresh`):
 * the span's name and the same secret-free attributes, completed as the work records them (read
 * them on `asyncEnd`); on failure Node adds `error`, an `EciError`.
 */
export interface ChannelContext {
  name: string
  attributes: Record<string, SpanAttributeValue>
  error?: unknown
}

/** A span's starting attributes; `undefined` values are left out. */
type Attributes = Record<string, SpanAttributeValue | undefined>

/**
 * Runs `work` inside a span named `name` when a tracer is set, and publishes it on its
 * TracingChannel when one has subscribers: attributes from `attributes` (a function is called
 * only then, so an unobserved call builds none) and from what `work` records, the `EciError`
 * code as `error.type` on failure.
 */
export async function traced<T>(
  telemetry: ResolvedTelemetry,
  name: string,
  attributes: Attributes | (() => Attributes),
  work: (record: (key: string, value: SpanAttributeValue | undefined) => void) => Promise<T>,
): Promise<T> {
  const tracer = telemetry.tracer()
  const channel = subscribedChannel(name)
  if (!tracer && !channel) return work(() => {})
  const recorded: Record<string, SpanAttributeValue> = {}
  const given = typeof attributes === 'function' ? attributes() : attributes
  for (const [k, v] of Object.entries(given)) if (v !== undefined) recorded[k] = v
  const span = tracer?.startSpan(name, { kind: CLIENT, attributes: { ...recorded } })
  const record = (key: string, value: SpanAttributeValue | undefined) => {
    if (value === undefined) return
    recorded[key] = value
    span?.setAttribute(key, value)
  }
  const run = async () => {
    try {
      return await work(record)
    } catch (error) {
      const code = (error as { code?: unknown })?.code
      const type = typeof code === 'string' ? code : 'ERR_ECI_INTERNAL'
      record('error.type', type)
      span?.setStatus({ code: ERROR, message: type })
      throw error
    } finally {
      span?.end()
    }
  }
  if (!channel) return run()
  const context: ChannelContext = { name, attributes: recorded }
  return channel.tracePromise(run, context)
}

/** The attributes of an `ecis.request` span (OpenTelemetry HTTP client conventions; no query, no secret). */
export function requestAttributes(
  resource: string,
  claims: { eci_request_type: string; system_account_id: string },
  accountIds: boolean,
): Record<string, SpanAttributeValue | undefined> {
  const url = new URL(resource)
  return {
    'ecis.request_type': claims.eci_request_type,
    'http.request.method': 'POST',
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    'url.full': `${url.origin}${url.pathname}`,
    'ecis.account_id': accountIds ? claims.system_account_id : undefined,
  }
}
