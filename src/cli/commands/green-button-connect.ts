/**
 * `ecis green-button consent`: Connect My Data consent through a loopback redirect (RFC 8252),
 * the grant stored with mode 0600 next to a config (endpoints, where the secret comes from —
 * never the secret itself); and the stored grant read as a subscription feed for `bills`,
 * `usage` and `audit`, rotated tokens written back.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { EciConfigError, EciError, ErrorCode } from '../../errors.js'
import {
  type EspiFeed,
  type GreenButtonConsumer,
  type GreenButtonGrant,
  greenButtonConsumer,
} from '../../green-button/index.js'
import { integer, parse, positionals, required } from '../args.js'
import { defaultGrantFile } from '../grant-store.js'
import { requireHttpsUnlessAllowed } from '../insecure.js'
import { type CliIo, line } from '../io.js'
import { writePrivateFile } from '../private-file.js'
import { callbackListener, showConsentUrl, waitForRedirect } from './consent.js'

export const GREEN_BUTTON_CONSENT_USAGE = `Usage: ecis green-button consent --authorization-endpoint URL --token-endpoint URL
         --resource-endpoint URL --client-id ID --scope FB=… [options]

Connect My Data consent through a loopback redirect: prints (and opens) the Data Custodian's
authorization URL, waits for the redirect to http://127.0.0.1:PORT/callback, exchanges the code
(client_secret_basic) and stores the grant with its subscription (mode 0600). Then
"ecis green-button bills|usage|audit" without a FILE read the subscription with it.

Options:
  --authorization-endpoint URL   the Data Custodian's OAuth2 authorization endpoint
  --token-endpoint URL           its token endpoint
  --resource-endpoint URL        its resource server base (dataCustodianResourceEndpoint)
  --revocation-endpoint URL      its revocation endpoint, if it offers one
  --client-id ID                 your client_id at the Data Custodian
  --secret-file FILE             a file holding the client secret (else $ECIS_CLIENT_SECRET)
  --scope FB=…                   the Function Block scope to ask for
  --grant-file PATH              where to store the grant (default $ECIS_GREEN_BUTTON_GRANT_FILE or
                                 ~/.config/ecis/green-button-grant.json)
  --port N                       loopback port for the redirect (default 0: any free port)
  --timeout SECONDS              how long to wait for the redirect (default 300)
  --allow-insecure               allow http:// endpoints (such as "ecis mock --green-button")
  --no-open                      only print the URL; do not open a browser
`

/** How to use a stored grant again: endpoints and where the secret is read from. */
interface GreenButtonGrantConfig {
  authorizationEndpoint: string
  tokenEndpoint: string
  resourceEndpoint: string
  revocationEndpoint?: string | undefined
  clientId: string
  /** Absolute path of the secret file, or undefined: `$ECIS_CLIENT_SECRET`. */
  secretFile?: string | undefined
  allowInsecureRequests: boolean
}

/** `$ECIS_GREEN_BUTTON_GRANT_FILE`, else `green-button-grant.json` next to the ECIS grant. */
export function defaultGreenButtonGrantFile(env: Record<string, string | undefined>): string {
  if (env.ECIS_GREEN_BUTTON_GRANT_FILE) return resolve(env.ECIS_GREEN_BUTTON_GRANT_FILE)
  return join(defaultGrantFile({ ...env, ECIS_GRANT_FILE: undefined }), '..', 'green-button-grant.json')
}

const configFile = (grantFile: string) => `${grantFile.replace(/\.json$/i, '')}.config.json`

async function readSecret(secretFile: string | undefined, io: CliIo): Promise<string> {
  const secret = secretFile
    ? (
        await readFile(secretFile, 'utf8').catch((cause: unknown) => {
          throw new EciConfigError(ErrorCode.INVALID_OPTION, `cannot read the secret file ${secretFile}`, { cause })
        })
      ).trim()
    : io.env.ECIS_CLIENT_SECRET
  if (!secret) {
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      'No client secret: pass --secret-file FILE or set ECIS_CLIENT_SECRET',
    )
  }
  io.secrets?.add(secret)
  return secret
}

