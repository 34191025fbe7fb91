import { describe, expect, it } from 'vitest'
import { EciConfigError, EciConsentError, EciConsumer, ErrorCode, type Grant } from '../../src/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { ISSUER, REDIRECT, world } from '../support/consumer.js'
import { handlerFetch } from '../support/eci-endpoint.js'

const ALL = ['basic', 'invoice', 'invoice_detail'] as const

describe('server consent flow against the mock provider', () => {
  it('discovers, consents, exchanges the code and reads every account', async () => {
    const { consumer, authorize, mock } = await world()
    expect(consumer.resource).toBe('https://api.utility.example/eci/v1')
    const { url, transaction } = await consumer.beginConsent({ scopes: [...ALL] })
    const callback = await authorize(url)
    const grant = await consumer.completeConsent(callback, JSON.parse(JSON.stringify(transaction)))

    expect(grant).toMatchObject({ issuer: ISSUER, clientId: 'acme-solar', tokenType: 'Bearer' })
    expect(grant.scopes.sort()).toEqual(['eci:basic', 'eci:invoice', 'eci:invoice_detail'])
    const owner = mock.fixtures.owners[0]
    expect(grant.accounts.sort()).toEqual(owner.accounts.map((a) => a.systemAccountId).sort())
    expect(JSON.parse(JSON.stringify(grant))).toEqual(grant)

    const session = consumer.session(JSON.parse(JSON.stringify(grant)) as Grant)
    for (const account of session.accounts) {
      const basic = await session.basic(account)
      expect(basic).toEqual(mock.fixtures.basic(account))
      const last = basic.system_invoice_ids.at(-1) as string
      expect(await session.invoice(account, last)).toEqual(mock.fixtures.invoice(account, last))
      expect(await session.invoiceDetail(account, last)).toEqual(mock.fixtures.invoiceDetail(account, last))
    }
  })

  it('uses PAR when the provider offers it, and the URL then carries only client_id and request_uri', async () => {
    const { consumer, mock } = await world()
    const { url } = await consumer.beginConsent({ scopes: ['basic'] })
    expect(mock.calls.some((c) => c.endpoint === 'par')).toBe(true)
    expect([...new URL(url).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
  })

  it('asks for named accounts with authorization_details and gets exactly those', async () => {
    const probe = createMockProvider({ issuer: ISSUER, clients: [] })
    const owner = probe.fixtures.owners.find((o) => o.accounts.length > 1) ?? probe.fixtures.owners[0]
    const wanted = [owner.accounts[0].systemAccountId]
    const { consumer, authorize } = await world({ consent: { owner: owner.ownerId } })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'], accounts: wanted })
    const grant = await consumer.completeConsent(await authorize(url), transaction)
    expect(grant.accounts).toEqual(wanted)
  })

  it('exchangeCode completes the browser hand-off', async () => {
    const { consumer, authorize } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const code = new URL(await authorize(url)).searchParams.get('code') as string
    const grant = await consumer.exchangeCode({ code, codeVerifier: transaction.codeVerifier })
    expect(grant.accessToken.length).toBeGreaterThan(10)
  })

  it('turns access_denied into EciConsentError ACCESS_DENIED', async () => {
    const { consumer, authorize } = await world({ consent: 'deny' })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const error = await consumer.completeConsent(await authorize(url), transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED)
  })

  it('refuses a forged state', async () => {
    const { consumer, authorize } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const callback = new URL(await authorize(url))
    callback.searchParams.set('state', 'forged-state-forged-state-forged')
    await expect(consumer.completeConsent(callback, transaction)).rejects.toMatchObject({
      code: ErrorCode.STATE_MISMATCH,
    })
  })

  it('refuses a response from another issuer (mix-up)', async () => {
    const { consumer, authorize } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const callback = new URL(await authorize(url))
    callback.searchParams.set('iss', 'https://evil.example')
    await expect(consumer.completeConsent(callback, transaction)).rejects.toMatchObject({
      code: ErrorCode.ISSUER_MISMATCH,
    })
  })

  it('refuses a replayed code with EciConsentError INVALID_GRANT and no secret in the message', async () => {
    const { consumer, authorize } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const callback = await authorize(url)
    await consumer.completeConsent(callback, transaction)
    const error = await consumer.completeConsent(callback, transaction).catch((e) => e)
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.INVALID_GRANT)
    const code = new URL(callback).searchParams.get('code') as string
    for (const text of [error.message, JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toContain(code)
      expect(text).not.toContain(transaction.codeVerifier)
    }
  })

  it('refuses an expired transaction', async () => {
    const { consumer, authorize } = await world({}, { consentTtl: 1 })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const callback = await authorize(url)
    await expect(
      consumer.completeConsent(callback, { ...transaction, expiresAt: Math.floor(Date.now() / 1000) - 5 }),
    ).rejects.toMatchObject({ code: ErrorCode.TRANSACTION_INVALID })
  })
})

describe('discovery refuses bad configuration', () => {
  it('refuses an http:// issuer without allowInsecureRequests', async () => {
    await expect(
      EciConsumer.discover({
        issuer: 'http://auth.utility.example',
        clientId: 'x',
        clientAuth: { method: 'none' },
        signingKey: {} as never,
      }),
    ).rejects.toBeInstanceOf(EciConfigError)
  })

  it('refuses a key the provider does not accept (P-521 → ES512)', async () => {
    const { generateKeyPair } = await import('jose/key/generate/keypair')
    const { privateKey } = await generateKeyPair('ES512', { extractable: true })
    await expect(
      world({}, { clientAuth: { method: 'private_key_jwt', key: privateKey }, signingKid: 'k' } as never),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_KEY,
    })
  })

  it('refuses metadata that names another issuer', async () => {
    const mock = createMockProvider({ issuer: 'https://other.example', clients: [] })
    const fetch = handlerFetch(mock.handlers)
    const rewrite: typeof fetch = (input, init) =>
      fetch(String(input).replace('https://auth.utility.example', 'https://other.example'), init)
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const keys = await makeKeys()
    await expect(
      EciConsumer.discover({
        issuer: ISSUER,
        clientId: 'x',
        signingKey: keys.privateJwk,
        fetch: rewrite,
        redirectUri: REDIRECT,
      }),
    ).rejects.toMatchObject({ name: 'EciConfigError', code: ErrorCode.INVALID_METADATA })
  })

  it('refuses a provider without eci_resource when no resource option is given', async () => {
    const strip =
      (f: typeof fetch): typeof fetch =>
      async (input, init) => {
        const res = await f(input, init)
        if (!String(input).includes('/.well-known/')) return res
        const { eci_resource: _, ...metadata } = await res.json()
        return Response.json(metadata)
      }
    await expect(world({}, {}, strip)).rejects.toMatchObject({
      name: 'EciConfigError',
      code: ErrorCode.INVALID_METADATA,
    })
    await expect(world({}, { resource: 'https://api.utility.example/eci/v1' }, strip)).resolves.toBeTruthy()
  })

  it('refuses a resource option that differs from the provider eci_resource', async () => {
    await expect(world({}, { resource: 'https://other.example/eci' })).rejects.toMatchObject({
      name: 'EciConfigError',
      code: ErrorCode.INVALID_METADATA,
    })
  })

  it('accepts a resource option that names the same URL as eci_resource, spelled differently', async () => {
    const { consumer } = await world({}, { resource: 'https://API.utility.example:443/eci/v1' })
    expect(consumer.resource).toBe('https://api.utility.example/eci/v1')
  })

  it('refuses malformed dpop and timeout options with EciConfigError', async () => {
    await expect(world({}, { dpop: {} as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
    await expect(world({}, { timeout: Number.NaN })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
    await expect(world({}, { timeout: 3e9 })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION })
  })

  it('refuses redirect URIs with a script or data scheme, and accepts a reverse-DNS app scheme', async () => {
    await expect(world({}, { redirectUri: 'javascript:alert(1)' })).rejects.toBeInstanceOf(EciConfigError)
    await expect(world({}, { redirectUri: 'data:text/html,hi' })).rejects.toBeInstanceOf(EciConfigError)
    await expect(world({}, { redirectUri: 'com.acme.solar:/callback' })).resolves.toBeTruthy()
  })

  it('refuses a key that cannot sign before any request', async () => {
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const keys = await makeKeys()
    let requests = 0
    const error = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'x',
      signingKey: keys.publicJwk,
      fetch: async () => {
        requests++
        return new Response(null, { status: 500 })
      },
    }).catch((e) => e)
    expect(error).toMatchObject({ name: 'EciConfigError', code: ErrorCode.INVALID_KEY })
    expect(requests).toBe(0)
  })

  it('reports an unreachable provider as EciNetworkError', async () => {
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const keys = await makeKeys()
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    await expect(
      EciConsumer.discover({ issuer: ISSUER, clientId: 'x', signingKey: keys.privateJwk, fetch: down }),
    ).rejects.toMatchObject({
      name: 'EciNetworkError',
    })
  })
})

describe('consent hardening', () => {
  it('refuses a transaction begun at another provider before sending its code anywhere', async () => {
    const { consumer, authorize, mock } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const callback = await authorize(url)
    mock.clearCalls()
    const foreign = { ...transaction, issuer: 'https://other-utility.example' }
    await expect(consumer.completeConsent(callback, foreign)).rejects.toMatchObject({ code: ErrorCode.ISSUER_MISMATCH })
    expect(mock.calls.filter((c) => c.endpoint === 'token')).toHaveLength(0)
  })

  it('refuses a non-loopback http:// redirect URI unless insecure requests are allowed', async () => {
    await expect(world({}, { redirectUri: 'http://acme.example/cb' })).rejects.toBeInstanceOf(EciConfigError)
    await expect(world({}, { redirectUri: 'http://127.0.0.1:8080/cb' })).resolves.toBeTruthy()
  })

  it('refuses to use a grant with another ECI resource', async () => {
    const { consumer, authorize } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const grant = await consumer.completeConsent(await authorize(url), transaction)
    expect(() => consumer.session({ ...grant, resource: 'https://evil.example/eci' })).toThrow(EciConfigError)
  })
})

describe('client authentication', () => {
  it('a public client (none) consents with PKCE alone and still signs its ECI requests', async () => {
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const keys = await makeKeys('ES256')
    const mock = createMockProvider({
      issuer: ISSUER,
      resource: 'https://api.utility.example/eci/v1',
      clients: [
        { clientId: 'solar-cli', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] }, authMethod: 'none' },
      ],
    })
    const fetch = handlerFetch(mock.handlers)
    const consumer = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'solar-cli',
      clientAuth: { method: 'none' },
      signingKey: keys.privateJwk,
      redirectUri: REDIRECT,
      fetch,
    })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
    const grant = await consumer.completeConsent(location, transaction)
    const basic = await consumer.session(grant).basic(grant.accounts[0])
    expect(basic.system_account_id).toBe(grant.accounts[0])
    expect(
      mock.calls.filter((c) => c.endpoint === 'token').every((c) => c.client === 'solar-cli' && c.status === 200),
    ).toBe(true)
  })

  it('a confidential client whose assertion key the provider does not know is refused with EciHttpError invalid_client', async () => {
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const stranger = await makeKeys('ES256')
    const { consumer, authorize, fetch, mock } = await world()
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const other = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: { ...stranger.privateJwk, kid: 'k-ES256' } },
      redirectUri: REDIRECT,
      fetch,
    })
    const error = await other.completeConsent(await authorize(url), transaction).catch((e) => e)
    expect(error.name).toBe('EciHttpError')
    expect(error.error).toBe('invalid_client')
    expect(mock.calls.at(-1)).toMatchObject({ endpoint: 'token', status: 401 })
  })
})

