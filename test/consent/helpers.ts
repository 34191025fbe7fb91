import type { EciError } from '../../src/errors.js'

export const ISSUER = 'https://auth.utility.example'
export const CLIENT_ID = 'acme-solar'
export const REDIRECT_URI = 'https://acme.example/eci/callback'
export const ECI_RESOURCE = 'https://api.utility.example/eci/v1'
export const AUTHORIZE = `${ISSUER}/oauth/authorize`

/** Path of the browser test's callback page (on the test page's own 127.0.0.1 origin). */
export const CALLBACK_PATH = '/__ecis-consent-callback'

/** Clients of the loopback mock provider; `REFUSING_CLIENT`'s customer always declines. */
export const BROWSER_CLIENT = 'browser-app'
export const REFUSING_CLIENT = 'refusing-app'

/** A conformant provider's metadata, with overrides. */
export function providerMetadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: ISSUER,
    authorization_endpoint: AUTHORIZE,
    token_endpoint: `${ISSUER}/oauth/token`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    authorization_details_types_supported: ['eci'],
    eci_resource: ECI_RESOURCE,
    ...overrides,
  }
}

export interface FakeFetch {
  (input: string, init: RequestInit): Promise<Response>
  calls: string[]
}

/** A fetch that answers from a table of URL → response factory, 404 for anything else. */
export function fakeFetch(routes: Record<string, () => Response | Promise<Response>>): FakeFetch {
  const calls: string[] = []
  const f = async (input: string, _init: RequestInit): Promise<Response> => {
    calls.push(input)
    const route = routes[input]
    return route ? route() : new Response('not found', { status: 404 })
  }
  return Object.assign(f, { calls })
}

/** fakeFetch serving `metadata` at the RFC 8414 location of ISSUER. */
export function metadataFetch(overrides: Record<string, unknown> = {}): FakeFetch {
  return fakeFetch({
    [`${ISSUER}/.well-known/oauth-authorization-server`]: () => Response.json(providerMetadata(overrides)),
  })
}

/** base64url(SHA-256(verifier)), computed here independently of the SDK. */
export async function s256(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  return btoa(Array.from(digest, (b) => String.fromCharCode(b)).join(''))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replaceAll('=', '')
}

/** Runs `fn` and returns what it threw (fails the test when nothing is thrown). */
export async function caught(fn: () => unknown): Promise<EciError> {
  try {
    await fn()
  } catch (error) {
    return error as EciError
  }
  throw new Error('expected a throw, got none')
}

/** Every printable form of an error: message, toString, JSON, stack. */
export function printable(error: unknown): string {
  const e = error as Error
  return [e.message, String(e), JSON.stringify(e), e.stack ?? ''].join('\n')
}
