/**
 * `ecis-consumer/testing`: the GrantStore conformance suite for an app's own store, runnable
 * under vitest and jest. Web APIs only.
 * @module
 */
export {
  type ConformanceExpect,
  type ConformanceMatchers,
  type ConformanceRunner,
  type GrantStoreConformanceOptions,
  type GrantStoreUnderTest,
  grantNumber,
  grantStoreConformance,
  type StoreServer,
  type UnreachableStore,
} from './conformance.js'
