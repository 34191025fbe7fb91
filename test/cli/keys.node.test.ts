// Keys with the built `ecis` binary: `ecis keygen` makes a key pair whose JWKS a provider
// registers and whose private key the SDK signs with; SEC1 and PKCS#1 PEM files (what openssl
// writes) work as --key; encrypted ones are refused with the command that fixes them.
import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { SignJWT } from 'jose/jwt/sign'
import { jwtVerify } from 'jose/jwt/verify'
import { importJWK, importPKCS8 } from 'jose/key/import'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeGrant, writeGrantConfig } from '../../src/cli/grant-store.js'
import { EciConsumer } from '../../src/index.js'
import { startMockProviderServer } from '../../src/mock/node/index.js'
import { ecis, ensureBuiltPackage, keyDir } from './support.js'

const run = promisify(execFile)
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
beforeAll(() => ensureBuiltPackage(), 180_000)

async function tempDir() {
  const keys = await keyDir()
  cleanups.push(keys.cleanup)
  return keys.dir
}

interface Jwks {
  keys: ({ kty: string; kid: string; alg: string; use: string } & Record<string, unknown>)[]
}

/** A mock provider that registers `jwks`, a grant made through the SDK with `key`, stored for the CLI at `keyPath`. */
async function grantFor(jwks: Jwks, key: string | Record<string, unknown>, keyPath: string, dir: string) {
  const redirectUri = 'http://127.0.0.1/eci/callback'
  const server = await startMockProviderServer({
    port: 0,
    clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: jwks as never }],
  })
  cleanups.push(() => server.close())
  const consumer = await EciConsumer.discover({
    issuer: server.issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: key as never },
    redirectUri,
    allowInsecureRequests: true,
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic'] })
  const answer = await fetch(url, { redirect: 'manual' })
  const grant = await consumer.completeConsent(answer.headers.get('location') as string, transaction)
  const grantFile = join(dir, 'grant.json')
  await writeGrant(grantFile, grant)
  await writeGrantConfig(grantFile, { keyPath, allowInsecureRequests: true })
  return { server, grant, env: { ECIS_GRANT_FILE: grantFile } }
}