describe('beginConsent options', () => {
  it('uses a caller-chosen state and refuses a guessable one', async () => {
    const { consumer, authorize } = await world()
    const state = 'app-session-7f3c9a1b2d4e6f8091a2b3c4'
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'], state })
    expect(transaction.state).toBe(state)
    expect(new URL(await authorize(url)).searchParams.get('state')).toBe(state)
    await expect(consumer.beginConsent({ scopes: ['basic'], state: 'short' })).rejects.toBeInstanceOf(EciConfigError)
  })

  it('adds extraParams but never lets them override protocol parameters', async () => {
    const { consumer } = await world({}, {})
    await expect(
      consumer.beginConsent({ scopes: ['basic'], extraParams: { code_challenge_method: 'plain' } }),
    ).rejects.toBeInstanceOf(EciConfigError)
    await expect(consumer.beginConsent({ scopes: ['basic'], extraParams: { ui_locales: 'en' } })).resolves.toBeTruthy()
  })
})

describe('client_secret_basic (non-conformant providers)', () => {
  it('sends the client secret in an RFC 6749 Basic header', async () => {
    const { makeKeys } = await import('../support/eci-endpoint.js')
    const keys = await makeKeys('ES256')
    const seen: string[] = []
    const mock = createMockProvider({
      issuer: ISSUER,
      resource: 'https://api.utility.example/eci/v1',
      clients: [
        { clientId: 'acme-solar', redirectUris: [REDIRECT], jwks: { keys: [keys.publicJwk] }, authMethod: 'none' },
      ],
    })
    const inner = handlerFetch(mock.handlers)
    // The mock speaks only private_key_jwt and none: check the Basic header here, then pass the
    // request on as the public client it is registered as.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input, init)
      if (request.url.endsWith('/token') || request.url.endsWith('/par')) {
        seen.push(request.headers.get('authorization') ?? '')
        const body = new URLSearchParams(await request.text())
        body.set('client_id', 'acme-solar')
        return inner(request.url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      }
      return inner(request)
    }
    const consumer = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'acme-solar',
      clientAuth: { method: 'client_secret_basic', secret: 's3cret:with/odd chars' },
      signingKey: keys.privateJwk,
      redirectUri: REDIRECT,
      fetch,
    })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') as string
    const grant = await consumer.completeConsent(location, transaction)
    expect(grant.accounts.length).toBeGreaterThan(0)
    // RFC 6749 §2.3.1: both parts form-urlencoded, then joined with ':' and base64-encoded.
    expect(seen).toHaveLength(2) // PAR, then the code exchange
    for (const header of seen) {
      const [id, secret] = atob(header.replace(/^Basic /, ''))
        .split(':')
        .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
      expect({ id, secret }).toEqual({ id: 'acme-solar', secret: 's3cret:with/odd chars' })
    }
  })
})

