/**
 * The store tests run the shipped GrantStore conformance suite (`ecis-consumer/testing`,
 * src/testing/): memory.test.ts, postgres.node.test.ts and redis.node.test.ts against their
 * store, the last two on real servers the test starts. Helpers for the store-specific tests too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EciError } from '../../src/index.js'
import { type GrantStoreUnderTest, grantStoreConformance } from '../../src/testing/index.js'

export { grantNumber, newKey, sleep } from '../../src/testing/cases.js'

export type StoreUnderTest = GrantStoreUnderTest & { close(): Promise<void> }

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<EciError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`)
  expect(outcome.error).toBeInstanceOf(EciError)
  return outcome.error as EciError
}

/** What a store under test offers beyond the GrantStore calls (decides which cases run). */
export interface StoreFeatures {
  restart?: boolean
  corrupt?: boolean
  unreachable?: boolean
}

export function describeGrantStore(
  name: string,
  setup: () => Promise<StoreUnderTest>,
  features: StoreFeatures = {},
): void {
  grantStoreConformance(setup, {
    describe,
    it,
    expect,
    beforeAll,
    afterAll,
    name: `GrantStore conformance: ${name}`,
    features,
  })
}
