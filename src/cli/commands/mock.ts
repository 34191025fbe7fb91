/** `ecis mock`: the mock provider on a loopback HTTP server until SIGINT/SIGTERM. */
import { EciConfigError, ErrorCode } from '../../errors.js'
import { MOCK_DEFECTS, type MockDefect } from '../../mock/defects.js'
import { startMockProviderServer } from '../../mock/node/index.js'
import type { MockBillErrorKind, MockClient } from '../../mock/types.js'
import { AUDIT_CHECKS } from '../../money/index.js'
import { integer, list, oneOf, parse } from '../args.js'
import { type CliIo, line, UsageError, untilAborted } from '../io.js'
import { readPublicJwks } from '../keys.js'
import { MOCK_GREEN_BUTTON_USAGE, mockGreenButtonCommand } from './mock-green-button.js'

export const MOCK_USAGE = `Usage: ecis mock [options]

Serves the ECIS mock provider on 127.0.0.1 until stopped (Ctrl-C or SIGTERM), with a consent
page a person can click through in a browser.

Options:
  --port N                 TCP port; 0 picks a free one (default 4010)
  --seed N                 fixture seed: same seed, same customers and invoices (default 1)
  --client-id ID           register this client (needs --jwks and --redirect-uri)
  --jwks FILE              the client's public keys: a JWKS, one JWK or a PEM (a private key
                           file works too: only its public part is registered)
  --redirect-uri URI       a redirect URI of the client, matched exactly; repeat for several
  --consent MODE           interactive (a page, default), auto (approve at once) or deny
  --dialect NAME           seed (default), canonical or deviant (the deviations a lenient
                           client must absorb)
  --bill-errors KINDS      emit wrong bills of these kinds (comma-separated), each the finding
                           "ecis audit" reports: line-total, invoice-total, credit-remaining,
                           service-period, due-date, credit-carryover, period-gap,
                           period-overlap, duplicate-invoice, invoice-order
  --defect NAME            break one rule on purpose (repeat for several), to see
                           "ecis conformance" catch it; names in docs/conformance.md
  --rate-limit MAX/SECONDS answer 429 with Retry-After past MAX ECI requests per SECONDS
  --green-button           serve a Green Button Data Custodian instead (its options below)
  --refresh-reuse-window S tolerate reuse of a rotated refresh token for S seconds (default 0:
                           any reuse revokes the grant); pair with the consumer's
                           refreshReuseWindow

${MOCK_GREEN_BUTTON_USAGE}`

const CONSENT = ['interactive', 'auto', 'deny'] as const
const DIALECTS = ['seed', 'canonical', 'deviant'] as const

/** `--defect` and `--rate-limit`, checked. */
function conformanceOptions(defect: string[] | undefined, rate: string | undefined) {
  const defects = (defect ?? []).map((d) => oneOf(d, MOCK_DEFECTS, 'defect', MOCK_USAGE) as MockDefect)
  const limit = /^(\d+)\/(\d+)$/.exec(rate ?? '')
  if (rate !== undefined && (!limit || Number(limit[1]) < 1 || Number(limit[2]) < 1)) {
    throw new UsageError('--rate-limit takes MAX/SECONDS, e.g. 100/60', MOCK_USAGE)
  }
  const rateLimit = limit ? { max: Number(limit[1]), windowMs: Number(limit[2]) * 1000 } : undefined
  return { defects, rateLimit }
}

