/**
 * The browser app's side of consent (an SPA): `beginConsent` + `location.assign` sends the
 * customer to the provider; back on the redirect URI, `parseConsentCallback` checks `state`
 * and `iss` and the page POSTs `{ code, codeVerifier }` to its backend, which calls
 * `consumer.exchangeCode` (examples/backend/server.ts, `POST /api/eci/exchange`). No key, no
 * token and no ECI call ever lives in the page: it only runs the redirect.
 *
 * Run it with the backend (two terminals; Vite serves index.html and proxies /api to the backend):
 *
 *   npm run build && npx node examples/backend/server.ts
 *   npx vite --config examples/browser/vite.config.ts        # then open http://localhost:5173/
 */
import {
  beginConsent,
  type ConsentStore,
  EciConsentError,
  ErrorCode,
  parseConsentCallback,
  sessionStorageStore,
} from 'ecis-consumer/consent'

/** What the page needs to start consent; public values, served by the backend. */
export interface ConsentConfig {
  issuer: string
  clientId: string
  redirectUri: string
  /** Only for a provider on plain-HTTP loopback (the mock). */
  allowInsecureRequests?: boolean
}

export interface PageDeps {
  /** Origin of the backend; '' = same origin (the page's own server or its proxy). */
  backend?: string
  /** Where the transaction waits for the redirect back. @default sessionStorageStore() */
  store?: ConsentStore
  fetch?: typeof fetch
}

export async function loadConfig(deps: PageDeps = {}): Promise<ConsentConfig> {
  const res = await (deps.fetch ?? fetch)(`${deps.backend ?? ''}/api/eci/config`)
  if (!res.ok) throw new Error(`config: HTTP ${res.status}`)
  return (await res.json()) as ConsentConfig
}

/** "Connect your utility account": stores the transaction (PKCE verifier, state) and leaves for the provider. */
export async function connect(
  config: ConsentConfig,
  deps: PageDeps = {},
  navigate: (url: string) => void = (url) => location.assign(url),
): Promise<void> {
  const { url } = await beginConsent({
    ...config,
    scopes: ['basic', 'invoice', 'invoice_detail'],
    store: deps.store ?? sessionStorageStore(),
  })
  navigate(url)
}

/** Is this page load the provider's redirect back? */
export function isConsentCallback(href: string): boolean {
  const params = new URL(href).searchParams
  return params.has('state') && (params.has('code') || params.has('error'))
}

/** On the redirect URI: check the response, then hand code and verifier to the backend. */
export async function finishConsent(href: string, deps: PageDeps = {}): Promise<{ accounts: string[] }> {
  const { code, codeVerifier, redirectUri } = await parseConsentCallback(href, {
    store: deps.store ?? sessionStorageStore(),
  })
  const res = await (deps.fetch ?? fetch)(`${deps.backend ?? ''}/api/eci/exchange`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, codeVerifier, redirectUri }),
  })
  if (!res.ok) throw new Error(`code exchange: HTTP ${res.status}`)
  return (await res.json()) as { accounts: string[] }
}

/** What the page says when consent did not work out. */
export function explain(error: unknown): string {
  if (error instanceof EciConsentError) {
    if (error.code === ErrorCode.ACCESS_DENIED) return 'You declined to share your utility data. You can try again.'
    return 'That consent attempt is no longer valid. Please start again.'
  }
  return 'Something went wrong. Please try again later.'
}

// The page itself (skipped where there is no DOM, e.g. when a Node test imports this module).
if (typeof document !== 'undefined') {
  const status = document.querySelector<HTMLElement>('#status')
  const button = document.querySelector<HTMLButtonElement>('#connect')
  const list = document.querySelector<HTMLElement>('#accounts')
  const say = (text: string) => {
    if (status) status.textContent = text
  }

  button?.addEventListener('click', () => {
    say('Contacting your utility …')
    loadConfig()
      .then((config) => connect(config))
      .catch((error: unknown) => say(explain(error)))
  })

  if (isConsentCallback(location.href)) {
    const href = location.href
    history.replaceState(null, '', location.pathname) // the code leaves the address bar and history
    say('Finishing …')
    try {
      const { accounts } = await finishConsent(href)
      say(`Connected: ${accounts.length} account(s).`)
      // Data comes from the backend, which holds the grant and the signing key.
      const basics = (await (await fetch('/accounts')).json()) as { system_account_id: string; account_type: string }[]
      if (list) {
        list.replaceChildren(
          ...basics.map((b) =>
            Object.assign(document.createElement('li'), {
              textContent: `${b.system_account_id} (${b.account_type})`,
            }),
          ),
        )
      }
    } catch (error) {
      say(explain(error))
    }
  }
}
