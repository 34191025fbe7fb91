/**
 * `ecis-consumer/testing`: the GrantStore conformance suite for an app's own store, runnable
 * under vitest and jest. Web APIs only.
 * @module
 */
export { grantNumber } from './cases.js'
export { grantStoreConformance } from './conformance.js'
export type {
  ConformanceExpect,
  ConformanceMatchers,
  ConformanceRunner,
  GrantStoreConformanceOptions,
  GrantStoreUnderTest,
  StoreServer,
  UnreachableStore,
} from './types.js'
