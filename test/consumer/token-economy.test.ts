import { describe, expect, it } from 'vitest'
import type { Grant } from '../../src/index.js'
import { world } from '../support/consumer.js'

/** A consented world; `mock.calls` then holds exactly the consent's requests. */
async function consented() {
  const w = await world()
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  return { ...w, grant }
}

const count = (calls: { endpoint: string }[], endpoint: string) => calls.filter((c) => c.endpoint === endpoint).length

describe('token economy', () => {
  it('N calls on one grant make one token request: the code exchange', async () => {
    const { consumer, grant, mock } = await consented()
    expect(count(mock.calls, 'token')).toBe(1)
    const session = consumer.session(grant)
    const account = grant.accounts[0] as string
    const basic = await session.basic(account)
    const ids = basic.system_invoice_ids.slice(0, 12)
    for (const id of ids) await session.invoice(account, id)
    await Promise.all(ids.map((id) => session.invoiceDetail(account, id)))
    let synced = 0
    for await (const _ of session.invoices(account, { detail: true, concurrency: 8 })) synced++
    const eci = mock.calls.filter((c) => c.endpoint === 'eci')
    expect(eci).toHaveLength(1 + 2 * ids.length + 1 + synced)
    expect(eci.every((c) => c.status === 200)).toBe(true)
    // Every request JWT is new (a retry or a reuse would repeat a jti), and still one token request.
    expect(new Set(eci.map((c) => c.claims?.jti)).size).toBe(eci.length)
    expect(count(mock.calls, 'token')).toBe(1)
    expect(session.grant).toBe(grant)
  })

  it('100 concurrent calls on an expired grant make exactly one refresh', async () => {
    const { consumer, grant, mock } = await consented()
    mock.clearCalls()
    const saved: Grant[] = []
    const session = consumer.session({ ...grant, expiresAt: 1 }, { onGrant: (g) => void saved.push(g) })
    const account = grant.accounts[0] as string
    const results = await Promise.all(Array.from({ length: 100 }, () => session.basic(account)))
    expect(results.every((b) => b.system_account_id === account)).toBe(true)
    expect(count(mock.calls, 'token')).toBe(1)
    expect(saved).toHaveLength(1)
    expect(session.grant).toBe(saved[0])
    // The rotated token serves the next burst without another token request.
    await Promise.all(Array.from({ length: 100 }, () => session.basic(account)))
    expect(count(mock.calls, 'token')).toBe(1)
    expect(count(mock.calls, 'eci')).toBe(200)
  })

  it('100 concurrent calls refused with 401 invalid_token share one refresh and each retries once', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session(grant)
    const account = grant.accounts[0] as string
    mock.expireAccessTokens()
    mock.clearCalls()
    const results = await Promise.all(Array.from({ length: 100 }, () => session.basic(account)))
    expect(results).toHaveLength(100)
    expect(count(mock.calls, 'token')).toBe(1)
    const statuses = mock.calls.filter((c) => c.endpoint === 'eci').map((c) => c.status)
    const refused = statuses.filter((s) => s === 401).length
    expect(statuses.filter((s) => s === 200)).toHaveLength(100)
    // Each refused call was sent again once, after the one refresh: nothing else went out.
    expect(refused).toBeGreaterThan(0)
    expect(refused).toBeLessThanOrEqual(100)
    expect(statuses).toHaveLength(100 + refused)
  })
})
