import { describe, expect, it } from 'vitest'
import {
  type BrowserConsentOptions,
  beginConsent,
  type ConsentStore,
  EciConfigError,
  EciConsentError,
  EciError,
  ErrorCode,
  memoryStore,
  parseConsentCallback,
} from '../../src/consent/index.js'
import {
  AUTHORIZE,
  CLIENT_ID,
  caught,
  ECI_RESOURCE,
  ISSUER,
  metadataFetch,
  printable,
  REDIRECT_URI,
  s256,
} from './helpers.js'

const CODE = 'authz-code-0123456789abcdef'

/** A store that remembers every value ever written, to look for secrets afterwards. */
function recordingStore(): ConsentStore & { writes: string[]; keys: () => string[] } {
  const map = new Map<string, string>()
  const writes: string[] = []
  return {
    writes,
    keys: () => [...map.keys()],
    get: (key) => map.get(key) ?? null,
    set: (key, value) => {
      writes.push(value)
      map.set(key, value)
    },
    delete: (key) => {
      map.delete(key)
    },
  }
}

function options(overrides: Partial<BrowserConsentOptions> = {}): BrowserConsentOptions {
  return {
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    scopes: ['basic', 'invoice', 'invoice_detail'],
    store: memoryStore(),
    fetch: metadataFetch(),
    ...overrides,
  }
}

function callback(params: Record<string, string>): string {
  const url = new URL(REDIRECT_URI)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.href
}

describe('beginConsent', () => {
  it("builds the provider's authorization URL with PKCE S256, state, scopes and the metadata's resource", async () => {
    const store = memoryStore()
    const { url, state, expiresAt } = await beginConsent(options({ store }))
    const u = new URL(url)
    expect(`${u.origin}${u.pathname}`).toBe(AUTHORIZE)
    const p = u.searchParams
    expect(p.get('response_type')).toBe('code')
    expect(p.get('client_id')).toBe(CLIENT_ID)
    expect(p.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(p.get('scope')).toBe('eci:basic eci:invoice eci:invoice_detail')
    expect(p.get('state')).toBe(state)
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('resource')).toBe(ECI_RESOURCE)
    expect(p.has('authorization_details')).toBe(false)
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 590)

    // The challenge in the URL is the S256 of the verifier the callback hands back.
    const { codeVerifier } = await parseConsentCallback(callback({ code: CODE, state, iss: ISSUER }), { store })
    expect(p.get('code_challenge')).toBe(await s256(codeVerifier))
    expect(url).not.toContain(codeVerifier)
  })

  it('sends authorization_details only when the provider advertises type eci', async () => {
    const accounts = ['0018-102', '0018-103']
    const advertised = new URL((await beginConsent(options({ accounts }))).url)
    expect(JSON.parse(advertised.searchParams.get('authorization_details')!)).toEqual([
      { type: 'eci', system_account_ids: accounts, actions: ['basic', 'invoice', 'invoice_detail'] },
    ])
    const notAdvertised = new URL(
      (
        await beginConsent(
          options({ accounts, fetch: metadataFetch({ authorization_details_types_supported: ['x'] }) }),
        )
      ).url,
    )
    expect(notAdvertised.searchParams.has('authorization_details')).toBe(false)
    const absent = new URL(
      (
        await beginConsent(
          options({ accounts, fetch: metadataFetch({ authorization_details_types_supported: undefined }) }),
        )
      ).url,
    )
    expect(absent.searchParams.has('authorization_details')).toBe(false)
  })

  it('uses an explicit resource when the metadata names none, and provider scope names', async () => {
    const { url } = await beginConsent(
      options({
        fetch: metadataFetch({ eci_resource: undefined }),
        resource: 'https://other.example/eci',
        scopes: ['basic'],
        scopeNames: { basic: 'utility.basic' },
      }),
    )
    const p = new URL(url).searchParams
    expect(p.get('resource')).toBe('https://other.example/eci')
    expect(p.get('scope')).toBe('utility.basic')
  })

  it("refuses a resource that differs from the provider's eci_resource", async () => {
    await expect(beginConsent(options({ resource: 'https://other.example/eci' }))).rejects.toMatchObject({
      name: 'EciConfigError',
      code: ErrorCode.INVALID_METADATA,
    })
  })

  it('omits resource when neither the options nor the metadata have one', async () => {
    const { url } = await beginConsent(options({ fetch: metadataFetch({ eci_resource: undefined }) }))
    expect(new URL(url).searchParams.has('resource')).toBe(false)
  })

  it('refuses a provider that requires PAR, pointing at the backend flow', async () => {
    const error = await caught(() =>
      beginConsent(options({ fetch: metadataFetch({ require_pushed_authorization_requests: true }) })),
    )
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
    expect(error.message).toMatch(/PAR/)
  })

  it('refuses a provider without PKCE S256', async () => {
    const error = await caught(() =>
      beginConsent(options({ fetch: metadataFetch({ code_challenge_methods_supported: ['plain'] }) })),
    )
    expect(error.code).toBe(ErrorCode.INVALID_METADATA)
  })

  it('checks its options before any network request', async () => {
    const fetch = metadataFetch()
    for (const bad of [
      { redirectUri: 'not a url' },
      { scopes: [] },
      { clientId: '' },
      { store: {} as ConsentStore },
      { issuer: 'http://auth.utility.example' },
    ]) {
      const error = await caught(() => beginConsent(options({ ...bad, fetch })))
      expect(error).toBeInstanceOf(EciConfigError)
      expect(error.code).toBe(ErrorCode.INVALID_OPTION)
    }
    expect(fetch.calls).toEqual([])
  })

  it('stores nothing when the metadata cannot be used', async () => {
    const store = recordingStore()
    await caught(() => beginConsent(options({ store, fetch: metadataFetch({ issuer: 'https://evil.example' }) })))
    expect(store.writes).toEqual([])
  })

  it('keeps at most five pending consents, dropping the oldest', async () => {
    const store = recordingStore()
    const states: string[] = []
    for (let i = 0; i < 7; i++) states.push((await beginConsent(options({ store }))).state)
    expect(store.keys().filter((k) => k.startsWith('tx:'))).toEqual(states.slice(2).map((s) => `tx:${s}`))
    const stale = await caught(() =>
      parseConsentCallback(callback({ code: CODE, state: states[0]!, iss: ISSUER }), { store }),
    )
    expect(stale.code).toBe(ErrorCode.STATE_MISMATCH)
    const fresh = await parseConsentCallback(callback({ code: CODE, state: states[6]!, iss: ISSUER }), { store })
    expect(fresh.code).toBe(CODE)
  })

  it('turns a failing store into an EciError', async () => {
    const store: ConsentStore = {
      get: () => null,
      set: () => {
        throw new DOMException('quota', 'QuotaExceededError')
      },
      delete: () => {},
    }
    const error = await caught(() => beginConsent(options({ store })))
    expect(error).toBeInstanceOf(EciError)
    expect(error.code).toBe(ErrorCode.INTERNAL)
  })
})

