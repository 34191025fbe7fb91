/**
 * The real SDK against the mock's three token response shapes (protocol §4.2): a RAR-only
 * provider, a simple provider without RFC 9396, and the default that sends both.
 */
import { describe, expect, it } from 'vitest'
import { createMockProvider } from '../../src/mock/index.js'
import { ISSUER, world } from '../support/consumer.js'

const ALL = ['basic', 'invoice', 'invoice_detail'] as const

describe.each(['both', 'rar', 'simple'] as const)("the SDK against tokenResponse '%s'", (tokenResponse) => {
  it('consents, refreshes and reads every granted account', async () => {
    const { consumer, authorize, mock } = await world({ tokenResponse })
    const { url, transaction } = await consumer.beginConsent({ scopes: [...ALL] })
    const grant = await consumer.completeConsent(await authorize(url), transaction)
    const owner = mock.fixtures.owners[0]!
    expect([...grant.accounts].sort()).toEqual(owner.accounts.map((a) => a.systemAccountId).sort())
    const session = consumer.session(grant)
    mock.expireAccessTokens() // the next call refreshes: the refresh response has the same shape
    for (const account of session.accounts) expect(await session.basic(account)).toEqual(mock.fixtures.basic(account))
    expect(mock.calls.filter((c) => c.endpoint === 'token').map((c) => c.status)).toEqual([200, 200])
  })

  it('asks for one named account and is granted that account', async () => {
    const probe = createMockProvider({ issuer: ISSUER, clients: [] })
    const owner = probe.fixtures.owners.find((o) => o.accounts.length > 1) ?? probe.fixtures.owners[0]!
    const wanted = owner.accounts[0]!.systemAccountId
    // A simple provider ignores authorization_details: the customer picks the account instead.
    const { consumer, authorize } = await world({
      tokenResponse,
      consent: { owner: owner.ownerId, accounts: [wanted] },
    })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'], accounts: [wanted] })
    const grant = await consumer.completeConsent(await authorize(url), transaction)
    expect(grant.accounts).toEqual([wanted])
  })
})