export async function mockCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--green-button')) return mockGreenButtonCommand(args, io)
  const { values, positionals } = parse(
    args,
    {
      port: { type: 'string' },
      seed: { type: 'string' },
      'client-id': { type: 'string' },
      jwks: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      consent: { type: 'string' },
      dialect: { type: 'string' },
      'bill-errors': { type: 'string' },
      'refresh-reuse-window': { type: 'string' },
      defect: { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
    },
    MOCK_USAGE,
  )
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, MOCK_USAGE)
  const port = integer(values.port, 'port', MOCK_USAGE, { max: 65535 }) ?? 4010
  const seed = integer(values.seed, 'seed', MOCK_USAGE) ?? 1
  const consent = oneOf(values.consent, CONSENT, 'consent', MOCK_USAGE) ?? 'interactive'
  const dialect = oneOf(values.dialect, DIALECTS, 'dialect', MOCK_USAGE) ?? 'seed'
  const billErrors = list(values['bill-errors'])?.map(
    (kind) => oneOf(kind, AUDIT_CHECKS, 'bill-errors', MOCK_USAGE) as MockBillErrorKind,
  )
  const refreshReuseWindow = integer(values['refresh-reuse-window'], 'refresh-reuse-window', MOCK_USAGE, {
    max: 86_400,
  })
  const { defects, rateLimit } = conformanceOptions(values.defect, values['rate-limit'])
  const { 'client-id': clientId, 'redirect-uri': redirectUris = [] } = values
  const clients: MockClient[] = []
  if (clientId !== undefined) {
    if (!values.jwks) throw new UsageError('--client-id needs --jwks FILE (the public keys to register)', MOCK_USAGE)
    if (redirectUris.length === 0) throw new UsageError('--client-id needs at least one --redirect-uri', MOCK_USAGE)
    for (const uri of redirectUris) {
      if (!URL.canParse(uri)) throw new UsageError(`--redirect-uri "${uri}" is not a URL`, MOCK_USAGE)
    }
    clients.push({
      clientId,
      redirectUris,
      jwks: await readPublicJwks(values.jwks),
      ...(rateLimit ? { rateLimit } : {}),
    })
  } else if (values.jwks !== undefined || redirectUris.length > 0) {
    throw new UsageError('--jwks and --redirect-uri register a client: pass --client-id too', MOCK_USAGE)
  }

  let server: MockServer
  try {
    server = await startMockProviderServer({
      port,
      seed,
      consent,
      dialect,
      clients,
      billErrors,
      refreshReuseWindow,
      defects,
    })
  } catch (cause) {
    const code = (cause as { code?: string }).code
    if (code === 'EADDRINUSE') {
      throw new EciConfigError(ErrorCode.INVALID_OPTION, `Port ${port} is in use; pass another --port (0 picks one)`, {
        cause,
      })
    }
    throw cause
  }
  try {
    banner(io.stdout, server, { consent, dialect, seed, clients, refreshReuseWindow, defects })
    line(io.stdout, 'Stop with Ctrl-C.')
    await untilAborted(io.signal)
  } finally {
    await server.close()
  }
  line(io.stderr, 'ecis mock: stopped')
  return 0
}

type MockServer = Awaited<ReturnType<typeof startMockProviderServer>>

/** What the running mock serves: endpoints, clients, wrong bills, reuse window, customers. */
function banner(
  out: CliIo['stdout'],
  server: MockServer,
  o: {
    consent: string
    dialect: string
    seed: number
    clients: MockClient[]
    refreshReuseWindow: number | undefined
    defects: readonly string[]
  },
): void {
  const { consent, dialect, seed, clients, refreshReuseWindow, defects } = o
  line(out, 'ECIS mock provider')
  line(out, `  issuer     ${server.issuer}`)
  line(out, `  metadata   ${server.issuer}/.well-known/oauth-authorization-server`)
  line(out, `  resource   ${server.resource}`)
  line(out, `  consent    ${consent}${dialect === 'seed' ? '' : `, dialect ${dialect}`}, seed ${seed}`)
  for (const c of clients) {
    line(out, `  client     ${c.clientId} (private_key_jwt; key ids ${c.jwks?.keys.map((k) => k.kid).join(', ')})`)
    for (const uri of c.redirectUris) line(out, `             redirect URI ${uri}`)
  }
  if (clients.length === 0) {
    line(out, '  client     none registered: pass --client-id ID --jwks FILE --redirect-uri URI to use it')
  }
  const wrong = new Map<string, number>()
  for (const e of server.provider.fixtures.billErrors) wrong.set(e.kind, (wrong.get(e.kind) ?? 0) + 1)
  if (wrong.size > 0) {
    const kinds = [...wrong].map(([kind, n]) => `${kind} ×${n}`).join(', ')
    line(out, `  bills      wrong on purpose: ${kinds} ("ecis audit ACCOUNT" reports them)`)
  }
  if (defects.length > 0) line(out, `  defects    ${defects.join(', ')} (on purpose: not conformant)`)
  if (refreshReuseWindow) {
    line(out, `  refresh    a rotated refresh token may be reused for ${refreshReuseWindow} s (--refresh-reuse-window)`)
  }
  for (const owner of server.provider.fixtures.owners) {
    line(out, `  customer   ${owner.name}: ${owner.accounts.map((a) => a.systemAccountId).join(', ')}`)
  }
}
