/**
 * A session reads one customer's data with a stored Grant and keeps its tokens fresh: it
 * refreshes shortly before expiry and once on a 401 `invalid_token`, shares one refresh among
 * concurrent calls, and hands every rotated grant to `onGrant`.
 * @module
 */
import { EciConsentError, EciError, ErrorCode } from '../errors.js'
import type { CallOptions, EciClient, InvalidTokenHandler, InvalidTokenState } from '../request/client.js'
import { badOption } from '../resolve.js'
import type { Basic, Invoice, InvoiceDetail } from '../schemas/responses.js'
import type { Grant } from './grant.js'
import { checkInvoicesOptions, type InvoicesOptions, readInvoices } from './invoices.js'
import { UnsettledWriteError } from './store-writes.js'

/** Options of `consumer.session(grant, options)`. */
export interface SessionOptions {
  /**
   * Receives every new grant (after a refresh rotates tokens). Persist it: the old refresh
   * token stops working. Awaited before the call that caused the refresh continues.
   */
  onGrant?: (grant: Grant) => void | Promise<void>
}

/** What the session needs from the consumer: token operations and a data client factory. @internal */
export interface SessionBackend {
  refresh(grant: Grant): Promise<Grant>
  revoke(grant: Grant): Promise<void>
  client(accessToken: () => Promise<string>, onInvalidToken: InvalidTokenHandler): EciClient
  now(): number
  /**
   * `true` for sessions opened with `openSession`: `refresh` saves what it returns in the grant
   * store itself (and `onGrant` is not used).
   */
  savesGrants?: boolean | undefined
}

/** Seconds before expiry at which a token is refreshed: min(30 s, 10 % of its lifetime). */
export function refreshMargin(grant: Grant): number {
  const lifetime = grant.issuedAt !== undefined ? grant.expiresAt - grant.issuedAt : undefined
  return lifetime !== undefined && lifetime > 0 ? Math.min(30, lifetime * 0.1) : 30
}

/** Reads Basic, Invoice and InvoiceDetail for the accounts of one grant. */
export class EciSession {
  #grant: Grant
  #refreshing: Promise<Grant> | undefined
  #dead: EciError | undefined
  /** A rotated grant `onGrant` failed to take; offered again before the next call. */
  #unsaved: Grant | undefined
  /** A grant-store write a refresh could not settle (the store did not answer); settled before the next call. */
  #unsettled: (() => Promise<Grant | undefined>) | undefined
  #settling: Promise<void> | undefined
  readonly #backend: SessionBackend
  readonly #onGrant: SessionOptions['onGrant']
  readonly #client: EciClient

