/**
 * A Connect My Data session: reads one customer's subscription with a {@link GreenButtonGrant}
 * and keeps its tokens fresh by the rules of every session of the SDK (`grantTokens`: refresh
 * margin, single flight, `onGrant`, fleet refresh through a GrantStore).
 * @module
 */
import { EciConsentError, EciHttpError, ErrorCode } from '../../errors.js'
import { type GrantTokens, grantTokens } from '../../grant/grant-tokens.js'
import type { SessionBackend } from '../../grant/session.js'
import { usable } from '../../grant/shared-refresh.js'
import type { GrantStore } from '../../grant/store.js'
import { resolveLockTtl, storeBackend } from '../../grant/store-session.js'
import { readBodyText } from '../../http/body.js'
import type { TokenEndpoint } from '../../oauth/token-endpoint.js'
import { badOption, resolveTimeout } from '../../resolve.js'
import { isCalendarDate } from '../../schemas/fields.js'
import { espiBills, type GreenButtonBill } from '../bills.js'
import type { EspiFeed, UsagePoint } from '../feed.js'
import { localDate } from '../local-time.js'
import { parseEspiStream } from '../parse.js'
import { type GreenButtonAuthorization, MAX_DOCUMENT_BYTES, parseAuthorization } from './documents.js'
import type { GreenButtonGrant } from './grant.js'
import type { ResolvedGreenButtonOptions } from './options.js'
import { type BodyReader, getResource, RESOURCE_WHAT, type ResourceCallOptions } from './resource-request.js'

/** Options of `gb.session(grant, options)`. */
export interface GreenButtonSessionOptions {
  /** Receives every rotated grant; persist it (the old refresh token stops working). */
  onGrant?: ((grant: GreenButtonGrant) => void | Promise<void>) | undefined
}

/** The ESPI date filters of a subscription read (Atom `published` / `updated`). */
export interface FeedFilter extends ResourceCallOptions {
  /** Entries published on or after (`published-min`): `YYYY-MM-DD`, an ISO date-time or a Date. */
  publishedMin?: string | Date | undefined
  /** Entries published before (`published-max`). */
  publishedMax?: string | Date | undefined
  /** Entries updated on or after (`updated-min`). */
  updatedMin?: string | Date | undefined
  /** Entries updated before (`updated-max`). */
  updatedMax?: string | Date | undefined
}

/** Options of {@link GreenButtonSession.bills}. */
export interface GreenButtonBillsOptions extends ResourceCallOptions {
  /** Only bills whose period starts on or after this local date (`YYYY-MM-DD`); asks for entries published since. */
  since?: string | undefined
}

const FILTERS = [
  ['publishedMin', 'published-min'],
  ['publishedMax', 'published-max'],
  ['updatedMin', 'updated-min'],
  ['updatedMax', 'updated-max'],
] as const

/** ESPI's date-time form (`2026-11-01T00:00:00Z`). */
function espiTime(value: unknown, name: string): string {
  const text = value instanceof Date ? value.toISOString() : value
  const ms = typeof text === 'string' && (isCalendarDate(text) || /^\d{4}-\d{2}-\d{2}T/.test(text)) && Date.parse(text)
  if (typeof ms !== 'number' || Number.isNaN(ms))
    throw badOption(`\`${name}\` must be a YYYY-MM-DD date, an ISO date-time or a Date`)
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}

/** Reads one Connect My Data customer's subscription. */
export class GreenButtonSession {
  readonly #tokens: GrantTokens<GreenButtonGrant>
  readonly #o: ResolvedGreenButtonOptions
  readonly #feed: BodyReader<EspiFeed>

  /** @internal Use `gb.session(grant)` or `gb.openSession(key, { store })`. */
  constructor(
    grant: GreenButtonGrant,
    o: ResolvedGreenButtonOptions,
    backend: Omit<SessionBackend, 'client'>,
    options: GreenButtonSessionOptions = {},
  ) {
    this.#o = o
    this.#tokens = grantTokens(grant, backend, options as { onGrant?: (g: unknown) => void | Promise<void> })
    this.#feed = (body) => parseEspiStream(body, { limits: o.limits, onDeviation: o.onDeviation })
  }

  /** The current grant (it changes when tokens rotate). */
  get grant(): GreenButtonGrant {
    return this.#tokens.grant
  }

