/**
 * `createEciSync` options checked once, with every default applied.
 * @internal
 * @module
 */
import type { Redis } from 'ioredis'
import { EciConfigError, ErrorCode } from '../errors.js'
import type { GrantStore } from '../grant/store.js'
import { badOption, resolveFunction } from '../resolve.js'
import type { SyncGreenButtonProviderConfig } from './green-button-types.js'
import type { EciSyncOptions, SyncProviderConfig, SyncSink } from './types.js'

/** Names that become BullMQ queue names and Redis key parts. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * `rateLimit.marginMs` by default: 40 ms, or 2.5 % of the window where that is more (at most a
 * minute). 40 ms covers loopback-to-regional jitter and a briefly stalled process at either end
 * (a 1 s window runs at 1000 / 1040 = 96 % of the limit at most); longer windows buy cover for a
 * retransmitted packet or a new connection's handshake at the same 2.5 % (a 2 s window: 50 ms,
 * 97.6 %; a minute: 1.5 s).
 */
export const defaultMarginMs = (duration: number): number => Math.min(60_000, Math.max(40, Math.round(duration / 40)))

/** A provider with every default applied. */
export interface ResolvedProvider {
  readonly id: string
  /** `'green-button'` for a Connect My Data utility. */
  readonly kind: 'ecis' | 'green-button'
  readonly config: SyncProviderConfig | SyncGreenButtonProviderConfig
  readonly max: number
  readonly duration: number
  /** How much the delay from a permit to the provider's count may vary, ms. */
  readonly marginMs: number
  /** The window the fleet counts requests in: `duration + marginMs`. */
  readonly windowMs: number
  readonly concurrency: number
  readonly invoiceConcurrency: number
}

/** The options, resolved. */
export interface ResolvedSyncOptions {
  readonly redis: Redis
  readonly store: GrantStore
  readonly sink: SyncSink
  readonly providers: ReadonlyMap<string, ResolvedProvider>
  readonly onNeedsConsent: EciSyncOptions['onNeedsConsent']
  readonly prefix: string
  readonly attempts: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly keepSeconds: number
}

/** A whole number in [min, max], or the fallback when undefined. */
export function wholeNumber(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badOption(`\`${name}\` must be a whole number from ${min} to ${max}`)
  }
  return value
}

/** A name (provider id, prefix, run). */
export function checkName(value: unknown, name: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw badOption(`\`${name}\` must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`)
  }
  return value
}

function resolveProvider(id: string, config: SyncProviderConfig | SyncGreenButtonProviderConfig): ResolvedProvider {
  checkName(id, 'providers key')
  const at = `providers.${id}`
  if (!config || typeof config !== 'object' || !config.consumer || typeof config.consumer !== 'object') {
    throw badOption(`\`${at}.consumer\` must be the options of EciConsumer.discover (or of greenButtonConsumer)`)
  }
  const kind = config.kind ?? 'ecis'
  if (kind !== 'ecis' && kind !== 'green-button') throw badOption(`\`${at}.kind\` must be "ecis" or "green-button"`)
  const limit = config.rateLimit
  if (!limit || typeof limit !== 'object') throw badOption(`\`${at}.rateLimit\` must be { max, duration }`)
  const max = wholeNumber(limit.max, `${at}.rateLimit.max`, 1, 100_000, 0)
  const duration = wholeNumber(limit.duration, `${at}.rateLimit.duration`, 1, 86_400_000, 0)
  const margin = wholeNumber(limit.marginMs, `${at}.rateLimit.marginMs`, 0, 60_000, defaultMarginMs(duration))
  return Object.freeze({
    id,
    kind,
    config,
    max,
    duration,
    marginMs: margin,
    windowMs: duration + margin,
    concurrency: wholeNumber(config.concurrency, `${at}.concurrency`, 1, 1000, 4),
    invoiceConcurrency: wholeNumber(
      (config as SyncProviderConfig).invoiceConcurrency,
      `${at}.invoiceConcurrency`,
      1,
      16,
      2,
    ),
  })
}

/** Checks every option. @throws {EciConfigError} */
export function resolveSyncOptions(options: EciSyncOptions): ResolvedSyncOptions {
  if (!options || typeof options !== 'object') throw badOption('createEciSync needs options')
  const { redis, store, sink } = options
  if (!redis || typeof (redis as { evalsha?: unknown }).evalsha !== 'function') {
    throw badOption('`redis` must be an ioredis client')
  }
  if (!store || typeof store.get !== 'function' || typeof store.markNeedsConsent !== 'function') {
    throw badOption('`store` must be a GrantStore')
  }
  if (!sink || typeof sink.lastInvoice !== 'function' || typeof sink.upsertInvoice !== 'function') {
    throw badOption('`sink` must implement lastInvoice and upsertInvoice')
  }
  if (!options.providers || typeof options.providers !== 'object') throw badOption('`providers` must be an object')
  const providers = new Map<string, ResolvedProvider>()
  for (const [id, config] of Object.entries(options.providers)) providers.set(id, resolveProvider(id, config))
  if (providers.size === 0) throw badOption('`providers` must name at least one provider')
  if (
    [...providers.values()].some((p) => p.kind === 'green-button') &&
    typeof sink.upsertGreenButtonBill !== 'function'
  ) {
    throw badOption('`sink` must implement upsertGreenButtonBill for Green Button providers')
  }
  const backoff = options.backoff ?? {}
  const backoffBaseMs = wholeNumber(backoff.baseMs, 'backoff.baseMs', 1, 3_600_000, 1000)
  return Object.freeze({
    redis,
    store,
    sink,
    providers,
    onNeedsConsent: resolveFunction(options.onNeedsConsent, 'onNeedsConsent'),
    prefix: options.prefix === undefined ? 'ecis-sync' : checkName(options.prefix, 'prefix'),
    attempts: wholeNumber(options.attempts, 'attempts', 1, 20, 5),
    backoffBaseMs,
    backoffMaxMs: wholeNumber(backoff.maxMs, 'backoff.maxMs', backoffBaseMs, 86_400_000, 60_000),
    keepSeconds: wholeNumber(options.keepSeconds, 'keepSeconds', 60, 90 * 86_400, 172_800),
  })
}

/** The provider of `id`, or a config error naming the known ones. */
export function providerOf(o: ResolvedSyncOptions, id: unknown): ResolvedProvider {
  const provider = typeof id === 'string' ? o.providers.get(id) : undefined
  if (!provider) {
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      `Unknown provider ${JSON.stringify(id)}; the sync knows ${[...o.providers.keys()].join(', ')}`,
    )
  }
  return provider
}
