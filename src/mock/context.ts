/**
 * Resolved options and shared services every endpoint handler receives.
 * @module
 */
import type { CryptoKey, JWK, JWTVerifyGetKey } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { createLocalJWKSet } from 'jose/jwks/local'
import { createRemoteJWKSet, customFetch } from 'jose/jwks/remote'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConfigError, ErrorCode } from '../errors.js'
import { type MockDefect, resolveDefects } from './defects.js'
import { createFixtures } from './fixtures.js'
import { type MockRateLimit, rateLimitProblem, SlidingWindow } from './rate-limit.js'
import { ProviderState, randomToken } from './state.js'
import type { MockClient, MockConsentPolicy, MockFault, MockFixtures, MockProviderOptions } from './types.js'
import type { MockDialect } from './wire.js'

/** JWS algorithms accepted for client assertions and request JWTs. */
export const SIGNING_ALGS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']
/** Said when no registered key matches a JWT's kid: the rule for keys registered without one. */
export const KID_HINT = ' (a key registered without kid is known by its RFC 7638 thumbprint)'
/** JWS algorithms accepted for DPoP proofs. */
export const DPOP_ALGS = ['ES256', 'EdDSA']
/** Default seconds of clock skew tolerated when checking JWT `iat`/`exp` (protocol §9: ±60 s). */
export const DEFAULT_CLOCK_TOLERANCE = 60
/** The most clock skew a conformant provider may tolerate (protocol §5.4 step 6). */
export const MAX_CLOCK_TOLERANCE = 60
/** What token responses carry the granted accounts in. */
export type TokenResponseShape = 'rar' | 'simple' | 'both'

/** A registered client, ready for verification. */
export interface ResolvedClient {
  clientId: string
  redirectUris: readonly string[]
  authMethod: 'private_key_jwt' | 'none'
  /** Key lookup over the client's JWKS (by `kid`); `undefined` when it registered none. */
  keys: JWTVerifyGetKey | undefined
  /** The client's ECI rate limit, when it has one. */
  rateLimit: SlidingWindow | undefined
  /** The client's `rateLimit` option, for the answers' header fields. */
  rateLimitSpec: MockRateLimit | undefined
}

/** What an endpoint handler tells the call log, and the fault it runs under. */
export interface CallNote {
  /** When the request reached the handler, epoch ms (the call log's `at`). */
  at: number
  client?: string | undefined
  claims?: Record<string, unknown> | undefined
  fault?: MockFault | undefined
  /** Header fields the answer carries whatever it is (the client's rate-limit state). */
  headers?: Record<string, string> | undefined
}

function bad(message: string): EciConfigError {
  return new EciConfigError(ErrorCode.INVALID_OPTION, `createMockProvider: ${message}`)
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') throw bad(`\`${name}\` must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad(`\`${name}\` must be an absolute URL`)
  }
  if (url.search || url.hash) throw bad(`\`${name}\` must not have a query or fragment`)
  return value.replace(/\/+$/, '')
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw bad(`\`${name}\` must be a positive number`)
  return value
}

/** `latency` as `[minMs, maxMs]`. */
function resolveLatency(latency: MockProviderOptions['latency']): readonly [number, number] {
  const ms = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 60_000
  if (latency === undefined) return [0, 0]
  if (ms(latency)) return [latency as number, latency as number]
  const range = latency as { minMs?: unknown; maxMs?: unknown }
  if (
    range &&
    typeof range === 'object' &&
    ms(range.minMs) &&
    ms(range.maxMs) &&
    (range.minMs as number) <= (range.maxMs as number)
  ) {
    return [range.minMs as number, range.maxMs as number]
  }
  throw bad('`latency` must be 0 to 60000 ms, or { minMs, maxMs } with minMs ≤ maxMs')
}

/**
 * The key lookup over a client's JWKS. A key registered without `kid` is known by its RFC 7638
 * thumbprint, the `kid` the SDK signs with when its key has none (and `ecis mock --jwks` fills
 * in). The thumbprints are computed at the first lookup: `createMockProvider` stays synchronous.
 */
function clientKeySet(keys: JWK[]): JWTVerifyGetKey {
  let set: Promise<JWTVerifyGetKey> | undefined
  const withKid = (key: JWK) =>
    key.kid !== undefined
      ? key
      : calculateJwkThumbprint(key).then(
          (kid) => ({ ...key, kid }),
          () => key,
        )
  return async (header, token) => {
    set ??= Promise.all(keys.map(withKid)).then((all) => createLocalJWKSet({ keys: all }))
    return (await set)(header, token)
  }
}

