import { describe, expect, it } from 'vitest'
import { EciConsentError, ErrorCode, type Grant } from '../../src/index.js'
import { API, world } from '../support/consumer.js'

async function consented(provider = {}, consumerOptions = {}) {
  const w = await world(provider, consumerOptions)
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  w.mock.clearCalls()
  return { ...w, grant }
}

const tokenCalls = (calls: { endpoint: string }[]) => calls.filter((c) => c.endpoint === 'token').length

describe('session tokens', () => {
  it('refreshes before expiry and hands the rotated grant to onGrant', async () => {
    const { consumer, grant, mock } = await consented()
    const saved: Grant[] = []
    const now = Math.floor(Date.now() / 1000)
    // An hour-long token with 5 s left: inside the min(30 s, 10 %) margin.
    const session = consumer.session(
      { ...grant, issuedAt: now - 3600, expiresAt: now + 5 },
      { onGrant: (g) => void saved.push(g) },
    )
    const account = session.accounts[0]
    await session.basic(account)
    expect(tokenCalls(mock.calls)).toBe(1)
    expect(saved).toHaveLength(1)
    expect(saved[0].refreshToken).not.toBe(grant.refreshToken)
    expect(saved[0].accessToken).not.toBe(grant.accessToken)
    expect(session.grant).toBe(saved[0])
  })

  it('makes exactly one token request for 100 concurrent calls on an expired grant', async () => {
    const { consumer, grant, mock } = await consented()
    let rotations = 0
    const session = consumer.session({ ...grant, expiresAt: 1 }, { onGrant: () => void rotations++ })
    const account = session.accounts[0]
    const results = await Promise.all(Array.from({ length: 100 }, () => session.basic(account)))
    expect(results).toHaveLength(100)
    expect(tokenCalls(mock.calls)).toBe(1)
    expect(rotations).toBe(1)
  })

  it('refreshes once on a 401 invalid_token and retries the call', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session(grant)
    mock.expireAccessTokens()
    const basic = await session.basic(session.accounts[0])
    expect(basic.system_account_id).toBe(session.accounts[0])
    expect(mock.calls.map((c) => `${c.endpoint}:${c.status}`)).toEqual(['eci:401', 'token:200', 'eci:200'])
  })

  it('turns a refused refresh into one clear EciConsentError, and later calls fail the same way without requests', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session({ ...grant, expiresAt: 1 })
    mock.revokeGrants()
    const error = await session.basic(grant.accounts[0]).catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.INVALID_GRANT)
    expect(error.message).toMatch(/consent again/)
    expect(error.message).not.toContain(grant.refreshToken)
    const count = mock.calls.length
    await expect(session.basic(grant.accounts[0])).rejects.toBe(error)
    expect(mock.calls.length).toBe(count)
  })

  it('revoke() revokes at the provider and ends the session', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session(grant)
    await session.revoke()
    expect(mock.grants().every((g) => g.revoked)).toBe(true)
    await expect(session.basic(grant.accounts[0])).rejects.toMatchObject({ code: ErrorCode.GRANT_REVOKED })
    // The old tokens are dead at the provider too.
    const fresh = consumer.session(grant)
    await expect(fresh.basic(grant.accounts[0])).rejects.toBeInstanceOf(EciConsentError)
  })

  it('corrects request JWT times with the provider Date header when the local clock is off', async () => {
    const { consumer, grant, mock } = await consented()
    mock.setClockOffset(3600)
    const session = consumer.session({ ...grant, expiresAt: grant.expiresAt + 3600 })
    const basic = await session.basic(grant.accounts[0])
    expect(basic.system_account_id).toBe(grant.accounts[0])
  })

  it('refuses a grant of another client', async () => {
    const { consumer, grant } = await consented()
    expect(() => consumer.session({ ...grant, clientId: 'someone-else' })).toThrow(/another provider or client/)
  })
})

