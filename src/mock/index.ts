/**
 * `ecis-consumer/mock`: a conformant mock ECI Provider as MSW handlers, for tests in Node
 * (`setupServer`) and browsers (`setupWorker`). Imports only `msw` core, jose and zod-free code.
 * @module
 */
export type {
  MockAccount,
  MockAccountSpec,
  MockAccountType,
  MockFixtures,
  MockOwner,
  MockOwnerSpec,
} from './fixtures.js'
export { createMockProvider } from './provider.js'
export type {
  MockCall,
  MockClient,
  MockConsentDecision,
  MockConsentPolicy,
  MockConsentRequest,
  MockEndpoint,
  MockFault,
  MockGrantInfo,
  MockProvider,
  MockProviderOptions,
} from './types.js'
export type { MockDialect } from './wire.js'
