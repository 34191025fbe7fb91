/**
 * What the mock Data Custodian remembers: registered clients, authorization codes, tokens (with
 * refresh rotation and a reuse window), subscriptions and their authorizations, pending faults.
 * Tokens are random and opaque; nothing here ever lands in the call log.
 * @module
 */

import * as base64url from 'jose/base64url'
import { EciConfigError, ErrorCode } from '../../errors.js'
import { sha256 } from '../dpop.js'
import type {
  MockGreenButtonClient,
  MockGreenButtonEndpoint,
  MockGreenButtonFault,
  MockGreenButtonOptions,
} from './custodian-types.js'
import { MockSubscription } from './subscription.js'

/** The default Function Block scope: monthly bills with hourly intervals, 13 months of history. */
export const DEFAULT_SCOPE = 'FB=1_3_4_5_13_14_39;IntervalDuration=3600;BlockDuration=monthly;HistoryLength=13'

const random = () => base64url.encode(crypto.getRandomValues(new Uint8Array(24)))

interface Code {
  clientId: string
  redirectUri: string
  scope: string
  challenge: string | undefined
  expiresAt: number
}

/** One customer's authorization of one Third Party. */
export interface MockAuthorization {
  id: string
  clientId: string
  scope: string
  subscription: MockSubscription
  revoked: boolean
  /** Revoked, but its tokens still work (the `Authorization` resource says status 0). */
  reportedRevoked: boolean
  accessTokens: Map<string, number>
  refreshToken: string
  /** The previous refresh token and until when it still works (reuse window). */
  previousRefresh: { token: string; until: number } | undefined
}

const FAULT_ENDPOINTS: readonly MockGreenButtonEndpoint[] = [
  'scope-selection',
  'authorize',
  'token',
  'revocation',
  'subscription',
  'usage-point',
  'authorization',
  'application-information',
  'notification',
]

/** The mock's state. */
export class CustodianState {
  readonly base: string
  readonly resourceBase: string
  readonly clients: Map<string, MockGreenButtonClient>
  readonly scopes: string[]
  readonly authorizations = new Map<string, MockAuthorization>()
  /** Client-credentials tokens (ApplicationInformation, bulk). */
  readonly clientTokens = new Map<string, { clientId: string; expiresAt: number }>()
  readonly #codes = new Map<string, Code>()
  readonly #faults: { spec: MockGreenButtonFault; left: number }[] = []
  readonly #o: MockGreenButtonOptions
  readonly lifetime: number
  readonly reuseWindow: number

