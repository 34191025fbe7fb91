// The shipped mock provider (ecis-consumer/mock/node) on loopback, for the browser project's
// real-redirect consent test. Runs in the vitest main process (Node); the browser tests find it
// with inject('consentAuthServer'). The test page is served on 127.0.0.1 (vitest.config.ts), so
// its callback is a loopback IP redirect URI, which the provider matches on any port
// (RFC 8252 §7.3).
import type { TestProject } from 'vitest/node'
import { startMockProviderServer } from '../../src/mock/node/index.js'
import { BROWSER_CLIENT, CALLBACK_PATH, REFUSING_CLIENT } from './helpers.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Issuer URL of the mock provider (http://127.0.0.1:port). */
    consentAuthServer: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redirectUris = [`http://127.0.0.1${CALLBACK_PATH}`]
  const server = await startMockProviderServer({
    port: 0,
    clients: [
      { clientId: BROWSER_CLIENT, redirectUris, authMethod: 'none' },
      { clientId: REFUSING_CLIENT, redirectUris, authMethod: 'none' },
    ],
    // The refusing client's customer always declines.
    consent: (request) => (request.clientId === REFUSING_CLIENT ? 'deny' : {}),
  })
  project.provide('consentAuthServer', server.issuer)
  return () => server.close()
}
