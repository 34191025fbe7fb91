/**
 * One set of URL and metadata rules: the same inputs through `EciConsumer.discover` (backend)
 * and the browser consent entry's `beginConsent` must get the same verdict.
 */
import { describe, expect, it } from 'vitest'
import { beginConsent, memoryStore } from '../../src/consent/index.js'
import { EciConsumer, type EciError } from '../../src/index.js'
import { makeKeys } from '../support/eci-endpoint.js'
import { ISSUER, metadataFetch, REDIRECT_URI } from './helpers.js'

interface Case {
  name: string
  metadata?: Record<string, unknown>
  issuer?: string
  resource?: string
  redirectUri?: string
  /** `ok`, or the error code both sides must throw. */
  verdict: 'ok' | 'ERR_ECI_INVALID_METADATA' | 'ERR_ECI_INVALID_OPTION'
}

const CASES: Case[] = [
  {
    name: 'a resource option equal to eci_resource but for the default port :443 is the same resource',
    resource: 'https://api.utility.example:443/eci/v1',
    verdict: 'ok',
  },
  {
    name: 'an eci_resource spelled with :443 equals the resource option without it',
    metadata: { eci_resource: 'https://API.utility.example:443/eci/v1' },
    resource: 'https://api.utility.example/eci/v1',
    verdict: 'ok',
  },
  {
    name: 'a trailing slash makes another resource',
    resource: 'https://api.utility.example/eci/v1/',
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'another host is another resource',
    resource: 'https://api.other.example/eci/v1',
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'an issuer with a query is refused (RFC 8414 §2)',
    issuer: `${ISSUER}?tenant=1`,
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  { name: 'an issuer with a fragment is refused', issuer: `${ISSUER}#x`, verdict: 'ERR_ECI_INVALID_OPTION' },
  {
    name: 'an http issuer is refused without allowInsecureRequests',
    issuer: 'http://auth.utility.example',
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  {
    name: 'an ftp:// redirect URI is refused',
    redirectUri: 'ftp://acme.example/cb',
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  {
    name: 'a javascript: redirect URI is refused',
    redirectUri: 'javascript:alert(1)',
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  {
    name: 'an http redirect URI off loopback is refused',
    redirectUri: 'http://acme.example/cb',
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  {
    name: 'a loopback http redirect URI is accepted (RFC 8252 §7.3)',
    redirectUri: 'http://127.0.0.1:8123/cb',
    verdict: 'ok',
  },
  {
    name: 'a reverse-DNS app scheme redirect URI is accepted (RFC 8252 §7.1)',
    redirectUri: 'com.acme.solar:/cb',
    verdict: 'ok',
  },
  {
    name: 'a redirect URI with a fragment is refused',
    redirectUri: `${REDIRECT_URI}#frag`,
    verdict: 'ERR_ECI_INVALID_OPTION',
  },
  {
    name: 'an http eci_resource is refused',
    metadata: { eci_resource: 'http://api.utility.example/eci/v1' },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'an http jwks_uri is refused',
    metadata: { jwks_uri: 'http://auth.utility.example/jwks' },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'an eci_resource that is not a URL is refused',
    metadata: { eci_resource: 'not a url' },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'a provider without PKCE S256 is refused',
    metadata: { code_challenge_methods_supported: ['plain'] },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'a provider without the code flow is refused',
    metadata: { response_types_supported: ['token'] },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
  {
    name: 'a provider whose lists are not lists is refused',
    metadata: { scopes_supported: 'eci:basic' },
    verdict: 'ERR_ECI_INVALID_METADATA',
  },
]

async function verdict(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    return (error as EciError).code ?? String(error)
  }
}

describe('URL and metadata rules are one set: discover and the consent entry agree', async () => {
  const keys = await makeKeys('ES256')
  for (const c of CASES) {
    it(c.name, async () => {
      const backend = await verdict(() =>
        EciConsumer.discover({
          issuer: c.issuer ?? ISSUER,
          clientId: 'acme-solar',
          clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
          redirectUri: c.redirectUri ?? REDIRECT_URI,
          fetch: metadataFetch(c.metadata) as typeof fetch,
          ...(c.resource ? { resource: c.resource } : {}),
        }),
      )
      const browser = await verdict(() =>
        beginConsent({
          issuer: c.issuer ?? ISSUER,
          clientId: 'acme-solar',
          redirectUri: c.redirectUri ?? REDIRECT_URI,
          scopes: ['basic'],
          store: memoryStore(),
          fetch: metadataFetch(c.metadata),
          ...(c.resource ? { resource: c.resource } : {}),
        }),
      )
      expect({ backend, browser }).toEqual({ backend: c.verdict, browser: c.verdict })
    })
  }
})
