// A provider that hangs or sends giant bodies: the suite ends in bounded time, each affected
// test failed with a typed SDK error as its evidence.
import { afterEach, describe, expect, it } from 'vitest'
import { runConformance } from '../../src/conformance/index.js'
import { createMockProvider } from '../../src/mock/index.js'
import { CLIENT_ID, ISSUER, makeKey, REDIRECT } from '../mock/helpers.js'
import { giant, type HostileServer, never, startHostileServer } from '../support/hostile-server.js'
import { autoConsent, handlerFetch } from './support.js'

let server: HostileServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The mock's authorization server, with its ECI endpoint (`eci_resource`) on the hostile server. */
async function hostileResource() {
  server = await startHostileServer()
  const resource = `${server.url}/eci/v1`
  const key = await makeKey()
  const mock = createMockProvider({
    issuer: ISSUER,
    resource,
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT], jwks: { keys: [key.publicJwk] } }],
  })
  const handlers = handlerFetch(mock)
  const hostileUrl = server.url
  const fetchImpl: typeof fetch = (input, init) =>
    String(input instanceof Request ? input.url : input).startsWith(hostileUrl)
      ? globalThis.fetch(input, init)
      : handlers(input, init)
  const run = () =>
    runConformance({
      issuer: ISSUER,
      clientId: CLIENT_ID,
      key: key.privateKey,
      redirectUri: REDIRECT,
      consent: autoConsent(fetchImpl),
      fetch: fetchImpl,
      allowInsecureRequests: true,
      timeout: 300,
    })
  return { server, run }
}

const TYPED = /^Eci\w*Error \[ERR_ECI_[A-Z_]+\]/

describe('ecis conformance against a hostile provider', () => {
  it('an issuer that never answers: the metadata test fails as a timeout and the rest is skipped, within seconds', async () => {
    server = await startHostileServer()
    server.on('/.well-known/oauth-authorization-server', never)
    server.on('/.well-known/openid-configuration', never)
    const started = Date.now()
    const report = await runConformance({
      issuer: server.url,
      clientId: CLIENT_ID,
      key: (await makeKey()).privateKey,
      redirectUri: REDIRECT,
      consent: async () => 'http://127.0.0.1/never',
      allowInsecureRequests: true,
      timeout: 400,
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    const location = report.results.find((r) => r.id === 'metadata.location')
    expect(location?.status).toBe('fail')
    expect(location?.reason).toMatch(/EciNetworkError \[ERR_ECI_TIMEOUT\]/)
    expect(report.conformant).toBe(false)
    expect(report.results.filter((r) => r.status === 'pass').map((r) => r.id)).toEqual(['issuer.https'])
  })

  it('an ECI endpoint that hangs: every ECI test fails as a typed timeout, each within its deadline', async () => {
    const { server, run } = await hostileResource()
    server.on('/eci/v1', never)
    const started = Date.now()
    const report = await run()
    const eci = report.results.filter((r) => r.id.startsWith('eci.request.'))
    expect(eci.map((r) => r.status)).toEqual(['fail', 'skip', 'skip'])
    expect(eci[0]?.evidence?.detail).toMatch(/^EciNetworkError \[ERR_ECI_TIMEOUT\]/)
    expect(report.results.find((r) => r.id === 'eci.jwt.expired')?.status).toBe('skip')
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(report.conformant).toBe(false)
  })

  it('an ECI endpoint that sends giant bodies: the reads stop at the cap, typed, and the run goes on', async () => {
    const { server, run } = await hostileResource()
    server.on('/eci/v1', giant(64 * 1024 * 1024, { declare: false }))
    const started = Date.now()
    const report = await run()
    const basic = report.results.find((r) => r.id === 'eci.request.basic')
    expect(basic?.status).toBe('fail')
    expect(basic?.evidence?.detail).toMatch(TYPED)
    expect(basic?.evidence?.detail).toMatch(/exceeds|ERR_ECI_TIMEOUT/)
    expect(Date.now() - started).toBeLessThan(15_000)
    // The run reached the token tests after the ECI ones.
    expect(report.results.at(-1)?.id).toBe('token.code-single-use')
    expect(JSON.stringify(report)).not.toMatch(/eyJ[\w-]+\.eyJ/)
  })
})
