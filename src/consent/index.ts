/**
 * `ecis-consumer/consent`: the small browser entry. Sends the customer to the provider's
 * consent page and checks the redirect back (PKCE, `state`, `iss`), handing the code and PKCE
 * verifier to the app's backend. No request signing, no zod, no HTTP client: it stays small.
 *
 * @example
 * ```ts
 * import { beginConsent, parseConsentCallback, sessionStorageStore } from 'ecis-consumer/consent'
 *
 * const { url } = await beginConsent({ issuer, clientId, redirectUri, scopes: ['basic'], store: sessionStorageStore() })
 * location.assign(url)
 * // … on the redirect page:
 * const { code, codeVerifier } = await parseConsentCallback(location.href, { store: sessionStorageStore() })
 * ```
 *
 * @module
 */

export {
  type ConsentErrorCode,
  EciConfigError,
  EciConsentError,
  EciError,
  type EciErrorOptions,
  EciHttpError,
  EciNetworkError,
  ErrorCode,
} from '../errors.js'
export type { FetchLike } from './discovery.js'
export {
  type BrowserConsentOptions,
  type BrowserConsentResult,
  beginConsent,
  type ConsentCallbackResult,
  type ParseConsentCallbackOptions,
  parseConsentCallback,
} from './flow.js'
export { type ConsentScope, DEFAULT_SCOPE_NAMES } from './scopes.js'
export {
  type ConsentStore,
  memoryStore,
  type SessionStorageStoreOptions,
  type StorageLike,
  sessionStorageStore,
} from './store.js'