describe('session.invoices', () => {
  it('yields the whole history in the provider order, with details', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session(grant)
    const account = grant.accounts[0]
    const ids = mock.fixtures.basic(account)?.system_invoice_ids ?? []
    expect(ids.length).toBeGreaterThanOrEqual(24)
    const seen: string[] = []
    for await (const inv of session.invoices(account, { detail: true, concurrency: 4 })) {
      expect(inv).toEqual(mock.fixtures.invoiceDetail(account, inv.system_invoice_id))
      seen.push(inv.system_invoice_id)
    }
    expect(seen).toEqual(ids)
  })

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0
    let peak = 0
    const counting =
      (f: typeof fetch): typeof fetch =>
      async (input, init) => {
        if (!String(input instanceof Request ? input.url : input).startsWith(API)) return f(input, init)
        peak = Math.max(peak, ++inFlight)
        try {
          return await f(input, init)
        } finally {
          inFlight--
        }
      }
    const w = await world({}, {}, counting)
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    w.mock.fault({ endpoint: 'eci', delayMs: 5, times: 1000 })
    let n = 0
    for await (const _ of w.consumer.session(grant).invoices(grant.accounts[0], { concurrency: 3 })) n++
    expect(n).toBeGreaterThanOrEqual(24)
    expect(peak).toBe(3)
  })

  it('stops requesting when the loop is left early', async () => {
    const { consumer, grant, mock } = await consented()
    const session = consumer.session(grant)
    let taken = 0
    for await (const _ of session.invoices(grant.accounts[0], { concurrency: 2 })) {
      if (++taken === 3) break
    }
    await new Promise((r) => setTimeout(r, 30))
    const eciCalls = mock.calls.filter((c) => c.endpoint === 'eci').length
    // 1 Basic + 3 consumed + at most 2 already in flight
    expect(eciCalls).toBeLessThanOrEqual(1 + 3 + 2)
  })

  it('filters by invoice date with since', async () => {
    const { consumer, grant } = await consented()
    const session = consumer.session(grant)
    const all: string[] = []
    for await (const inv of session.invoices(grant.accounts[0])) all.push(inv.invoice_date)
    const cut = all[Math.floor(all.length / 2)]
    const recent: string[] = []
    for await (const inv of session.invoices(grant.accounts[0], { since: cut })) recent.push(inv.invoice_date)
    expect(recent).toEqual(all.filter((d) => d >= cut))
    expect(recent.length).toBeLessThan(all.length)
  })
})

describe('session robustness', () => {
  it('offers a rotated grant to onGrant again when saving it failed', async () => {
    const { consumer, grant } = await consented()
    const saved: Grant[] = []
    let fail = true
    const session = consumer.session(
      { ...grant, expiresAt: 1 },
      {
        onGrant: (g) => {
          if (fail) {
            fail = false
            throw new Error('database down')
          }
          saved.push(g)
        },
      },
    )
    await expect(session.basic(grant.accounts[0])).rejects.toThrow()
    await session.basic(grant.accounts[0])
    expect(saved).toHaveLength(1)
    expect(saved[0]).toBe(session.grant)
  })

  it('does not refresh a short-lived token early: the margin is 10 % of its lifetime', async () => {
    const { consumer, grant, mock } = await consented()
    const now = Math.floor(Date.now() / 1000)
    const session = consumer.session({ ...grant, issuedAt: now - 10, expiresAt: now + 10 })
    await session.basic(grant.accounts[0])
    expect(tokenCalls(mock.calls)).toBe(0)
  })

  it('a refused token without a refresh token means consent again', async () => {
    const { consumer, grant, mock } = await consented()
    const { refreshToken: _, ...noRefresh } = grant
    const session = consumer.session(noRefresh)
    mock.expireAccessTokens()
    await expect(session.basic(grant.accounts[0])).rejects.toMatchObject({
      name: 'EciConsentError',
      code: ErrorCode.INVALID_GRANT,
    })
  })
})

describe('revocation', () => {
  it('tolerates a provider that cannot revoke (JWT) access tokens once the refresh token is revoked', async () => {
    let revocations = 0
    const w = await world({}, {}, (f) => async (input, init) => {
      if (String(input).endsWith('/revoke') && ++revocations === 2) {
        return Response.json({ error: 'unsupported_token_type' }, { status: 400 })
      }
      return f(input, init)
    })
    const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic'] })
    const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
    await w.consumer.session(grant).revoke()
    expect(revocations).toBe(2)
    expect(w.mock.grants().every((g) => g.revoked)).toBe(true)
  })

  it('reports other revocation failures', async () => {
    const { consumer, grant, mock } = await consented()
    mock.fault({ endpoint: 'revocation', status: 503, times: 5 })
    await expect(consumer.session(grant).revoke()).rejects.toMatchObject({ name: 'EciHttpError', status: 503 })
  })
})