async function consumerFor(c: GreenButtonGrantConfig, io: CliIo, redirectUri?: string): Promise<GreenButtonConsumer> {
  const secret = await readSecret(c.secretFile, io)
  return greenButtonConsumer({
    ...c,
    clientAuth: { method: 'client_secret_basic', secret },
    ...(redirectUri ? { redirectUri } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  })
}

function consentOptions(args: string[], io: CliIo) {
  const u = GREEN_BUTTON_CONSENT_USAGE
  const { values, positionals: rest } = parse(
    args,
    {
      'authorization-endpoint': { type: 'string' },
      'token-endpoint': { type: 'string' },
      'resource-endpoint': { type: 'string' },
      'revocation-endpoint': { type: 'string' },
      'client-id': { type: 'string' },
      'secret-file': { type: 'string' },
      scope: { type: 'string' },
      'grant-file': { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      'allow-insecure': { type: 'boolean' },
      'no-open': { type: 'boolean' },
    },
    u,
  )
  positionals(rest, [], u)
  const allowInsecureRequests = values['allow-insecure'] === true
  const endpoint = (name: string) => {
    const value = required(values[name as 'token-endpoint'], name, u)
    requireHttpsUnlessAllowed(value, allowInsecureRequests, `--${name}`)
    return value
  }
  const config: GreenButtonGrantConfig = {
    authorizationEndpoint: endpoint('authorization-endpoint'),
    tokenEndpoint: endpoint('token-endpoint'),
    resourceEndpoint: endpoint('resource-endpoint'),
    revocationEndpoint: values['revocation-endpoint'] === undefined ? undefined : endpoint('revocation-endpoint'),
    clientId: required(values['client-id'], 'client-id', u),
    secretFile: values['secret-file'] ? resolve(values['secret-file']) : undefined,
    allowInsecureRequests,
  }
  return {
    config,
    scope: required(values.scope, 'scope', u),
    grantFile: values['grant-file'] ? resolve(values['grant-file']) : defaultGreenButtonGrantFile(io.env),
    port: integer(values.port, 'port', u, { max: 65535 }) ?? 0,
    timeout: integer(values.timeout, 'timeout', u, { min: 1, max: 86_400 }) ?? 300,
    open: values['no-open'] !== true,
  }
}

/** `ecis green-button consent …`. */
export async function greenButtonConsentCommand(args: string[], io: CliIo): Promise<number> {
  const { config, scope, grantFile, port, timeout, open } = consentOptions(args, io)
  const { server, callback, redirectUri } = await callbackListener(port)
  let clear = () => {}
  try {
    const gb = await consumerFor(config, io, redirectUri)
    const { url, transaction } = await gb.beginConsent({ scope })
    await showConsentUrl(io, url, { redirectUri, timeout, open })
    const waiting = waitForRedirect(callback, timeout, io)
    clear = waiting.clear
    const { url: callbackUrl, respond } = await waiting.callback
    io.secrets?.add(new URL(callbackUrl).searchParams.get('code') ?? undefined)
    let grant: GreenButtonGrant
    try {
      grant = await gb.completeConsent(callbackUrl, transaction)
      io.secrets?.add(grant.accessToken, grant.refreshToken)
    } catch (error) {
      respond(false, 'Consent could not be completed; see the terminal.')
      throw error
    }
    await writePrivateFile(configFile(grantFile), `${JSON.stringify(config, null, 2)}\n`)
    await writePrivateFile(grantFile, `${JSON.stringify(grant, null, 2)}\n`)
    respond(true, 'Consent received. This tab can be closed.')
    line(io.stdout, `Grant stored in ${grantFile} (mode 0600): subscription ${grant.resourceUri}`)
    return 0
  } finally {
    clear()
    server.close()
    server.closeAllConnections()
  }
}

async function readJson<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch (cause) {
    const missing = (cause as { code?: string }).code === 'ENOENT'
    throw new EciConfigError(
      ErrorCode.INVALID_OPTION,
      missing
        ? `No ${what} at ${path}: run "ecis green-button consent" first, or pass FILE.xml`
        : `${path} is not JSON`,
      { cause },
    )
  }
}

/** The subscription feed read with the stored grant; a rotated grant is written back (0600) first. */
export async function readStoredFeed(io: CliIo, grantFileOption: string | undefined): Promise<EspiFeed> {
  const grantFile = grantFileOption ? resolve(grantFileOption) : defaultGreenButtonGrantFile(io.env)
  const config = await readJson<GreenButtonGrantConfig>(configFile(grantFile), 'Green Button grant config')
  const grant = await readJson<GreenButtonGrant>(grantFile, 'Green Button grant')
  io.secrets?.add(grant.accessToken, grant.refreshToken)
  const gb = await consumerFor(config, io)
  const session = gb.session(grant, {
    onGrant: async (next) => {
      io.secrets?.add(next.accessToken, next.refreshToken)
      await writePrivateFile(grantFile, `${JSON.stringify(next, null, 2)}\n`)
    },
  })
  try {
    return await session.feed()
  } catch (error) {
    if (error instanceof EciError && error.code === ErrorCode.INVALID_GRANT) {
      line(io.stderr, 'The grant needs consent again: run "ecis green-button consent".')
    }
    throw error
  }
}
