/**
 * `ecis-consumer/mock`: a conformant mock ECI Provider as MSW handlers, for tests in Node
 * (`setupServer`) and browsers (`setupWorker`). Imports only `msw` core, jose and zod-free code.
 * @module
 */

export { MOCK_DEFECTS } from './defects.js'
export type { GeneratedLine } from './green-button/bill-lines.js'
export { createGreenButtonProvider } from './green-button/custodian.js'
export type {
  MockGreenButtonCall,
  MockGreenButtonClient,
  MockGreenButtonEndpoint,
  MockGreenButtonFault,
  MockGreenButtonOptions,
  MockGreenButtonProvider,
} from './green-button/custodian-types.js'
export {
  type GeneratedEspiBill,
  type GeneratedEspiFeed,
  type GeneratedUsagePointSpec,
  type GenerateEspiFeedOptions,
  generateEspiFeed,
} from './green-button/generate.js'
export { createMockProvider } from './provider.js'
export type {
  MockAccount,
  MockAccountSpec,
  MockAccountType,
  MockBillError,
  MockBillErrorKind,
  MockBillErrorSpec,
  MockCall,
  MockClient,
  MockConsentDecision,
  MockConsentPolicy,
  MockConsentRequest,
  MockDefect,
  MockEndpoint,
  MockFault,
  MockFixtures,
  MockGrantInfo,
  MockInjectedBillError,
  MockNewInvoice,
  MockOwner,
  MockOwnerSpec,
  MockProvider,
  MockProviderOptions,
  MockRateLimit,
} from './types.js'
export type { MockDialect } from './wire.js'
