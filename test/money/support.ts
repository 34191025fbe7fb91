/** Fixture data through the mock entry's public API (`createMockProvider(...).fixtures`). */
import type { InvoiceDetail } from '../../src/index.js'
import {
  createMockProvider,
  type MockAccount,
  type MockFixtures,
  type MockProviderOptions,
} from '../../src/mock/index.js'

/** The mock provider's fixtures for these options (no client registered: nothing is served). */
export function fixtures(options: Partial<MockProviderOptions> = {}): MockFixtures {
  return createMockProvider({ issuer: 'https://auth.utility.example', clients: [], ...options }).fixtures
}

/** An account's invoice details in the order its Basic lists them (what `session.invoices()` yields). */
export function history(account: MockAccount): InvoiceDetail[] {
  return account.basic.system_invoice_ids.map(
    (id) => account.invoices.find((i) => i.system_invoice_id === id) as InvoiceDetail,
  )
}
