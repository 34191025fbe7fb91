/**
 * The types of the GrantStore conformance suite: what it takes (a runner, a store under test)
 * and what its case groups share.
 * @module
 */
import type { GrantStore } from '../grant/store.js'

/** The matchers the suite uses; vitest's and jest's `expect` both provide them. */
export interface ConformanceMatchers {
  /** `Object.is` equality. */
  toBe(expected: unknown): unknown
  /** Deep equality. */
  toEqual(expected: unknown): unknown
  /** An instance of the class. */
  toBeInstanceOf(expected: unknown): unknown
  /** `undefined`. */
  toBeUndefined(): unknown
  /** Not `undefined`. */
  toBeDefined(): unknown
  /** A `length` of `length`. */
  toHaveLength(length: number): unknown
  /** Holds `item` (`===`). */
  toContain(item: unknown): unknown
  /** Holds an item deeply equal to `item`. */
  toContainEqual(item: unknown): unknown
  /** `> n`. */
  toBeGreaterThan(n: number): unknown
  /** `>= n`. */
  toBeGreaterThanOrEqual(n: number): unknown
  /** The negated matchers. */
  readonly not: ConformanceMatchers
}

/** `expect` of vitest or jest. */
export type ConformanceExpect = (actual: unknown) => ConformanceMatchers

/** What the suite needs from a test runner: vitest's or jest's globals. */
export interface ConformanceRunner {
  /** Groups cases. */
  describe(name: string, body: () => void): void
  /** Registers one case (the suite passes a timeout to the slow ones). */
  it(name: string, body: () => Promise<void>, timeoutMs?: number): void
  expect: ConformanceExpect
  /** Makes the store once, before the cases. @default the store is made by the first case */
  beforeAll?: ((body: () => Promise<void>, timeoutMs?: number) => void) | undefined
  /** Closes the store after the cases (`close` of what `makeStore` returned). */
  afterAll?: ((body: () => Promise<void>) => void) | undefined
}

/** A store whose server does not answer, for `features.unreachable`. */
export interface UnreachableStore {
  /** The store, pointed where nothing listens. */
  store: GrantStore
  /** Frees what it holds (a client, a pool). */
  close(): Promise<void>
}

/** The server behind a store, for `features.restart`. */
export interface StoreServer {
  /** Kills the server as a crash would (no clean shutdown). */
  crash(): Promise<void>
  /** Starts it again on the same data. */
  start(): Promise<void>
}

/** A store with what the optional cases need. */
export interface GrantStoreUnderTest {
  store: GrantStore
  /** Called once after the cases (needs the runner's `afterAll`). */
  close?: (() => Promise<void>) | undefined
  /** Writes data under `key` that is not a stored grant, behind the store's back (`features.corrupt`). */
  corrupt?: ((key: string) => Promise<void>) | undefined
  /** The same kind of store where no server answers (`features.unreachable`). */
  unreachable?: (() => Promise<UnreachableStore>) | undefined
  /** Crash and restart of the server behind the store (`features.restart`). */
  server?: StoreServer | undefined
}

/** Options of {@link grantStoreConformance}: the runner's globals, and which optional cases run. */
export interface GrantStoreConformanceOptions extends ConformanceRunner {
  /** The suite's name. @default 'GrantStore conformance' */
  name?: string | undefined
  /** Optional cases, each needing a hook on what `makeStore` returns. @default none */
  features?: { corrupt?: boolean; unreachable?: boolean; restart?: boolean } | undefined
}