  /** @internal Use `consumer.session(grant)`. */
  constructor(grant: Grant, backend: SessionBackend, options: SessionOptions = {}) {
    this.#grant = grant
    this.#backend = backend
    this.#onGrant = options.onGrant
    this.#client = backend.client(
      () => this.#accessToken(),
      (state) => this.#onInvalidToken(state),
    )
  }

  /** The current grant (it changes when tokens rotate). */
  get grant(): Grant {
    return this.#grant
  }

  /** The granted `system_account_id`s. */
  get accounts(): string[] {
    return [...this.#grant.accounts]
  }

  /**
   * ECI Basic request: the account's basics and its date-ordered `system_invoice_ids`.
   * @throws {EciConsentError} when the customer must consent again; {@link EciHttpError},
   *   {@link EciValidationError}, {@link EciNetworkError} as `createEciClient` documents.
   */
  basic(systemAccountId: string, options?: CallOptions): Promise<Basic> {
    return this.#client.basic(systemAccountId, options)
  }

  /** ECI Invoice request. @throws {EciError} as {@link EciSession.basic} */
  invoice(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<Invoice> {
    return this.#client.invoice(systemAccountId, systemInvoiceId, options)
  }

  /** ECI Invoice Detail request (the invoice with its line items). @throws {EciError} as {@link EciSession.basic} */
  invoiceDetail(systemAccountId: string, systemInvoiceId: string, options?: CallOptions): Promise<InvoiceDetail> {
    return this.#client.invoiceDetail(systemAccountId, systemInvoiceId, options)
  }

  /**
   * The account's invoice history in the provider's order (`system_invoice_ids` of Basic, oldest
   * first), with at most `concurrency` requests in flight. Breaking out of the loop stops further
   * requests. Incremental: `after` fetches only what follows the last invoice you stored, `skip`
   * leaves out ids you hold, and `since` finds its cut by binary search (about log2(n) + 1 Invoice
   * requests) instead of fetching everything.
   * @example
   * ```ts
   * for await (const invoice of session.invoices('0018-102', { detail: true, after: await db.get('0018-102') })) {
   *   await db.upsert(invoice)
   * }
   * ```
   * @throws {EciConfigError} for bad options; otherwise as {@link EciSession.basic}.
   */
  invoices(systemAccountId: string, options?: InvoicesOptions<false>): AsyncGenerator<Invoice>
  invoices(systemAccountId: string, options: InvoicesOptions<true>): AsyncGenerator<InvoiceDetail>
  invoices(systemAccountId: string, options?: InvoicesOptions): AsyncGenerator<Invoice | InvoiceDetail>
  async *invoices(systemAccountId: string, options: InvoicesOptions = {}): AsyncGenerator<Invoice | InvoiceDetail> {
    checkInvoicesOptions(options)
    const { signal } = options
    if (options.basic !== undefined && options.basic?.system_account_id !== systemAccountId) {
      throw badOption('`basic` must be the Basic of the same account')
    }
    const basic = options.basic ?? (await this.basic(systemAccountId, { signal }))
    yield* readInvoices(basic, options, {
      invoice: (id, s) => this.invoice(systemAccountId, id, { signal: s }),
      invoiceDetail: (id, s) => this.invoiceDetail(systemAccountId, id, { signal: s }),
    })
  }

  /**
   * Revokes the grant at the provider (RFC 7009): the refresh token (which ends the whole grant)
   * and the access token where the provider can revoke it. The session is unusable afterwards.
   * @throws {EciConfigError} without a revocation endpoint; {@link EciHttpError} when refused.
   */
  async revoke(): Promise<void> {
    await this.#backend.revoke(this.#grant)
    this.#dead = new EciConsentError(ErrorCode.GRANT_REVOKED, 'This grant was revoked; the customer must consent again')
  }

  async #accessToken(): Promise<string> {
    if (this.#dead) throw this.#dead
    if (this.#unsaved) await this.#save(this.#unsaved)
    if (this.#unsettled) await this.#settle(this.#unsettled)
    const g = this.#grant
    if (this.#backend.now() < g.expiresAt - refreshMargin(g)) return g.accessToken
    return (await this.#refresh(g)).accessToken
  }

  async #onInvalidToken({ accessToken: refused }: InvalidTokenState): Promise<string | undefined> {
    if (this.#dead) throw this.#dead
    // Another call may already have replaced the refused token.
    if (this.#grant.accessToken !== refused) return this.#grant.accessToken
    if (!this.#grant.refreshToken) {
      this.#dead = new EciConsentError(
        ErrorCode.INVALID_GRANT,
        'The provider refused the access token and the grant has no refresh token: the customer must consent again',
      )
      throw this.#dead
    }
    return (await this.#refresh(this.#grant)).accessToken
  }

  /**
   * Hands a rotated grant to `onGrant`. When that fails the grant stays pending and is offered
   * again before the next call: the old refresh token no longer works, so losing it would lose
   * the customer's consent.
   */
  async #save(grant: Grant): Promise<void> {
    try {
      await this.#onGrant?.(grant)
    } catch (cause) {
      if (cause instanceof EciError) throw cause
      throw new EciError(
        ErrorCode.INTERNAL,
        'onGrant failed to save the rotated grant; it is offered again before the next call (session.grant holds it)',
        { cause },
      )
    }
    if (this.#unsaved === grant) this.#unsaved = undefined
  }

  /**
   * Finishes a store write left by a refresh (single flight): the rotated grant is saved by
   * compare-and-set after reading — never written over a newer one — or a mark of a refresh that
   * was never sent is removed. Until it is settled no call uses a token.
   */
  #settle(unsettled: () => Promise<Grant | undefined>): Promise<void> {
    this.#settling ??= (async () => {
      try {
        const grant = await unsettled()
        if (grant) this.#grant = grant
        if (this.#unsettled === unsettled) this.#unsettled = undefined
      } catch (error) {
        if (error instanceof EciConsentError) this.#dead = error
        throw error
      } finally {
        this.#settling = undefined
      }
    })()
    return this.#settling
  }

  /** Single flight: every caller during a refresh awaits the same token request. */
  #refresh(from: Grant): Promise<Grant> {
    if (this.#grant !== from) return Promise.resolve(this.#grant)
    this.#refreshing ??= (async () => {
      try {
        if (!from.refreshToken) {
          throw new EciConsentError(
            ErrorCode.INVALID_GRANT,
            'The access token expired and the grant has no refresh token: the customer must consent again',
          )
        }
        const next = await this.#backend.refresh(from)
        this.#grant = next
        // A store-backed refresh saved it already; onGrant receives it here.
        if (!this.#backend.savesGrants) {
          this.#unsaved = next
          await this.#save(next)
        }
        return next
      } catch (error) {
        if (error instanceof EciConsentError) this.#dead = error
        // The store did not answer: settle the write (by reading, then compare-and-set) before the next call.
        if (error instanceof UnsettledWriteError) this.#unsettled = error.settle
        throw error
      } finally {
        this.#refreshing = undefined
      }
    })()
    return this.#refreshing
  }
}