  constructor(o: MockGreenButtonOptions) {
    if (!o || !Array.isArray(o.clients)) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'createGreenButtonProvider needs { clients }')
    }
    this.#o = o
    this.base = new URL(o.baseUrl ?? 'https://greenbutton.example').origin
    this.resourceBase = `${this.base}/DataCustodian/espi/1_1/resource`
    this.clients = new Map(o.clients.map((c) => [c.clientId, c]))
    this.scopes = o.scopes ?? [DEFAULT_SCOPE]
    this.lifetime = o.accessTokenLifetime ?? 3600
    this.reuseWindow = o.refreshReuseWindow ?? 0
  }

  get consent(): 'approve' | 'deny' {
    return this.#o.consent ?? 'approve'
  }

  get notifyFetch(): typeof fetch {
    return this.#o.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  /** Authenticates `Authorization: Basic` (RFC 6749 §2.3.1: each part form-urlencoded). */
  authenticate(header: string | null): MockGreenButtonClient | undefined {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '')
    if (!m) return undefined
    let decoded: string
    try {
      decoded = atob(m[1] as string)
    } catch {
      return undefined
    }
    const colon = decoded.indexOf(':')
    if (colon < 0) return undefined
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))
    try {
      const client = this.clients.get(formDecode(decoded.slice(0, colon)))
      return client && client.clientSecret === formDecode(decoded.slice(colon + 1)) ? client : undefined
    } catch {
      return undefined
    }
  }

  newCode(code: Omit<Code, 'expiresAt'>): string {
    const value = random()
    this.#codes.set(value, { ...code, expiresAt: Date.now() / 1000 + 60 })
    return value
  }

  /** Redeems a code once; `undefined` for an unknown, spent, expired or mismatched one. */
  async redeem(value: string, clientId: string, redirectUri: string, verifier: string | null) {
    const code = this.#codes.get(value)
    this.#codes.delete(value)
    if (!code || code.clientId !== clientId || code.redirectUri !== redirectUri) return undefined
    if (code.expiresAt < Date.now() / 1000) return undefined
    if (code.challenge !== undefined && (!verifier || (await sha256(verifier)) !== code.challenge)) {
      return undefined
    }
    return code
  }

  /** A new subscription and its authorization for a consent. */
  authorize(clientId: string, scope: string): MockAuthorization {
    const id = String(this.authorizations.size + 1)
    const months = this.#o.feed?.months ?? 13
    const feed = { ...this.#o.feed, months, seed: `${this.#o.feed?.seed ?? 1}:${id}` }
    const subscription = new MockSubscription(id, feed, this.#o.publishedMonths ?? months - 1)
    const authorization: MockAuthorization = {
      id,
      clientId,
      scope,
      subscription,
      revoked: false,
      reportedRevoked: false,
      accessTokens: new Map(),
      refreshToken: random(),
      previousRefresh: undefined,
    }
    this.authorizations.set(id, authorization)
    return authorization
  }

  /** A fresh access token for `authorization`. */
  issueAccessToken(authorization: MockAuthorization): string {
    const token = random()
    authorization.accessTokens.set(token, Date.now() / 1000 + this.lifetime)
    return token
  }

  /** The authorization a live access token belongs to. */
  byAccessToken(token: string): MockAuthorization | undefined {
    for (const a of this.authorizations.values()) {
      const expiresAt = a.accessTokens.get(token)
      if (expiresAt !== undefined) return !a.revoked && expiresAt > Date.now() / 1000 ? a : undefined
    }
    return undefined
  }

  /** Rotates the refresh token; `undefined` for one that is not (or no longer) valid. */
  rotate(token: string, clientId: string): MockAuthorization | undefined {
    const now = Date.now() / 1000
    for (const a of this.authorizations.values()) {
      if (a.revoked || a.clientId !== clientId) continue
      const current = a.refreshToken === token
      const reused = a.previousRefresh?.token === token && a.previousRefresh.until > now
      if (!current && !reused) continue
      if (current) {
        a.previousRefresh = this.reuseWindow > 0 ? { token, until: now + this.reuseWindow } : undefined
        a.refreshToken = random()
      }
      return a
    }
    return undefined
  }

  /** Revokes by either token (RFC 7009); unknown tokens are fine. */
  revokeToken(token: string, clientId: string): void {
    for (const a of this.authorizations.values()) {
      if (a.clientId !== clientId) continue
      if (a.refreshToken === token) a.revoked = true
      a.accessTokens.delete(token)
    }
  }

  addFault(spec: MockGreenButtonFault): void {
    if (!spec || !FAULT_ENDPOINTS.includes(spec.endpoint)) {
      throw new EciConfigError(
        ErrorCode.INVALID_OPTION,
        `fault(): \`endpoint\` must be one of ${FAULT_ENDPOINTS.join(', ')}`,
      )
    }
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1) {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, 'fault(): `times` must be a positive integer')
    }
    this.#faults.push({ spec: { ...spec }, left: times })
  }

  takeFault(endpoint: MockGreenButtonEndpoint): MockGreenButtonFault | undefined {
    const index = this.#faults.findIndex((f) => f.spec.endpoint === endpoint)
    if (index < 0) return undefined
    const entry = this.#faults[index] as { spec: MockGreenButtonFault; left: number }
    if (--entry.left === 0) this.#faults.splice(index, 1)
    return entry.spec
  }

  clearFaults(): void {
    this.#faults.length = 0
  }
}
