// The key lifecycle commands as real processes: `ecis keygen --rotate` writes the next key and
// prints the JWKS of both (the SDK signs with either, under the printed kids), and
// `ecis registration` prints the RFC 7591 client metadata a utility's onboarding asks for.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { publicJwks, signRequestJwt } from '../../src/index.js'
import { ecis, ensureBuiltPackage, keyDir } from './support.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
beforeAll(() => ensureBuiltPackage(), 180_000)

async function keys() {
  const k = await keyDir()
  cleanups.push(k.cleanup)
  return k
}

describe('ecis keygen --rotate', () => {
  it('writes the next key beside the current one (0600) and prints the JWKS of both, next first', async () => {
    const k = await keys()
    const r = await ecis(['keygen', '--rotate', k.keyPath])
    expect(r.code).toBe(0)
    const next = join(k.dir, 'key.next.jwk')
    expect((await stat(next)).mode & 0o777).toBe(0o600)
    const nextJwk = JSON.parse(await readFile(next, 'utf8'))
    expect(nextJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' })
    const printed = JSON.parse(r.stdout)
    expect(printed).toEqual(await publicJwks([nextJwk, k.privateJwk]))
    expect(printed.keys.map((key: { kid: string }) => key.kid)).toEqual([nextJwk.kid, 'cli-test-key'])
    expect(r.stdout).not.toContain(nextJwk.d)
    expect(r.stdout).not.toContain(k.privateJwk.d as string)
    expect(r.stderr).toContain('signingKeys: [next, current]')
    // The next key signs under the kid the JWKS publishes.
    const jwt = await signRequestJwt({
      key: nextJwk,
      clientId: 'acme-solar',
      audience: 'https://api.utility.example/eci/v1',
      accessToken: 'at',
      claims: { eci_request_type: 'basic', system_account_id: 'a' },
    })
    expect(JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid).toBe(nextJwk.kid)
    // Run again, the next key file is kept unless --force.
    expect((await ecis(['keygen', '--rotate', k.keyPath])).code).toBe(1)
  })

  it('refuses a current key that is not a private key file', async () => {
    const k = await keys()
    const r = await ecis(['keygen', '--rotate', k.jwksPath, '--out', join(k.dir, 'n.jwk')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/does not hold a JWK|public key/)
  })
})

describe('ecis registration', () => {
  it('prints RFC 7591 client metadata with the public JWKS and a checklist on stderr', async () => {
    const k = await keys()
    const r = await ecis([
      'registration',
      '--key',
      k.keyPath,
      '--redirect-uri',
      'https://acme.example/eci/callback',
      '--redirect-uri',
      'http://127.0.0.1/eci/callback',
      '--client-name',
      'Acme Solar',
      '--dpop',
    ])
    expect(r.code).toBe(0)
    const metadata = JSON.parse(r.stdout)
    expect(metadata).toEqual({
      client_name: 'Acme Solar',
      redirect_uris: ['https://acme.example/eci/callback', 'http://127.0.0.1/eci/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: await publicJwks([k.privateJwk]),
      scope: 'eci:basic eci:invoice eci:invoice_detail',
      authorization_details_types: ['eci'],
      dpop_bound_access_tokens: true,
    })
    expect(r.stdout).not.toContain(k.privateJwk.d as string)
    expect(r.stderr).toContain('client_id')
  })

  it('publishes a jwks_uri instead of the JWKS, and a public client has no assertion algorithm', async () => {
    const k = await keys()
    const r = await ecis([
      'registration',
      '--key',
      k.keyPath,
      '--redirect-uri',
      'com.acme.app:/callback',
      '--jwks-uri',
      'https://acme.example/.well-known/jwks.json',
      '--public',
    ])
    expect(r.code).toBe(0)
    const metadata = JSON.parse(r.stdout)
    expect(metadata.jwks_uri).toBe('https://acme.example/.well-known/jwks.json')
    expect(metadata).not.toHaveProperty('jwks')
    expect(metadata.token_endpoint_auth_method).toBe('none')
    expect(metadata).not.toHaveProperty('token_endpoint_auth_signing_alg')
  })

  it.each([
    [['--redirect-uri', 'https://a.example/cb'], /--key is required/],
    [['--key', 'K'], /--redirect-uri is required/],
    [['--key', 'K', '--redirect-uri', 'http://acme.example/cb'], /--redirect-uri. must be an https/],
    [['--key', 'K', '--redirect-uri', 'https://a.example/cb', '--jwks-uri', 'http://a.example/j'], /https: URL/],
  ])('refuses %j', async (args, message) => {
    const k = await keys()
    const r = await ecis(['registration', ...args.map((a) => (a === 'K' ? k.keyPath : a))])
    expect(r.code).toBeGreaterThan(0)
    expect(r.stderr).toMatch(message)
  })
})
