/** Shared helpers of the CLI tests: an in-memory `io`, key files, the built binary. */
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { writeGrant, writeGrantConfig } from '../../src/cli/grant-store.js'
import type { CliIo } from '../../src/cli/main.js'
import { EciConsumer } from '../../src/index.js'
import { type MockProviderServerOptions, startMockProviderServer } from '../../src/mock/node/index.js'
import { ROOT } from '../examples/package-build.js'

export { ensureBuiltPackage, ROOT } from '../examples/package-build.js'

const execFileP = promisify(execFile)

/** An io whose streams record what was written; `waitFor` resolves when a pattern shows up. */
export function memoryIo(env: Record<string, string | undefined> = {}, extra: Partial<CliIo> = {}) {
  let stdout = ''
  let stderr = ''
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []
  const check = () => {
    for (const w of [...waiters]) {
      const m = (stdout + stderr).match(w.pattern)
      if (m) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  }
  const controller = new AbortController()
  const io: CliIo = {
    stdout: {
      write: (t: string) => {
        stdout += t
        check()
        return true
      },
    },
    stderr: {
      write: (t: string) => {
        stderr += t
        check()
        return true
      },
    },
    env,
    signal: controller.signal,
    openBrowser: () => {},
    ...extra,
  }
  return {
    io,
    stop: () => controller.abort(),
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)),
          timeoutMs,
        )
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer)
            resolve(m)
          },
        })
        check()
      })
    },
  }
}

/** A temporary directory with an ES256 key pair: `key.jwk` (private) and `jwks.json` (public). */
export async function keyDir() {
  const dir = await mkdtemp(join(tmpdir(), 'ecis-cli-'))
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = 'cli-test-key'
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }
  const keyPath = join(dir, 'key.jwk')
  const jwksPath = join(dir, 'jwks.json')
  await writeFile(keyPath, JSON.stringify(privateJwk), { mode: 0o600 })
  await writeFile(jwksPath, JSON.stringify({ keys: [publicJwk] }))
  return { dir, keyPath, jwksPath, publicJwk, privateJwk, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Runs the built `ecis` to completion with the test's Node; never rejects. */
export async function ecis(args: string[], env: Record<string, string | undefined> = {}) {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [join(ROOT, 'dist/cli/index.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      timeout: 30_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** Spawns the built `ecis` (dist/cli/index.js) with the test's Node. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/index.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    exit,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
      const start = Date.now()
      for (;;) {
        const m = stdout.match(pattern)
        if (m) return m
        if (child.exitCode !== null || Date.now() - start > timeoutMs) {
          throw new Error(`no ${pattern} from ecis; stdout:\n${stdout}\nstderr:\n${stderr}`)
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    },
  }
}

/**
 * A loopback mock provider, a client registered with it, and a grant obtained through the SDK
 * (auto consent), stored where the CLI looks for it (grant file + sidecar with the key path).
 */
export async function providerWithStoredGrant(options: Partial<MockProviderServerOptions> = {}) {
  const keys = await keyDir()
  const redirectUri = 'http://127.0.0.1/eci/callback'
  const server = await startMockProviderServer({
    port: 0,
    seed: 5,
    clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: { keys: [keys.publicJwk] } }],
    ...options,
  })
  const consumer = await EciConsumer.discover({
    issuer: server.issuer,
    clientId: 'acme-solar',
    clientAuth: { method: 'private_key_jwt', key: keys.privateJwk },
    redirectUri,
    allowInsecureRequests: true,
  })
  const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const answer = await fetch(url, { redirect: 'manual' })
  const grant = await consumer.completeConsent(answer.headers.get('location') as string, transaction)
  const grantFile = join(keys.dir, 'state', 'grant.json')
  await writeGrant(grantFile, grant)
  await writeGrantConfig(grantFile, { keyPath: keys.keyPath, allowInsecureRequests: true })
  return {
    keys,
    server,
    grant,
    grantFile,
    cleanup: async () => {
      await server.close()
      await keys.cleanup()
    },
  }
}
