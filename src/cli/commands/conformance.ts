/**
 * `ecis conformance`: the provider conformance suite (`runConformance`) from the terminal —
 * consent once through the loopback redirect (or a stored grant), a progress line on stderr,
 * the results as a table or JSON, a report file. Exit 1 when a MUST test fails.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CONFORMANCE_TESTS } from '../../conformance/catalog.js'
import type { ConformanceProgress, ConformanceReport } from '../../conformance/index.js'
import { runConformance } from '../../conformance/run.js'
import { isConsentScope } from '../../consent/scopes.js'
import type { Grant } from '../../grant/grant.js'
import { integer, list, parse, positionals, required } from '../args.js'
import { canOpenBrowser, openInBrowser } from '../browser.js'
import { readGrant, readGrantConfig, writeGrant } from '../grant-store.js'
import { requireHttpsUnlessAllowed } from '../insecure.js'
import { type CliIo, json, line, UsageError } from '../io.js'
import { readPrivateKey, rememberKey } from '../keys.js'
import { canRedraw } from '../progress.js'
import { table } from '../table.js'
import { callbackListener, waitForRedirect } from './consent.js'

export const CONFORMANCE_USAGE = `Usage: ecis conformance --issuer URL --client-id ID --key FILE [options]

The ECIS provider conformance suite: every MUST and SHOULD of docs/protocol.md as one named
test (metadata, PKCE, state, iss, PAR, RAR, the token endpoint, and each request and refusal
of the ECI endpoint), with its section, pass/fail/skipped and the evidence (never a secret).
Consents once through a loopback redirect (RFC 8252), or uses a stored grant. Exit code 1
when a MUST test fails. See docs/conformance.md.

Options:
  --issuer URL               the provider's issuer
  --client-id ID             your client_id at the provider
  --key FILE                 your private key (default with --grant: the path stored next to it)
  --grant FILE               test with the grant stored in FILE (no consent); rotated grants
                             are written back to it
  --only LIST                comma-separated test ids or prefixes (e.g. eci.jwt,authz)
  --report FILE              write the JSON report (docs/schema/conformance-report.schema.json)
  --json                     print the report as JSON (and nothing else) on stdout
  --destructive              also run tests that can end the grant (refresh-token reuse)
  --foreign-account ID       an existing account outside the grant (tests the 404 rule fully)
  --refresh-reuse-window S   the provider's reuse window for rotated refresh tokens (default 0)
  --rate-limit-burst N       send up to N requests to provoke a 429 (default 0: skipped)
  --dpop                     consent with DPoP-bound tokens (RFC 9449)
  --scopes LIST              scopes to consent to (default basic,invoice,invoice_detail)
  --timeout SECONDS          deadline of each test (default 15)
  --port N                   loopback port of the redirect URI (default 0: any free port)
  --consent-timeout SECONDS  how long to wait for the consent redirect (default 300)
  --allow-insecure           allow an http:// provider (such as "ecis mock")
  --no-open                  only print the consent URL; do not open a browser
`

function commandLine(args: string[]) {
  const { values, positionals: rest } = parse(
    args,
    {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      grant: { type: 'string' },
      only: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean' },
      destructive: { type: 'boolean' },
      'foreign-account': { type: 'string' },
      'refresh-reuse-window': { type: 'string' },
      'rate-limit-burst': { type: 'string' },
      dpop: { type: 'boolean' },
      scopes: { type: 'string' },
      timeout: { type: 'string' },
      port: { type: 'string' },
      'consent-timeout': { type: 'string' },
      'allow-insecure': { type: 'boolean' },
      'no-open': { type: 'boolean' },
    },
    CONFORMANCE_USAGE,
  )
  positionals(rest, [], CONFORMANCE_USAGE)
  const only = list(values.only) ?? []
  const unknown = only.find((o) => !CONFORMANCE_TESTS.some((t) => t.id === o || t.id.startsWith(`${o}.`)))
  if (unknown !== undefined) throw new UsageError(`--only: no test is named "${unknown}"`, CONFORMANCE_USAGE)
  const scopes = list(values.scopes) ?? ['basic', 'invoice', 'invoice_detail']
  const badScope = scopes.find((s) => !isConsentScope(s))
  if (badScope !== undefined) throw new UsageError(`--scopes: unknown scope "${badScope}"`, CONFORMANCE_USAGE)
  const number = (name: string, max: number) => integer(values[name as 'port'], name, CONFORMANCE_USAGE, { max })
  return {
    values,
    only,
    scopes: scopes as ('basic' | 'invoice' | 'invoice_detail')[],
    issuer: required(values.issuer, 'issuer', CONFORMANCE_USAGE),
    clientId: required(values['client-id'], 'client-id', CONFORMANCE_USAGE),
    reuseWindow: number('refresh-reuse-window', 3600),
    burst: number('rate-limit-burst', 10_000),
    timeout: integer(values.timeout, 'timeout', CONFORMANCE_USAGE, { min: 1, max: 600 }) ?? 15,
    port: number('port', 65535) ?? 0,
    consentTimeout: integer(values['consent-timeout'], 'consent-timeout', CONFORMANCE_USAGE, { min: 1 }) ?? 300,
  }
}

/** The progress line: redrawn in place on a terminal, silent otherwise. */
function progressLine(io: CliIo): ((p: ConformanceProgress) => void) | undefined {
  if (!canRedraw(io.stderr, io.env)) return undefined
  return ({ done, total, result }) => {
    io.stderr.write(`\r\x1b[2K[${done}/${total}] ${result.status.toUpperCase().padEnd(4)} ${result.id}`)
    if (done === total) io.stderr.write('\r\x1b[2K')
  }
}

