// Real navigation in headless Chromium: the page starts consent, an iframe follows the
// authorization URL to the shipped mock provider on loopback (another origin), which
// 302-redirects back to a callback URL on this page's origin; the page then reads the callback URL.
import { afterEach, describe, expect, inject, it } from 'vitest'
import {
  beginConsent,
  EciConsentError,
  ErrorCode,
  parseConsentCallback,
  sessionStorageStore,
} from '../../src/consent/index.js'
import { BROWSER_CLIENT, CALLBACK_PATH, caught, REFUSING_CLIENT } from './helpers.js'

const issuer = inject('consentAuthServer')
const redirectUri = new URL(CALLBACK_PATH, location.origin).href

/** Navigates an iframe to `url` and resolves with its location once it is back on this origin. */
function followInFrame(url: string, timeoutMs = 10_000): Promise<string> {
  const frame = document.createElement('iframe')
  document.body.append(frame)
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the redirect never came back to this origin')), timeoutMs)
    frame.addEventListener('load', () => {
      let href: string
      try {
        href = frame.contentWindow!.location.href // throws while the frame shows another origin
      } catch {
        return
      }
      if (!href.startsWith(redirectUri)) return
      clearTimeout(timer)
      resolve(href)
    })
    frame.src = url
  })
}

afterEach(() => {
  for (const frame of document.querySelectorAll('iframe[src]')) {
    if (frame.getAttribute('src')?.startsWith(issuer)) frame.remove()
  }
  sessionStorage.clear()
})

describe('browser consent with a real redirect', () => {
  it("a page starts consent, is redirected through the provider's authorize endpoint, lands on its callback, and parseConsentCallback yields the code", async () => {
    const { url, state } = await beginConsent({
      issuer,
      clientId: BROWSER_CLIENT,
      redirectUri,
      scopes: ['basic', 'invoice'],
      store: sessionStorageStore(),
      allowInsecureRequests: true, // the mock provider is http://127.0.0.1
    })
    expect(url.startsWith(`${issuer}/authorize?`)).toBe(true)

    const landed = await followInFrame(url)
    const callback = new URL(landed)
    expect(callback.searchParams.get('state')).toBe(state)
    expect(callback.searchParams.get('iss')).toBe(issuer)

    const { code, codeVerifier } = await parseConsentCallback(landed, { store: sessionStorageStore() })
    expect(code).toBe(callback.searchParams.get('code'))
    expect(landed).not.toContain(codeVerifier)

    // The verifier is the one behind the challenge the provider saw: its token endpoint accepts it.
    const token = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: codeVerifier,
        redirect_uri: redirectUri,
        client_id: BROWSER_CLIENT,
      }),
    })
    expect(token.status).toBe(200)
    expect((await token.json()).token_type).toBe('Bearer')

    // The same callback a second time (back button, replay) finds no transaction.
    const replay = await caught(() => parseConsentCallback(landed, { store: sessionStorageStore() }))
    expect(replay).toBeInstanceOf(EciConsentError)
    expect(replay.code).toBe(ErrorCode.TRANSACTION_INVALID)
  })

  it('a customer who refuses lands on the callback and parseConsentCallback throws ACCESS_DENIED', async () => {
    const { url } = await beginConsent({
      issuer,
      clientId: REFUSING_CLIENT,
      redirectUri,
      scopes: ['basic'],
      store: sessionStorageStore(),
      allowInsecureRequests: true,
    })
    const landed = await followInFrame(url)
    const error = await caught(() => parseConsentCallback(landed, { store: sessionStorageStore() }))
    expect(error).toBeInstanceOf(EciConsentError)
    expect(error.code).toBe(ErrorCode.ACCESS_DENIED)
    expect((error as EciConsentError).error).toBe('access_denied')
  })
})
