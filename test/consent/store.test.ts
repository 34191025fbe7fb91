import { afterEach, describe, expect, it } from 'vitest'
import { beginConsent, EciConfigError, ErrorCode, memoryStore, sessionStorageStore } from '../../src/consent/index.js'
import { CLIENT_ID, ISSUER, metadataFetch, REDIRECT_URI } from './helpers.js'

const hasWebStorage = typeof globalThis.sessionStorage !== 'undefined' && typeof globalThis.localStorage !== 'undefined'

describe('memoryStore', () => {
  it('round-trips values and forgets deleted keys', () => {
    const store = memoryStore()
    expect(store.get('a')).toBeNull()
    store.set('a', '1')
    store.set('a', '2')
    expect(store.get('a')).toBe('2')
    store.delete('a')
    store.delete('missing')
    expect(store.get('a')).toBeNull()
  })
})

describe('sessionStorageStore', () => {
  afterEach(() => {
    if (hasWebStorage) sessionStorage.clear()
  })

  it('round-trips values under a prefix in an injected storage', () => {
    const map = new Map<string, string>()
    const storage = {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => void map.set(k, v),
      removeItem: (k: string) => void map.delete(k),
    }
    const store = sessionStorageStore({ storage, prefix: 'app:' })
    store.set('k', 'v')
    expect(map.get('app:k')).toBe('v')
    expect(store.get('k')).toBe('v')
    store.delete('k')
    expect(store.get('k')).toBeNull()
  })

  it.runIf(hasWebStorage)('round-trips values through window.sessionStorage with the default prefix', () => {
    const store = sessionStorageStore()
    store.set('k', 'v')
    expect(sessionStorage.getItem('ecis-consumer:consent:k')).toBe('v')
    expect(sessionStorageStore().get('k')).toBe('v')
    store.delete('k')
    expect(sessionStorage.getItem('ecis-consumer:consent:k')).toBeNull()
  })

  it.runIf(hasWebStorage)(
    'keeps the code verifier in sessionStorage only: not in the URL, not in localStorage',
    async () => {
      localStorage.clear()
      const { url, state } = await beginConsent({
        issuer: ISSUER,
        clientId: CLIENT_ID,
        redirectUri: REDIRECT_URI,
        scopes: ['basic'],
        store: sessionStorageStore(),
        fetch: metadataFetch(),
      })
      const stored = JSON.parse(sessionStorage.getItem(`ecis-consumer:consent:tx:${state}`)!)
      const verifier: string = stored.codeVerifier
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(url).not.toContain(verifier)
      expect(decodeURIComponent(url)).not.toContain(verifier)
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!
        expect(`${key}=${localStorage.getItem(key)}`).not.toContain(verifier)
      }
      expect(document.cookie).not.toContain(verifier)
    },
  )

  it.runIf(typeof globalThis.sessionStorage === 'undefined')(
    'throws EciConfigError INVALID_OPTION where sessionStorage does not exist',
    () => {
      expect(() => sessionStorageStore()).toThrow(EciConfigError)
      expect(() => sessionStorageStore()).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
    },
  )

  it('rejects a storage without the Web Storage methods', () => {
    expect(() => sessionStorageStore({ storage: {} as Storage })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
    )
  })
})
