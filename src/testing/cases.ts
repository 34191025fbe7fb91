/**
 * What the suite's case groups share: fresh keys, numbered grants, and the context each group
 * receives.
 * @internal
 * @module
 */
import type { EciError } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import type { GrantStore } from '../grant/store.js'
import type { ConformanceExpect, ConformanceRunner, GrantStoreUnderTest } from './types.js'

export { sleep } from '../http/retry.js'

let counter = 0
/** A fresh key per case, so cases share one store without seeing each other. */
export const newKey = (): string => `customer-${++counter}-${crypto.randomUUID()}`

/** A complete, valid grant numbered `n` (fresh random tokens each call). */
export function grantNumber(n: number, extra: Partial<Grant> = {}): Grant {
  return {
    issuer: 'https://auth.utility.example',
    clientId: 'acme-solar',
    resource: 'https://api.utility.example/eci/v1',
    accessToken: `access-${n}-${crypto.randomUUID()}`,
    tokenType: 'Bearer',
    expiresAt: 1_900_000_000 + n,
    issuedAt: 1_899_996_400 + n,
    refreshToken: `refresh-${n}-${crypto.randomUUID()}`,
    scopes: ['eci:basic', 'eci:invoice', 'eci:invoice_detail'],
    accounts: ['0018-102', 'Zähler-7 “Süd”'],
    ...extra,
  }
}

/** What each group of cases receives. @internal */
export interface CaseContext {
  readonly it: ConformanceRunner['it']
  readonly describe: ConformanceRunner['describe']
  readonly expect: ConformanceExpect
  /** The store under test (made on first use). */
  subject(): Promise<GrantStoreUnderTest>
  store(): Promise<GrantStore>
  /** The rejection of `promise`, checked to be an EciError (the case fails when it resolves). */
  rejection(promise: Promise<unknown>): Promise<EciError>
}