describe('parseConsentCallback', () => {
  async function started(overrides: Partial<BrowserConsentOptions> = {}) {
    const store = recordingStore()
    const begun = await beginConsent(options({ store, ...overrides }))
    return { store, ...begun }
  }

  it('returns the code, the verifier and what the token request repeats', async () => {
    const { store, state } = await started()
    const result = await parseConsentCallback(callback({ code: CODE, state, iss: ISSUER }), { store })
    expect(result).toEqual({
      code: CODE,
      codeVerifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      redirectUri: REDIRECT_URI,
      issuer: ISSUER,
    })
  })

  it('works with an asynchronous store', async () => {
    const inner = memoryStore()
    const store: ConsentStore = {
      get: async (k) => inner.get(k),
      set: async (k, v) => inner.set(k, v),
      delete: async (k) => inner.delete(k),
    }
    const { state } = await beginConsent(options({ store }))
    expect((await parseConsentCallback(new URL(callback({ code: CODE, state, iss: ISSUER })), { store })).code).toBe(
      CODE,
    )
  })

  async function rejected(store: ConsentStore, url: string, secrets: string[], now?: number): Promise<EciConsentError> {
    const error = await caught(() => parseConsentCallback(url, { store, ...(now === undefined ? {} : { now }) }))
    expect(error).toBeInstanceOf(EciConsentError)
    for (const secret of secrets) expect(printable(error)).not.toContain(secret)
    return error as EciConsentError
  }

  function verifierOf(store: { writes: string[] }): string {
    return JSON.parse(store.writes[0]!).codeVerifier
  }

  it('rejects a forged state while a consent is pending with STATE_MISMATCH, keeping the real one usable', async () => {
    const { store, state } = await started()
    const forged = await rejected(store, callback({ code: CODE, state: 'f'.repeat(43), iss: ISSUER }), [
      CODE,
      verifierOf(store),
    ])
    expect(forged.code).toBe(ErrorCode.STATE_MISMATCH)
    const noState = await rejected(store, callback({ code: CODE, iss: ISSUER }), [CODE])
    expect(noState.code).toBe(ErrorCode.STATE_MISMATCH)
    expect((await parseConsentCallback(callback({ code: CODE, state, iss: ISSUER }), { store })).code).toBe(CODE)
  })

  it('rejects a callback with no consent started with TRANSACTION_INVALID', async () => {
    const error = await rejected(memoryStore(), callback({ code: CODE, state: 'f'.repeat(43), iss: ISSUER }), [CODE])
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('accepts a state once: a replayed callback is TRANSACTION_INVALID', async () => {
    const { store, state } = await started()
    const url = callback({ code: CODE, state, iss: ISSUER })
    await parseConsentCallback(url, { store })
    const replay = await rejected(store, url, [CODE, verifierOf(store)])
    expect(replay.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('rejects a callback after the transaction expired with TRANSACTION_INVALID', async () => {
    const { store, state, expiresAt } = await started()
    const error = await rejected(
      store,
      callback({ code: CODE, state, iss: ISSUER }),
      [CODE, verifierOf(store)],
      expiresAt,
    )
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('rejects a wrong iss with ISSUER_MISMATCH and burns the transaction', async () => {
    const { store, state } = await started()
    const error = await rejected(store, callback({ code: CODE, state, iss: 'https://evil.example' }), [
      CODE,
      verifierOf(store),
    ])
    expect(error.code).toBe(ErrorCode.ISSUER_MISMATCH)
    const retry = await rejected(store, callback({ code: CODE, state, iss: ISSUER }), [CODE])
    expect(retry.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('rejects a missing iss with ISSUER_MISMATCH when the provider advertises RFC 9207', async () => {
    const { store, state } = await started()
    const error = await rejected(store, callback({ code: CODE, state }), [CODE, verifierOf(store)])
    expect(error.code).toBe(ErrorCode.ISSUER_MISMATCH)
  })

  it('accepts a missing iss when the provider does not advertise RFC 9207', async () => {
    const { store, state } = await started({
      fetch: metadataFetch({ authorization_response_iss_parameter_supported: undefined }),
    })
    expect((await parseConsentCallback(callback({ code: CODE, state }), { store })).code).toBe(CODE)
  })

  it('turns access_denied into ACCESS_DENIED', async () => {
    const { store, state } = await started()
    const error = await rejected(store, callback({ error: 'access_denied', state, iss: ISSUER }), [verifierOf(store)])
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED)
    expect(error.error).toBe('access_denied')
  })

  it('turns another provider error into AUTHORIZATION_ERROR with error and errorDescription', async () => {
    const { store, state } = await started()
    const error = await rejected(
      store,
      callback({ error: 'temporarily_unavailable', error_description: 'try later', state, iss: ISSUER }),
      [verifierOf(store)],
    )
    expect(error.code).toBe(ErrorCode.AUTHORIZATION_ERROR)
    expect(error.error).toBe('temporarily_unavailable')
    expect(error.errorDescription).toBe('try later')
  })

  it('treats a corrupted stored transaction as TRANSACTION_INVALID', async () => {
    const store = memoryStore()
    const { state } = await beginConsent(options({ store }))
    store.set(`tx:${state}`, '{not json')
    const error = await rejected(store, callback({ code: CODE, state, iss: ISSUER }), [CODE])
    expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('rejects missing options and non-URL input with EciConfigError', async () => {
    expect((await caught(() => parseConsentCallback(REDIRECT_URI, undefined as never))).code).toBe(
      ErrorCode.INVALID_OPTION,
    )
    const error = await caught(() => parseConsentCallback('not a url', { store: memoryStore() }))
    expect(error).toBeInstanceOf(EciConfigError)
    expect(error.code).toBe(ErrorCode.INVALID_OPTION)
  })
})

describe('parseConsentCallback state keys', () => {
  it('never hands an oddly shaped state to the store', async () => {
    const keys: string[] = []
    const store: ConsentStore = {
      get: (key) => {
        keys.push(key)
        return null
      },
      set: () => {},
      delete: () => {},
    }
    for (const state of ['../../etc', 'a'.repeat(5000), 'short', "x' OR 1=1 --"]) {
      const error = await caught(() => parseConsentCallback(callback({ code: CODE, state, iss: ISSUER }), { store }))
      expect(error.code).toBe(ErrorCode.TRANSACTION_INVALID)
    }
    expect(keys.every((k) => k === 'pending')).toBe(true)
  })
})