describe('ecis keygen', () => {
  it('writes an ES256 private JWK (0600) and prints the JWKS a provider registers; the pair works end to end', async () => {
    const dir = await tempDir()
    const out = join(dir, 'client.jwk')
    const r = await ecis(['keygen', '--out', out])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`wrote the ES256 private key to ${out} (mode 0600`)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
    const jwks = JSON.parse(r.stdout) as Jwks
    expect(jwks.keys).toHaveLength(1)
    const [pub] = jwks.keys
    expect(pub).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(Object.keys(pub ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    expect(pub?.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: pub?.x, y: pub?.y } as never))
    const priv = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>
    expect(priv).toMatchObject({ kty: 'EC', crv: 'P-256', kid: pub?.kid, alg: 'ES256', x: pub?.x })
    expect(typeof priv.d).toBe('string')
    expect(r.stdout).not.toContain(priv.d as string)

    // The provider registers the printed JWKS; the CLI reads data with the private key file.
    const w = await grantFor(jwks, priv, out, dir)
    const basic = await ecis(['basic', w.grant.accounts[0] as string, '--json'], w.env)
    expect(basic.code).toBe(0)
    expect(JSON.parse(basic.stdout)).toEqual(w.server.provider.fixtures.basic(w.grant.accounts[0] as string))

    const again = await ecis(['keygen', '--out', out])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/exists; pass --force to replace it\n$/)
    expect(JSON.parse(await readFile(out, 'utf8')).d).toBe(priv.d)
    expect((await ecis(['keygen', '--out', out, '--force'])).code).toBe(0)
    expect(JSON.parse(await readFile(out, 'utf8')).d).not.toBe(priv.d)
  })

  it('makes EdDSA keys as PKCS8 PEM and RSA keys of a chosen size, with --jwks-out', async () => {
    const dir = await tempDir()
    const pem = join(dir, 'ed.pem')
    const jwksOut = join(dir, 'ed.jwks.json')
    const ed = await ecis(['keygen', '--alg', 'EdDSA', '--format', 'pem', '--out', pem, '--jwks-out', jwksOut])
    expect(ed.code).toBe(0)
    const text = await readFile(pem, 'utf8')
    expect(text).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect((await stat(pem)).mode & 0o777).toBe(0o600)
    const jwks = JSON.parse(ed.stdout) as Jwks
    expect(JSON.parse(await readFile(jwksOut, 'utf8'))).toEqual(jwks)
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })
    // What the private key signs, the printed public key verifies.
    const jwt = await new SignJWT({ ok: true })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(await importPKCS8(text, 'EdDSA'))
    const { payload } = await jwtVerify(jwt, await importJWK(jwks.keys[0] as never, 'EdDSA'))
    expect(payload.ok).toBe(true)

    const rsa = await ecis(['keygen', '--alg', 'PS256', '--bits', '2048', '--out', join(dir, 'rsa.jwk')])
    expect(rsa.code).toBe(0)
    const rsaJwks = JSON.parse(rsa.stdout) as Jwks
    expect(rsaJwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'PS256', e: 'AQAB' })
    expect(Buffer.from(rsaJwks.keys[0]?.n as string, 'base64url').length).toBe(256)
  }, 60_000)

  it('refuses options that do not fit (exit 2)', async () => {
    const dir = await tempDir()
    expect((await ecis(['keygen', '--alg', 'HS256', '--out', join(dir, 'k')])).stderr).toMatch(
      /^ecis: --alg must be one of ES256, /,
    )
    expect((await ecis(['keygen', '--alg', 'ES256', '--bits', '2048'])).stderr).toMatch(/--bits is for RSA keys/)
    expect((await ecis(['keygen', '--alg', 'RS256', '--format', 'pem'])).code).toBe(2)
  })
})

describe('PEM keys that are not PKCS8', () => {
  for (const kind of ['SEC1 (openssl ecparam -genkey)', 'PKCS#1 (openssl genrsa -traditional)'] as const) {
    it(`accepts ${kind} as --key, converted to PKCS8`, async () => {
      const dir = await tempDir()
      const path = join(dir, 'key.pem')
      if (kind.startsWith('SEC1')) {
        await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-out', path])
      } else {
        await run('openssl', ['genrsa', '-traditional', '-out', path, '2048'])
      }
      const text = await readFile(path, 'utf8')
      expect(text).toContain(
        kind.startsWith('SEC1') ? '-----BEGIN EC PRIVATE KEY-----' : '-----BEGIN RSA PRIVATE KEY-----',
      )
      // The provider registers the key's public part, as `ecis mock --jwks key.pem` would.
      const { stdout: pkcs8 } = await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', path])
      const { createPublicKey } = await import('node:crypto')
      const pub = createPublicKey(pkcs8).export({ format: 'jwk' }) as Record<string, unknown>
      const kid = await calculateJwkThumbprint(pub as never)
      const alg = kind.startsWith('SEC1') ? 'ES256' : 'PS256'
      const w = await grantFor({ keys: [{ ...pub, kid, alg, use: 'sig' } as never] }, pkcs8, path, dir)
      const r = await ecis(['basic', w.grant.accounts[0] as string], w.env)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^system_account_id +\S+$/m)
    }, 60_000)
  }

  it('refuses an encrypted PEM with the command that decrypts it', async () => {
    const dir = await tempDir()
    const path = join(dir, 'enc.pem')
    await run('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-aes-128-cbc',
      '-pass',
      'pass:secret-pass',
      '-out',
      path,
    ])
    const r = await ecis(['consent', '--issuer', 'https://auth.utility.example', '--client-id', 'c', '--key', path])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      `ecis: EciConfigError [ERR_ECI_INVALID_KEY]: The key file ${path} is encrypted; decrypt it with: openssl pkey -in KEY -out key.pem\n`,
    )
  })
})