  /**
   * Reads the subscription (`GET resourceUri`), filtered by date, parsed as it streams within
   * the consumer's `limits`.
   * @throws {EciConsentError} when the customer must consent again; {@link EciHttpError} for
   *   refusals, a redirect or a body that is not XML; {@link EciValidationError} for a body that
   *   breaks ESPI or a limit; {@link EciNetworkError}.
   */
  feed(filter: FeedFilter = {}): Promise<EspiFeed> {
    const url = new URL(this.grant.resourceUri)
    for (const [option, param] of FILTERS) {
      if (filter[option] !== undefined) url.searchParams.set(param, espiTime(filter[option], option))
    }
    return getResource(this.#o, this.#tokens, url.href, 'subscription', this.#feed, filter)
  }

  /**
   * Reads one usage point of the subscription (`GET resourceUri/UsagePoint/{id}`), `id` being
   * the last segment of its URI.
   * @throws {EciHttpError} `ERR_ECI_RESPONSE_MISMATCH` when the response holds no usage point; as {@link feed}.
   */
  async usagePoint(id: string, options: ResourceCallOptions = {}): Promise<UsagePoint> {
    if (typeof id !== 'string' || !/^[\w.~-]{1,128}$/.test(id)) throw badOption('`id` must be a usage point id')
    const url = `${this.grant.resourceUri.replace(/\/$/, '')}/UsagePoint/${id}`
    const feed = await getResource(this.#o, this.#tokens, url, 'usage_point', this.#feed, options)
    const point = feed.usagePoints[0]
    if (!point) {
      throw new EciHttpError(ErrorCode.RESPONSE_MISMATCH, 'The usage point read returned no usage point', {
        status: 200,
      })
    }
    return point
  }

  /**
   * The subscription's bills, oldest period first per usage point, as an async iterable.
   * @example
   * ```ts
   * for await (const bill of session.bills({ since: '2026-01-01' })) await db.upsert(bill)
   * ```
   * @throws {EciConfigError} for a bad `since`; otherwise as {@link feed}.
   */
  async *bills(options: GreenButtonBillsOptions = {}): AsyncGenerator<GreenButtonBill> {
    const { since, signal } = options
    if (since !== undefined && !(typeof since === 'string' && isCalendarDate(since))) {
      throw badOption('`since` must be a YYYY-MM-DD date')
    }
    const feed = await this.feed({ publishedMin: since, signal })
    for (const bill of espiBills(feed)) {
      if (since === undefined || localDate(bill.periodStart, bill.localTime) >= since) yield bill
    }
  }

  /**
   * The `Authorization` resource: status, scope, expiry.
   * @throws {EciConsentError} `ERR_ECI_GRANT_REVOKED` when the customer revoked (or was denied)
   *   the authorization; {@link EciConfigError} when the grant has no `authorizationUri`.
   */
  async authorization(options: ResourceCallOptions = {}): Promise<GreenButtonAuthorization> {
    const uri = this.grant.authorizationUri
    if (!uri) throw badOption('The Data Custodian named no authorizationURI for this grant')
    const read: BodyReader<GreenButtonAuthorization> = async (body) =>
      parseAuthorization(
        await readBodyText(new Response(body), {
          timeoutMs: Number.POSITIVE_INFINITY,
          maxBytes: MAX_DOCUMENT_BYTES,
          what: RESOURCE_WHAT.authorization,
        }),
      )
    const authorization = await getResource(this.#o, this.#tokens, uri, 'authorization', read, options)
    if (authorization.status === 'revoked' || authorization.status === 'denied') {
      throw new EciConsentError(
        ErrorCode.GRANT_REVOKED,
        `The Data Custodian reports the authorization ${authorization.status}: the customer must consent again`,
      )
    }
    return authorization
  }

  /**
   * Revokes the grant where the Data Custodian offers revocation (RFC 7009); store-backed
   * sessions mark the stored grant `needs_consent`. The session is unusable afterwards.
   * @throws {EciConfigError} without a `revocationEndpoint`; {@link EciHttpError} when refused.
   */
  revoke(): Promise<void> {
    return this.#tokens.revoke()
  }
}

/** What `openSession` takes from its consumer. @internal */
export interface OpenSessionParts {
  o: ResolvedGreenButtonOptions
  tokens: TokenEndpoint
  check(grant: unknown): GreenButtonGrant
  revoke(grant: GreenButtonGrant): Promise<void>
}

/** `gb.openSession`: the stored grant, refreshed through the store as `EciConsumer.openSession` does. @internal */
export async function openGreenButtonSession(
  key: string,
  options: { store: GrantStore; lockTtlMs?: number | undefined; lockWaitMs?: number | undefined },
  parts: OpenSessionParts,
): Promise<GreenButtonSession> {
  const { o, tokens } = parts
  if (typeof key !== 'string' || key.length === 0) throw badOption('`key` must be a non-empty string')
  const store = options?.store
  const lockTtlMs = resolveLockTtl(options?.lockTtlMs, Math.ceil(o.timeout / 1000) * 1000)
  const lockWaitMs = resolveTimeout(options?.lockWaitMs, 'lockWaitMs', 10_000)
  if (!store || typeof store.get !== 'function') throw badOption('`store` must be a GrantStore')
  const stored = usable(await store.get(key))
  const grant = parts.check(stored.grant)
  const refresh = (from: GreenButtonGrant, mayResend: () => Promise<boolean>) => tokens.refresh(from, mayResend)
  const shared = {
    store,
    key,
    refresh: refresh as never,
    refreshReuseWindow: o.refreshReuseWindow,
    lockTtlMs,
    lockWaitMs,
  }
  const backend = storeBackend(shared, o.telemetry, (from) => parts.revoke(from as GreenButtonGrant))
  const session = new GreenButtonSession(grant, o, backend)
  return withStoreConsent(session, store, key)
}

/** A store-backed session whose authorization turns out revoked marks the stored grant. */
function withStoreConsent(session: GreenButtonSession, store: GrantStore, key: string): GreenButtonSession {
  const read = session.authorization.bind(session)
  session.authorization = async (options) => {
    try {
      return await read(options)
    } catch (error) {
      if (error instanceof EciConsentError) {
        await store.markNeedsConsent(key, error.code).catch(() => {})
      }
      throw error
    }
  }
  return session
}
