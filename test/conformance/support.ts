/** Runs the conformance suite against the mock provider through its MSW handlers (no network). */
import { getResponse } from 'msw'
import { type ConformanceOptions, runConformance } from '../../src/conformance/index.js'
import { createMockProvider, type MockProvider, type MockProviderOptions } from '../../src/mock/index.js'
import { CLIENT_ID, ISSUER, makeKey, REDIRECT, RESOURCE } from '../mock/helpers.js'

/** A `fetch` answered by the provider's handlers. */
export function handlerFetch(provider: MockProvider): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    return (await getResponse(provider.handlers, request)) ?? new Response(null, { status: 404 })
  }
}

/** The consent of a mock with `consent: 'auto'`: the authorize redirect, not followed. */
export function autoConsent(fetchImpl: typeof fetch) {
  return async (url: string) => {
    const answer = await fetchImpl(url, { redirect: 'manual' })
    return answer.headers.get('location') as string
  }
}

/** The suite against a fresh mock with `provider` options; rate limit 30 per minute, one burst of 20. */
export async function runAgainstMock(
  provider: Partial<MockProviderOptions> = {},
  run: Partial<ConformanceOptions> = {},
) {
  const key = await makeKey()
  const mock = createMockProvider({
    issuer: ISSUER,
    resource: RESOURCE,
    clients: [
      {
        clientId: CLIENT_ID,
        redirectUris: [REDIRECT],
        jwks: { keys: [key.publicJwk] },
        rateLimit: { max: 30, windowMs: 60_000 },
      },
    ],
    ...provider,
  })
  const fetchImpl = handlerFetch(mock)
  const report = await runConformance({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    key: key.privateKey,
    redirectUri: REDIRECT,
    consent: autoConsent(fetchImpl),
    foreignAccount: mock.fixtures.owners[1]?.accounts[0]?.systemAccountId,
    rateLimitBurst: 20,
    destructive: true,
    fetch: fetchImpl,
    ...run,
  })
  return { report, mock, failed: report.results.filter((r) => r.status === 'fail').map((r) => r.id) }
}
