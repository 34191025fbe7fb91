/**
 * What the SDK tells an app about its requests: an OpenTelemetry-compatible tracer (spans
 * `ecis.request` and one per OAuth step), plain hooks (`onRequest`, `onResponse`, `onRetry`, each
 * with one state object), and the `User-Agent` every request carries. Dependency-free: the app
 * passes `trace.getTracer('ecis-consumer')` from `@opentelemetry/api` (an optional peer), which
 * records only when a tracer provider is registered. No token, code, key or JWT is ever an
 * attribute or a hook field; account ids only with `telemetry: { accountIds: true }`.
 * @module
 */
import type { EciError } from './errors.js'
import { badOption, resolveFunction } from './resolve.js'
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

/** Who the app is, appended to the `User-Agent` (Stripe's `appInfo`). */
export interface AppInfo {
  /** The app's name, e.g. `acme-sync`. */
  name: string
  /** Its version. */
  version?: string | undefined
  /** Where to learn about it. */
  url?: string | undefined
}

/** What {@link TelemetryOptions.onRequest} receives before each attempt of an ECI call. */
export interface RequestState {
  /** `basic`, `invoice` or `invoice_detail`. */
  requestType: string
  /** The ECI endpoint. */
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
  /** An OpenTelemetry tracer, e.g. `trace.getTracer('ecis-consumer')`. @default none: no spans */
  tracer?: TracerLike | undefined
  /** Privacy switches for spans and hooks. */
  telemetry?: { accountIds?: boolean } | undefined
  /** Called before each attempt of an ECI call. */
  onRequest?: ((state: RequestState) => void) | undefined
  /** Called after each attempt that got an HTTP response. */
  onResponse?: ((state: ResponseState) => void) | undefined
  /** Called before the SDK waits to retry an ECI call. */
  onRetry?: ((state: RetryState) => void) | undefined
  /** Your app, appended to `User-Agent: ecis-consumer/<version>`. */
  appInfo?: AppInfo | undefined
}

/** {@link TelemetryOptions} checked. */
export interface ResolvedTelemetry {
  readonly tracer: TracerLike | undefined
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

/** Checks the telemetry options once. */
export function resolveTelemetry(options: TelemetryOptions): ResolvedTelemetry {
  const tracer = options.tracer
  if (tracer !== undefined && (tracer === null || typeof tracer.startSpan !== 'function')) {
    throw badOption('`tracer` must be an OpenTelemetry Tracer (trace.getTracer(…))')
  }
  return Object.freeze({
    tracer,
    accountIds: options.telemetry?.accountIds === true,
    onRequest: resolveFunction(options.onRequest, 'onRequest'),
    onResponse: resolveFunction(options.onResponse, 'onResponse'),
    onRetry: resolveFunction(options.onRetry, 'onRetry'),
    userAgent: userAgent(options.appInfo),
  })
}

/** No tracer, no hooks: what a client without telemetry options uses. */
export const NO_TELEMETRY: ResolvedTelemetry = Object.freeze({
  tracer: undefined,
  accountIds: false,
  onRequest: undefined,
  onResponse: undefined,
  onRetry: undefined,
  userAgent: userAgent(undefined),
})

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
 * Runs `work` inside a span named `name` when a tracer is set: attributes from `attributes` and
 * from what `work` records, the `EciError` code as `error.type` on failure.
 */
export async function traced<T>(
  telemetry: ResolvedTelemetry,
  name: string,
  attributes: Record<string, SpanAttributeValue | undefined>,
  work: (record: (key: string, value: SpanAttributeValue | undefined) => void) => Promise<T>,
): Promise<T> {
  const { tracer } = telemetry
  if (!tracer) return work(() => {})
  const clean: Record<string, SpanAttributeValue> = {}
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) clean[k] = v
  const span = tracer.startSpan(name, { kind: CLIENT, attributes: clean })
  const record = (key: string, value: SpanAttributeValue | undefined) => {
    if (value !== undefined) span.setAttribute(key, value)
  }
  try {
    return await work(record)
  } catch (error) {
    const code = (error as { code?: unknown })?.code
    const type = typeof code === 'string' ? code : 'ERR_ECI_INTERNAL'
    span.setAttribute('error.type', type)
    span.setStatus({ code: ERROR, message: type })
    throw error
  } finally {
    span.end()
  }
}
