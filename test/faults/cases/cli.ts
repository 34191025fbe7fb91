/** The `ecis` CLI as a real process against the hostile provider; every output line is collected. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { writeGrant, writeGrantConfig } from '../../../src/cli/grant-store.js'
import { ErrorCode } from '../../../src/index.js'
import { ensureBuiltPackage, spawnCli } from '../../cli/support.js'
import { closedPort } from '../../hostile/support.js'
import { type Behaviour, echo, endless, json, redirect } from '../../support/hostile-server.js'
import { CliOutcome, type FaultCase, type World } from '../harness.js'
import { ACCOUNT, CODE, grantFor, knownSecrets, metadataAt, serveMetadata } from '../provider.js'
import { basicBody } from './eci.js'

/** Peak RSS (VmHWM) of a process, MB, from /proc; 0 when it is gone. */
async function peakRss(pid: number | undefined): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

/**
 * Runs `ecis args…` and collects its output. `limitMs` kills a process that does not end: a
 * hang is a finding, reported as the outcome `killed`.
 */
async function ecis(
  w: World,
  args: string[],
  env: Record<string, string> = {},
  during?: (cli: ReturnType<typeof spawnCli>) => Promise<void>,
  limitMs = 8000,
) {
  const cli = spawnCli(args, { NO_COLOR: '1', ...env })
  let peak = 0
  const poll = setInterval(async () => {
    peak = Math.max(peak, await peakRss(cli.child.pid))
  }, 20)
  const kill = setTimeout(() => cli.child.kill('SIGKILL'), limitMs)
  try {
    if (during) await during(cli).catch(() => {})
    const exit = await cli.exit
    w.collector.lines(`${w.label} (stdout)`, cli.stdout)
    w.collector.lines(`${w.label} (stderr)`, cli.stderr)
    return new CliOutcome(exit, cli.stdout, cli.stderr, peak)
  } finally {
    clearInterval(poll)
    clearTimeout(kill)
  }
}

/** A key file and a stored grant for the hostile provider, as `ecis consent` would leave them. */
async function storedGrant(w: World, dir: string, fresh = true) {
  const keyPath = join(dir, 'key.jwk')
  await writeFile(keyPath, JSON.stringify(w.keys.privateJwk), { mode: 0o600 })
  const grantFile = join(dir, 'grant.json')
  await writeGrant(grantFile, grantFor(w, { fresh }))
  await writeGrantConfig(grantFile, { keyPath, allowInsecureRequests: true })
  return { keyPath, grantFile }
}

/** `ecis <command> …` with a stored grant; `/eci` (and `/token`) answer as given. */
const withGrant =
  (args: string[], eci: Behaviour, token?: Behaviour, fresh = true) =>
  async (w: World) => {
    await ensureBuiltPackage()
    knownSecrets(w)
    serveMetadata(w)
    w.server.on('/eci', eci)
    if (token) w.server.on('/token', token)
    const { grantFile } = await storedGrant(w, await tempDir(), fresh)
    w.start()
    return ecis(w, args, { ECIS_GRANT_FILE: grantFile })
  }

async function tempDir(): Promise<string> {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  return mkdtemp(join(tmpdir(), 'ecis-faults-'))
}

const failsWith = (code: ErrorCode, name: string, check?: (o: CliOutcome) => void): FaultCase['expect'] => ({
  outcome: name as FaultCase['expect']['outcome'],
  code,
  check: (o) => {
    expect((o as CliOutcome).exit).toBe(1)
    check?.(o as CliOutcome)
  },
})