/** Validates the registered clients and prepares their key lookups. */
function resolveClients(list: MockClient[], fetchImpl: typeof fetch): ReadonlyMap<string, ResolvedClient> {
  if (!Array.isArray(list)) throw bad('`clients` must be an array')
  const clients = new Map<string, ResolvedClient>()
  for (const c of list) {
    if (!c || typeof c.clientId !== 'string' || !c.clientId) throw bad('every client needs a `clientId`')
    if (clients.has(c.clientId)) throw bad(`client "${c.clientId}" is registered twice`)
    if (!Array.isArray(c.redirectUris) || c.redirectUris.some((u) => typeof u !== 'string')) {
      throw bad(`client "${c.clientId}": \`redirectUris\` must be an array of URLs`)
    }
    const authMethod = c.authMethod ?? 'private_key_jwt'
    if (authMethod !== 'private_key_jwt' && authMethod !== 'none') {
      throw bad(`client "${c.clientId}": \`authMethod\` must be 'private_key_jwt' or 'none'`)
    }
    if (c.jwks !== undefined && (!c.jwks || !Array.isArray(c.jwks.keys))) {
      throw bad(`client "${c.clientId}": \`jwks\` must be { keys: JWK[] }`)
    }
    if (c.jwks?.keys.some((k) => k && typeof k === 'object' && 'd' in k)) {
      throw bad(`client "${c.clientId}": \`jwks\` must hold public keys only`)
    }
    if (c.jwksUri !== undefined && (typeof c.jwksUri !== 'string' || !URL.canParse(c.jwksUri) || c.jwks)) {
      throw bad(`client "${c.clientId}": \`jwksUri\` must be a URL, and not given with \`jwks\``)
    }
    if (authMethod === 'private_key_jwt' && !c.jwks && !c.jwksUri) {
      throw bad(`client "${c.clientId}": private_key_jwt needs \`jwks\` or \`jwksUri\``)
    }
    const limitProblem = rateLimitProblem(c.rateLimit)
    if (limitProblem) throw bad(`client "${c.clientId}": ${limitProblem}`)
    clients.set(c.clientId, {
      clientId: c.clientId,
      redirectUris: [...c.redirectUris],
      authMethod,
      keys: c.jwksUri
        ? // As providers do: cached, and fetched again when a JWT names a kid it does not hold.
          createRemoteJWKSet(new URL(c.jwksUri), { cooldownDuration: 0, [customFetch]: fetchImpl })
        : c.jwks
          ? clientKeySet(c.jwks.keys)
          : undefined,
      rateLimit: c.rateLimit ? new SlidingWindow(c.rateLimit) : undefined,
      rateLimitSpec: c.rateLimit ? { ...c.rateLimit } : undefined,
    })
  }
  return clients
}

/** Checks that a consent policy is known and names existing owners and accounts. */
function checkConsentPolicy(consent: MockConsentPolicy, fixtures: MockFixtures): void {
  if (typeof consent === 'string') {
    if (!['auto', 'deny', 'interactive'].includes(consent)) throw bad('unknown `consent` policy')
  } else if (typeof consent === 'object' && consent !== null) {
    const owner = consent.owner === undefined ? fixtures.owners[0] : fixtures.owner(consent.owner)
    if (!owner) throw bad('`consent.owner` is not one of the owners')
    for (const a of consent.accounts ?? []) {
      if (!owner.accounts.some((x) => x.systemAccountId === a))
        throw bad(`\`consent.accounts\`: "${a}" is not the owner's`)
    }
  } else if (typeof consent !== 'function') {
    throw bad('unknown `consent` policy')
  }
}

/** The provider's shared services. */
export class MockContext {
  readonly issuer: string
  readonly resource: string
  readonly clients: ReadonlyMap<string, ResolvedClient>
  readonly consent: MockConsentPolicy
  readonly dialect: MockDialect
  readonly requirePar: boolean
  readonly dpopNonce: boolean
  readonly requireDpop: boolean
  readonly accessTokenTtl: number
  readonly refreshTokenTtl: number
  readonly refreshReuseWindow: number
  readonly codeTtl: number
  /** Seconds of clock skew tolerated on JWT `iat`/`exp` (client assertions, request JWTs). */
  readonly clockTolerance: number
  /** `rar`: `authorization_details` only; `simple`: top-level `system_account_ids` only (no RAR support); `both`. */
  readonly tokenResponse: TokenResponseShape
  /** Latency of every ECI response, ms: `[min, max]` (equal for a fixed delay). */
  readonly eciLatency: readonly [number, number]
  readonly fixtures: MockFixtures
  /** The deliberate defects switched on (none for a conformant provider). */
  readonly defects: ReadonlySet<MockDefect>
  readonly state = new ProviderState()
  readonly endpoints: {
    authorize: string
    token: string
    par: string
    revocation: string
    jwks: string
  }
  clockOffset = 0
  #nonces: string[] = []
  #providerKey: Promise<{ privateKey: CryptoKey; publicJwk: JWK }> | undefined

