/**
 * examples/backend/server.ts for real: the backend and the mock provider on loopback HTTP, driven
 * like a browser (cookies, redirects followed by hand). Also the browser example's hand-off
 * (examples/browser/consent.ts with an in-memory store) against the same backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuiltPackage } from './package-build.js'

type BackendModule = typeof import('../../examples/backend/server.js')
type BrowserModule = typeof import('../../examples/browser/consent.js')
type Backend = Awaited<ReturnType<BackendModule['startBackend']>>

let example: BackendModule
let page: BrowserModule
let memoryStore: typeof import('ecis-consumer/consent').memoryStore
let backend: Backend

beforeAll(async () => {
  await ensureBuiltPackage()
  example = await import('../../examples/backend/server.js')
  page = await import('../../examples/browser/consent.js')
  ;({ memoryStore } = await import('ecis-consumer/consent'))
  backend = await example.startBackend({ port: 0 })
}, 180_000)

afterAll(async () => {
  await backend?.close()
})

/** A browser in miniature: one cookie jar, redirects returned rather than followed. */
function browser() {
  let cookie: string | undefined
  const request = async (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    const sameSite = new URL(url, backend.url).origin === new URL(backend.url).origin
    if (cookie && sameSite) headers.set('cookie', cookie)
    const res = await fetch(new URL(url, backend.url), { ...init, headers, redirect: 'manual' })
    const set = res.headers.get('set-cookie')
    if (set && sameSite) cookie = set.split(';')[0]
    return res
  }
  return { request }
}

/** /connect → the provider (auto-consent) → /eci/callback; returns the browser and the callback answer. */
async function consent() {
  const b = browser()
  const connect = await b.request('/connect')
  expect(connect.status).toBe(302)
  const authorize = await b.request(connect.headers.get('location') ?? '')
  expect(authorize.status).toBe(302)
  const callbackUrl = authorize.headers.get('location') ?? ''
  expect(callbackUrl.startsWith(`${backend.url}/eci/callback?`)).toBe(true)
  const callback = await b.request(callbackUrl)
  return { b, callback, callbackUrl }
}

describe('examples/backend/server.ts', () => {
  it('connects a customer and serves every account and the invoice history with details', async () => {
    const fixtures = backend.mock!.provider.fixtures
    const { b, callback } = await consent()
    expect(callback.status).toBe(303)
    expect(callback.headers.get('location')).toBe('/accounts')
    expect(backend.grants.size).toBe(1)

    const accounts = await b.request('/accounts')
    expect(accounts.status).toBe(200)
    const basics = (await accounts.json()) as { system_account_id: string; system_invoice_ids: string[] }[]
    const granted = fixtures.owners[0]!.accounts.map((a) => a.systemAccountId) // auto-consent: the first owner
    expect(basics.map((x) => x.system_account_id)).toEqual(granted)
    expect(basics).toEqual(granted.map((account) => fixtures.basic(account)))

    const account = '0018-102'
    const history = await b.request(`/invoices/${account}`)
    expect(history.status).toBe(200)
    expect(history.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await history.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown)
    const ids = fixtures.basic(account)!.system_invoice_ids
    expect(ids.length).toBeGreaterThanOrEqual(24)
    expect(lines).toEqual(ids.map((id) => fixtures.invoiceDetail(account, id)))

    const since = fixtures.invoice(account, ids.at(-3)!)!.invoice_date
    const recent = await (await b.request(`/invoices/${account}?since=${since}`)).text()
    expect(recent.trim().split('\n')).toHaveLength(3)
  })

  it('persists the rotated grant when the session refreshes an expired token', async () => {
    const { b } = await consent()
    const [customerId, before] = [...backend.grants].at(-1)!
    backend.mock!.provider.expireAccessTokens()

    expect((await b.request('/accounts')).status).toBe(200)
    const after = backend.grants.get(customerId)!
    expect(JSON.parse(after).refreshToken).not.toBe(JSON.parse(before).refreshToken)
    expect(backend.mock!.provider.calls.some((c) => c.endpoint === 'token' && c.status === 200)).toBe(true)
  })

  it('refuses what a browser must not get: no session, replayed callback, foreign account', async () => {
    expect((await browser().request('/accounts')).status).toBe(401)

    const { b, callbackUrl } = await consent()
    const replay = await b.request(callbackUrl) // the transaction was used up
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({ error: 'no_pending_consent' })

    expect((await b.request('/invoices/9999-999')).status).toBe(404)
  })

  it('hands the browser example’s code and verifier to POST /api/eci/exchange', async () => {
    const b = browser()
    const deps = { backend: backend.url, store: memoryStore(), fetch: b.request as typeof fetch }
    const config = await page.loadConfig(deps)
    expect(config).toMatchObject({ issuer: backend.issuer, redirectUri: 'http://localhost:5173/' })

    let authorizationUrl = ''
    await page.connect(config, deps, (url) => {
      authorizationUrl = url
    })
    expect(new URL(authorizationUrl).searchParams.get('code_challenge_method')).toBe('S256')
    const authorize = await fetch(authorizationUrl, { redirect: 'manual' }) // the provider consents
    const callback = authorize.headers.get('location') ?? ''
    expect(page.isConsentCallback(callback)).toBe(true)

    const { accounts } = await page.finishConsent(callback, deps)
    expect(accounts).toContain('0018-102')
    const basics = await (await b.request('/accounts')).json()
    expect(basics).toHaveLength(accounts.length)

    // The same callback again: the transaction is gone, and the page says so.
    const replay = await page.finishConsent(callback, deps).catch((error: unknown) => error)
    expect(page.explain(replay)).toBe('That consent attempt is no longer valid. Please start again.')
  })

  it('answers a declined consent with 403 consent_required', async () => {
    const declining = await example.startBackend({ port: 0, mockConsent: 'deny' })
    try {
      const jar = { cookie: '' }
      const connect = await fetch(`${declining.url}/connect`, { redirect: 'manual' })
      jar.cookie = connect.headers.get('set-cookie')?.split(';')[0] ?? ''
      const authorize = await fetch(connect.headers.get('location') ?? '', { redirect: 'manual' })
      const callback = await fetch(authorize.headers.get('location') ?? '', { headers: { cookie: jar.cookie } })
      expect(callback.status).toBe(403)
      expect(await callback.json()).toMatchObject({ error: 'consent_required', code: 'ERR_ECI_ACCESS_DENIED' })
    } finally {
      await declining.close()
    }
  })
})

describe('npx node examples/backend/server.ts', () => {
  it('starts from the command line (Node type stripping) and serves /connect', async () => {
    const { spawn } = await import('node:child_process')
    const { ROOT } = await import('./package-build.js')
    const child = spawn(process.execPath, ['examples/backend/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
          const found = /Backend: {2}(http:\/\/\S+) —/.exec(out)
          if (found?.[1]) resolve(found[1])
        })
        child.stderr.on('data', (d) => reject(new Error(String(d))))
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)))
      })
      const connect = await fetch(`${url}/connect`, { redirect: 'manual' })
      expect(connect.status).toBe(302)
      // The command-line backend uses the mock's interactive consent page.
      const page = await fetch(connect.headers.get('location') ?? '')
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<form/i)
    } finally {
      child.kill('SIGTERM')
    }
  }, 60_000)
})