export const cliCases: FaultCase[] = [
  {
    area: 'cli',
    name: 'ecis basic: 401 loop, refresh refused',
    did: '401 echoing the request; token 400 invalid_grant echoing the form',
    expect: { ...failsWith(ErrorCode.INVALID_GRANT, 'EciConsentError'), attempts: { '/eci': 1, '/token': 1 } },
    run: withGrant(
      ['basic', ACCOUNT],
      echo(401, 'invalid_token', ['www-authenticate', 'body', 'request-id']),
      echo(400, 'invalid_grant', ['body', 'request-id']),
    ),
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis basic: redirect',
    did: '307 to another origin with the token in the query',
    expect: failsWith(ErrorCode.UNEXPECTED_REDIRECT, 'EciHttpError', (o) => expect(o.stderr).not.toContain('steal')),
    run: (w) => withGrant(['basic', ACCOUNT], redirect(307, `${w.other.url}/steal?x=1`))(w),
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis basic --lenient: echo as a field',
    did: 'Basic with the request JWT as an unknown field name',
    expect: { outcome: 'ok', check: (o) => expect((o as CliOutcome).stderr).toContain('deviation') },
    run: withGrant(['basic', ACCOUNT, '--lenient'], (req, res, body) =>
      json(200, { ...basicBody({ next_read_date: '2026-12-15T00:00:00Z' }), [body.trim()]: 1 })(req, res, body),
    ),
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis invoices --json: refresh echo',
    did: 'expired grant; token 400 invalid_request echoing the form',
    expect: failsWith(ErrorCode.HTTP_ERROR, 'EciHttpError'),
    run: withGrant(
      ['invoices', ACCOUNT, '--json'],
      json(200, basicBody()),
      echo(400, 'invalid_request', ['body', 'request-id', 'www-authenticate']),
      false,
    ),
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis consent: token echo',
    did: 'authorize redirects back; token 400 echoing code, verifier, assertion',
    expect: failsWith(ErrorCode.HTTP_ERROR, 'EciHttpError'),
    run: async (w) => {
      await ensureBuiltPackage()
      knownSecrets(w)
      const dir = await tempDir()
      const keyPath = join(dir, 'key.jwk')
      await writeFile(keyPath, JSON.stringify(w.keys.privateJwk), { mode: 0o600 })
      w.server.on(
        '/.well-known/oauth-authorization-server',
        json(200, metadataAt(w.server.url, { authorization_response_iss_parameter_supported: true })),
      )
      w.server.on('/authorize', (req, res) => {
        const q = new URL(req.url ?? '/', 'http://x').searchParams
        const back = new URL(q.get('redirect_uri') ?? '')
        back.searchParams.set('code', CODE)
        back.searchParams.set('state', q.get('state') ?? '')
        back.searchParams.set('iss', w.server.url)
        res.writeHead(302, { location: back.href }).end()
      })
      w.server.on('/token', echo(400, 'invalid_request', ['body', 'request-id', 'www-authenticate']))
      w.start()
      const args = ['consent', '--issuer', w.server.url, '--client-id', 'acme-solar', '--key', keyPath]
      return ecis(
        w,
        [...args, '--allow-insecure', '--no-open', '--timeout', '5', '--grant-file', join(dir, 'g.json')],
        {},
        async (cli) => {
          const start = Date.now()
          let url: string | undefined
          while (!url && Date.now() - start < 10_000 && cli.child.exitCode === null) {
            url = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(cli.stderr)?.[1]
            if (!url) await new Promise((r) => setTimeout(r, 50))
          }
          if (url) await fetch(url).catch(() => {})
        },
      )
    },
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis consent: unreachable issuer',
    did: 'nothing listens at the issuer',
    expect: failsWith(ErrorCode.NETWORK, 'EciNetworkError', (o) => expect(o.stderr).toContain('ECONNREFUSED')),
    run: async (w) => {
      await ensureBuiltPackage()
      knownSecrets(w)
      const dir = await tempDir()
      const keyPath = join(dir, 'key.jwk')
      await writeFile(keyPath, JSON.stringify(w.keys.privateJwk), { mode: 0o600 })
      const port = await closedPort()
      w.start()
      return ecis(w, [
        'consent',
        '--issuer',
        `http://127.0.0.1:${port}`,
        '--client-id',
        'acme-solar',
        '--key',
        keyPath,
        '--allow-insecure',
        '--no-open',
        '--grant-file',
        join(dir, 'g.json'),
      ])
    },
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis check: wrong issuer',
    did: 'metadata naming another issuer',
    expect: { outcome: 'exit 1' as FaultCase['expect']['outcome'] },
    run: async (w) => {
      await ensureBuiltPackage()
      knownSecrets(w)
      w.server.on('/.well-known/oauth-authorization-server', json(200, metadataAt('https://evil.example')))
      w.start()
      return ecis(w, ['check', '--issuer', w.server.url, '--allow-insecure'], {
        ECIS_GRANT_FILE: '/nonexistent/grant.json',
      })
    },
    limitMs: 30_000,
  },
  {
    area: 'cli',
    name: 'ecis check: endless metadata',
    did: 'chunked spaces without end at both locations',
    expect: {
      outcome: 'exit 1' as FaultCase['expect']['outcome'],
      check: (o) => expect((o as CliOutcome).peakRssMb).toBeLessThan(300),
    },
    run: async (w) => {
      await ensureBuiltPackage()
      knownSecrets(w)
      w.server.on('/.well-known/oauth-authorization-server', endless)
      w.server.on('/.well-known/openid-configuration', endless)
      w.start()
      return ecis(
        w,
        ['check', '--issuer', w.server.url, '--allow-insecure'],
        { ECIS_GRANT_FILE: '/nonexistent/grant.json' },
        undefined,
        6000,
      )
    },
    limitMs: 30_000,
  },
]
