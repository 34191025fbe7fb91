/**
 * `ecis mock --green-button`: the mock Green Button Data Custodian (Connect My Data) on
 * 127.0.0.1 until stopped, with one registered Third Party.
 */
import { EciConfigError, ErrorCode } from '../../errors.js'
import { startGreenButtonProviderServer } from '../../mock/node/index.js'
import { integer, parse } from '../args.js'
import { type CliIo, line, UsageError, untilAborted } from '../io.js'

export const MOCK_GREEN_BUTTON_USAGE = `Usage: ecis mock --green-button [options]

Serves a mock Green Button Data Custodian (Connect My Data) on 127.0.0.1 until stopped: scope
selection, authorize (approves at once), token (client_secret_basic, refresh with rotation),
subscriptions with date filters, usage points, Authorization and ApplicationInformation
resources, fed by deterministic ESPI feeds.

Options:
  --port N                 TCP port; 0 picks a free one (default 4020)
  --seed N                 feed seed (default 1)
  --months N               billing months per customer (default 13)
  --client-id ID           the Third Party's client_id (default acme-solar)
  --client-secret SECRET   its secret (default mock-secret; a mock, not a real secret)
  --redirect-uri URI       a redirect URI of the client, matched exactly; repeat for several
                           (default http://127.0.0.1:8400/callback)
  --notify-uri URI         where notifications are POSTed
`

/** `ecis mock --green-button …`. */
export async function mockGreenButtonCommand(args: string[], io: CliIo): Promise<number> {
  const u = MOCK_GREEN_BUTTON_USAGE
  const { values, positionals } = parse(
    args.filter((a) => a !== '--green-button'),
    {
      port: { type: 'string' },
      seed: { type: 'string' },
      months: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'notify-uri': { type: 'string' },
    },
    u,
  )
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, u)
  const port = integer(values.port, 'port', u, { max: 65535 }) ?? 4020
  const redirectUris = values['redirect-uri'] ?? ['http://127.0.0.1:8400/callback']
  for (const uri of [...redirectUris, values['notify-uri'] ?? 'http://x']) {
    if (!URL.canParse(uri)) throw new UsageError(`"${uri}" is not a URL`, u)
  }
  const clientId = values['client-id'] ?? 'acme-solar'
  const server = await startGreenButtonProviderServer({
    port,
    clients: [
      {
        clientId,
        clientSecret: values['client-secret'] ?? 'mock-secret',
        redirectUris,
        notifyUri: values['notify-uri'],
      },
    ],
    feed: {
      seed: integer(values.seed, 'seed', u) ?? 1,
      months: integer(values.months, 'months', u, { min: 2, max: 120 }) ?? 13,
    },
  }).catch((cause: { code?: string }) => {
    if (cause?.code !== 'EADDRINUSE') throw cause
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `Port ${port} is in use; pass another --port (0 picks one)`, {
      cause,
    })
  })
  try {
    const e = server.custodian.endpoints
    line(io.stdout, 'Green Button mock Data Custodian')
    line(io.stdout, `  authorization  ${e.authorizationEndpoint}`)
    line(io.stdout, `  token          ${e.tokenEndpoint}`)
    line(io.stdout, `  resource       ${e.resourceEndpoint}`)
    line(io.stdout, `  revocation     ${e.revocationEndpoint}`)
    line(io.stdout, `  client         ${clientId} (client_secret_basic), redirect ${redirectUris.join(', ')}`)
    line(io.stdout, 'Stop with Ctrl-C.')
    await untilAborted(io.signal)
  } finally {
    await server.close()
  }
  line(io.stderr, 'ecis mock: stopped')
  return 0
}