  constructor(options: MockProviderOptions) {
    if (!options || typeof options !== 'object') throw bad('options are required')
    this.issuer = checkUrl('issuer', options.issuer)
    this.resource = options.resource === undefined ? `${this.issuer}/eci/v1` : checkUrl('resource', options.resource)
    this.endpoints = {
      authorize: `${this.issuer}/authorize`,
      token: `${this.issuer}/token`,
      par: `${this.issuer}/par`,
      revocation: `${this.issuer}/revoke`,
      jwks: `${this.issuer}/jwks`,
    }
    this.clients = resolveClients(options.clients, options.fetch ?? ((input, init) => globalThis.fetch(input, init)))
    this.dialect = options.dialect ?? 'seed'
    if (!['seed', 'canonical', 'deviant'].includes(this.dialect))
      throw bad("`dialect` must be 'seed', 'canonical' or 'deviant'")
    this.requirePar = options.requirePushedAuthorizationRequests === true
    this.dpopNonce = options.dpopNonce === true
    this.requireDpop = options.requireDpop === true
    this.accessTokenTtl = positive('accessTokenTtl', options.accessTokenTtl, 3600)
    this.refreshTokenTtl = positive('refreshTokenTtl', options.refreshTokenTtl, 30 * 24 * 3600)
    this.refreshReuseWindow =
      options.refreshReuseWindow === 0 ? 0 : positive('refreshReuseWindow', options.refreshReuseWindow, 0)
    this.codeTtl = positive('codeTtl', options.codeTtl, 60)
    const tolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE
    if (
      typeof tolerance !== 'number' ||
      !Number.isFinite(tolerance) ||
      tolerance < 0 ||
      tolerance > MAX_CLOCK_TOLERANCE
    ) {
      throw bad(`\`clockTolerance\` must be a number of seconds from 0 to ${MAX_CLOCK_TOLERANCE}`)
    }
    this.clockTolerance = tolerance
    this.tokenResponse = options.tokenResponse ?? 'both'
    if (!['rar', 'simple', 'both'].includes(this.tokenResponse)) {
      throw bad("`tokenResponse` must be 'rar', 'simple' or 'both'")
    }
    this.eciLatency = resolveLatency(options.latency)
    this.defects = resolveDefects(options.defects)
    try {
      this.fixtures = createFixtures(options)
    } catch (error) {
      throw bad((error as Error).message)
    }
    this.consent = options.consent ?? 'auto'
    checkConsentPolicy(this.consent, this.fixtures)
  }

  /** True when the provider supports RFC 9396 `authorization_details` of type `eci`. */
  get supportsRar(): boolean {
    return this.tokenResponse !== 'simple'
  }

  /** The provider's time, epoch seconds. */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.clockOffset
  }

  /** The provider's time as a Date (for jose and the `Date` header). */
  date(): Date {
    return new Date(Date.now() + this.clockOffset * 1000)
  }

  /** The DPoP nonce the provider currently hands out (made on first use). */
  currentNonce(): string {
    if (this.#nonces.length === 0) this.#nonces.push(randomToken(16))
    return this.#nonces[this.#nonces.length - 1]!
  }

  /** True when `nonce` is the current or the previous nonce. */
  acceptsNonce(nonce: unknown): boolean {
    return typeof nonce === 'string' && this.#nonces.includes(nonce)
  }

  /** Issues a new nonce; the previous one stays valid once more. */
  rotateNonce(): string {
    this.#nonces = [this.currentNonce(), randomToken(16)]
    return this.currentNonce()
  }

  /** The provider's own signing key (ES256), made on first use. */
  providerKey(): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
    this.#providerKey ??= (async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
      const publicJwk = await exportJWK(publicKey)
      publicJwk.kid = await calculateJwkThumbprint(publicJwk)
      publicJwk.alg = 'ES256'
      publicJwk.use = 'sig'
      return { privateKey, publicJwk }
    })()
    return this.#providerKey
  }
}
