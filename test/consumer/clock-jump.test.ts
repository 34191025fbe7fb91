import { describe, expect, it } from 'vitest'
import { world } from '../support/consumer.js'

describe('a provider clock that jumps mid-session', () => {
  it('re-corrects the clock from the refusal Date header and re-signs once', async () => {
    const w = await world()
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    const session = w.consumer.session(grant)
    const account = grant.accounts[0]!
    await session.basic(account)
    w.mock.setClockOffset(-600) // the provider's clock moves ten minutes back: our iat is "in the future"
    w.mock.clearCalls()
    const basic = await session.basic(account)
    expect(basic.system_account_id).toBe(account)
    const eci = w.mock.calls.filter((c) => c.endpoint === 'eci')
    expect(eci.map((c) => c.status)).toEqual([400, 200])
  })
})
