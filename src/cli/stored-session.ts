/** Opens a session on the stored grant: grant file, key (from --key or the sidecar config), onGrant. */
import { EciConsumer } from '../consumer.js'
import { EciConfigError, EciHttpError, ErrorCode } from '../errors.js'
import type { Grant } from '../grant/grant.js'
import type { EciSession } from '../grant/session.js'
import type { Deviation, ValidationMode } from '../schemas/index.js'
import { defaultGrantFile, readGrant, readGrantConfig, writeGrant } from './grant-store.js'
import { requireHttpsUnlessAllowed } from './insecure.js'
import type { CliIo, CliStream } from './io.js'
import { readPrivateKey, rememberKey } from './keys.js'

/** The options every command that uses the stored grant takes. */
export const GRANT_OPTIONS = {
  'grant-file': { type: 'string' },
  key: { type: 'string' },
  'allow-insecure': { type: 'boolean' },
} as const

export const GRANT_OPTIONS_USAGE = `  --grant-file PATH        the grant (default $ECIS_GRANT_FILE or ~/.config/ecis/grant.json)
  --key FILE               the client's private key (default: the path "ecis consent" stored
                           next to the grant)
  --allow-insecure         allow an http:// provider (default: as stored by "ecis consent")`

export interface StoredSession {
  consumer: EciConsumer
  session: EciSession
  grant: Grant
  grantFile: string
}

/** Collects deviations and prints each distinct one (kind and field path) once on stderr. */
export class DeviationLog {
  readonly seen = new Map<string, { deviation: Deviation; count: number }>()
  readonly add = (deviation: Deviation): void => {
    const key = `${deviation.kind} ${deviation.path.join('.')}`
    const entry = this.seen.get(key)
    if (entry) entry.count++
    else this.seen.set(key, { deviation, count: 1 })
  }
  print(stream: CliStream): void {
    for (const { deviation, count } of this.seen.values()) {
      stream.write(
        `ecis: deviation ${deviation.kind} at ${deviation.path.join('.') || '(body)'}: ${deviation.message}${count > 1 ? ` (×${count})` : ''}\n`,
      )
    }
  }
}

export async function openStoredSession(
  values: { 'grant-file'?: string | undefined; key?: string | undefined; 'allow-insecure'?: boolean | undefined },
  io: CliIo,
  options: { validation?: ValidationMode; onDeviation?: (d: Deviation) => void } = {},
): Promise<StoredSession> {
  const grantFile = values['grant-file'] ?? defaultGrantFile(io.env)
  const grant = await readGrant(grantFile)
  const config = await readGrantConfig(grantFile)
  const keyPath = values.key ?? config?.keyPath
  if (!keyPath) {
    throw new EciConfigError(
      ErrorCode.INVALID_KEY,
      `No key for the grant at ${grantFile}: pass --key FILE (the client's private key)`,
    )
  }
  if (!grant || typeof grant !== 'object' || typeof grant.issuer !== 'string' || typeof grant.clientId !== 'string') {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The grant file ${grantFile} does not hold a grant`)
  }
  io.secrets?.add(grant.accessToken, grant.refreshToken)
  const key = await readPrivateKey(keyPath)
  rememberKey(io, key)
  const allowInsecureRequests = values['allow-insecure'] === true || config?.allowInsecureRequests === true
  requireHttpsUnlessAllowed(grant.issuer, allowInsecureRequests, "The grant's issuer")
  const consumer = await EciConsumer.discover({
    issuer: grant.issuer,
    clientId: grant.clientId,
    clientAuth: { method: 'private_key_jwt', key },
    allowInsecureRequests,
    validation: options.validation,
    onDeviation: options.onDeviation,
    ...(io.fetch ? { fetch: io.fetch } : {}),
  })
  const session = consumer.session(grant, {
    onGrant: (next) => {
      io.secrets?.add(next.accessToken, next.refreshToken)
      return writeGrant(grantFile, next)
    },
  })
  return { consumer, session, grant, grantFile }
}

/**
 * Runs a data call for `account`; when the provider answers 404 for an account the grant does not
 * list (the provider says `not_found` so that account ids cannot be probed), the error names the
 * accounts the grant does list — the CLI holds them, so a typo need not stay a bare 404.
 */
export async function forAccount<T>(session: EciSession, account: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    const granted = session.accounts
    if (!(error instanceof EciHttpError) || error.status !== 404 || granted.includes(account)) throw error
    const shown =
      granted.length > 12 ? `${granted.slice(0, 12).join(', ')}, … (${granted.length} in all)` : granted.join(', ')
    const { status, errorDescription, requestId, retryAfter } = error
    throw new EciHttpError(
      error.code,
      `${error.message}; ${account} is not one of the grant's accounts: ${shown || 'none'} (see "ecis accounts")`,
      { status, error: error.error, errorDescription, requestId, retryAfter, cause: error },
    )
  }
}