describe('provider metadata checks', () => {
  const patchMetadata =
    (patch: Record<string, unknown>) =>
    (f: typeof fetch): typeof fetch =>
    async (input, init) => {
      const res = await f(input, init)
      if (!String(input).includes('/.well-known/')) return res
      return Response.json({ ...(await res.json()), ...patch })
    }

  it('refuses a provider without PKCE S256', async () => {
    await expect(world({}, {}, patchMetadata({ code_challenge_methods_supported: ['plain'] }))).rejects.toMatchObject({
      code: ErrorCode.INVALID_METADATA,
    })
  })

  it('refuses an http:// eci_resource unless insecure requests are allowed', async () => {
    await expect(
      world({}, {}, patchMetadata({ eci_resource: 'http://api.utility.example/eci/v1' })),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_METADATA })
  })

  it('refuses an eci_resource that is not a URL with EciConfigError, not a TypeError', async () => {
    await expect(world({}, {}, patchMetadata({ eci_resource: 'not a url' }))).rejects.toMatchObject({
      name: 'EciConfigError',
      code: ErrorCode.INVALID_METADATA,
    })
  })
})

describe('clocks', () => {
  it('dates consent transactions by the provider clock, so a consumer an hour behind still completes consent', async () => {
    const w = await world()
    w.mock.setClockOffset(3600)
    // A consumer discovering now learns the provider's clock from its Date header.
    const consumer = await EciConsumer.discover({
      issuer: ISSUER,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: w.keys.privateJwk },
      redirectUri: REDIRECT,
      fetch: w.fetch,
    })
    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
    expect(transaction.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000) + 3600)
    const grant = await consumer.completeConsent(await w.authorize(url), transaction)
    expect(grant.accounts.length).toBeGreaterThan(0)
  })
})