function printReport(io: CliIo, report: ConformanceReport): void {
  const evidence = (r: ConformanceReport['results'][number]) => {
    const e = r.evidence
    const parts = [e?.status, e?.error].filter((x) => x !== undefined).join(' ')
    return [r.reason ?? '', parts ? `(${parts})` : ''].filter(Boolean).join(' ') || (e?.detail ?? '')
  }
  line(io.stdout, `ECIS conformance of ${report.issuer} (client ${report.clientId})`)
  line(io.stdout)
  line(
    io.stdout,
    table(
      ['status', 'level', '§', 'test', 'evidence / reason'],
      report.results.map((r) => [r.status.toUpperCase(), r.level, r.section, r.id, evidence(r).slice(0, 110)]),
    ),
  )
  const failed = report.results.filter((r) => r.status === 'fail')
  if (failed.length) line(io.stdout, '\nTo fix:')
  for (const r of failed) line(io.stdout, `  ${r.id} (${r.level} ${r.section}): ${r.fix}`)
  const { pass, fail, skip, mustFailures, shouldFailures } = report.summary
  line(io.stdout)
  line(
    io.stdout,
    `Summary: ${pass} pass, ${fail} fail (${mustFailures} MUST, ${shouldFailures} SHOULD), ${skip} skipped — ${report.conformant ? 'conformant' : 'NOT conformant'}`,
  )
}

export async function conformanceCommand(args: string[], io: CliIo): Promise<number> {
  const c = commandLine(args)
  const { values } = c
  const allowInsecure = values['allow-insecure'] === true
  requireHttpsUnlessAllowed(c.issuer, allowInsecure, '--issuer')
  const grantFile = values.grant === undefined ? undefined : resolve(values.grant)
  const stored: Grant | undefined = grantFile ? await readGrant(grantFile) : undefined
  const keyPath = values.key ?? (grantFile ? (await readGrantConfig(grantFile))?.keyPath : undefined)
  const key = await readPrivateKey(required(keyPath, 'key', CONFORMANCE_USAGE))
  rememberKey(io, key)
  io.secrets?.add(stored?.accessToken, stored?.refreshToken)
  const { server, callback, redirectUri } = await callbackListener(c.port)
  let clear = () => {}
  try {
    const consent = async (url: string) => {
      line(io.stderr, 'Open this URL in a browser to consent:')
      line(io.stderr, `  ${url}`)
      line(io.stderr, `Waiting up to ${c.consentTimeout} s for the redirect to ${redirectUri} …`)
      if (!values['no-open'] && (io.openBrowser || canOpenBrowser(io.env))) {
        await Promise.resolve((io.openBrowser ?? openInBrowser)(url)).catch(() => {})
      }
      const waiting = waitForRedirect(callback, c.consentTimeout, io)
      clear = waiting.clear
      const { url: back, respond } = await waiting.callback
      respond(true, 'Received; the conformance run continues in the terminal. This tab can be closed.')
      return back
    }
    const report = await runConformance({
      issuer: c.issuer,
      clientId: c.clientId,
      key,
      redirectUri,
      ...(stored ? { grant: stored } : { consent }),
      onGrant: async (grant) => {
        io.secrets?.add(grant.accessToken, grant.refreshToken)
        if (grantFile) await writeGrant(grantFile, grant)
      },
      scopes: c.scopes,
      only: c.only,
      destructive: values.destructive === true,
      foreignAccount: values['foreign-account'],
      refreshReuseWindow: c.reuseWindow,
      rateLimitBurst: c.burst,
      dpop: values.dpop === true ? true : undefined,
      timeout: c.timeout * 1000,
      allowInsecureRequests: allowInsecure,
      onProgress: progressLine(io),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    })
    if (values.report) await writeFile(resolve(values.report), `${JSON.stringify(report, null, 2)}\n`)
    if (values.json) json(io.stdout, report)
    else printReport(io, report)
    return report.conformant ? 0 : 1
  } finally {
    clear()
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
  }
}
