/**
 * The token keeping of a session for resource APIs other than the ECI endpoint (Green Button
 * Connect My Data): the same refresh margin, single flight, `onGrant`, fleet refresh through a
 * GrantStore, refresh once on a refused token, and revocation as {@link EciSession} — the very
 * same code, since the session below is an `EciSession` whose data client is never exposed.
 * @internal
 * @module
 */
import { EciError, ErrorCode } from '../errors.js'
import type { EciClient, InvalidTokenHandler } from '../request/client.js'
import type { Grant } from './grant.js'
import { EciSession, type SessionBackend, type SessionOptions } from './session.js'

/** What a resource client of a grant uses: the current token and the refused-token handler. */
export interface GrantTokens<G extends Grant = Grant> {
  /** The current access token, refreshed first when it is about to expire. */
  accessToken(): Promise<string>
  /** Called with a refused (401 `invalid_token`) token: the token to retry with, refreshed once. */
  onInvalidToken: InvalidTokenHandler
  /** The current grant (it changes when tokens rotate). */
  readonly grant: G
  /** Revokes the grant (and marks it in the store for store-backed sessions); the session ends. */
  revoke(): Promise<void>
}

function noEciCalls(): never {
  throw new EciError(ErrorCode.INTERNAL, 'This grant does not read the ECI endpoint')
}

const NO_ECI_CLIENT: EciClient = {
  basic: noEciCalls,
  invoice: noEciCalls,
  invoiceDetail: noEciCalls,
  request: noEciCalls,
}

/** The token keeping of one grant, as {@link EciSession} keeps its tokens. @internal */
export function grantTokens<G extends Grant>(
  grant: G,
  backend: Omit<SessionBackend, 'client'>,
  options: SessionOptions = {},
): GrantTokens<G> {
  let accessToken: (() => Promise<string>) | undefined
  let onInvalidToken: InvalidTokenHandler | undefined
  const session = new EciSession(
    grant,
    {
      ...backend,
      client(token, onInvalid) {
        accessToken = token
        onInvalidToken = onInvalid
        return NO_ECI_CLIENT
      },
    },
    options,
  )
  const token = accessToken as () => Promise<string>
  const invalid = onInvalidToken as InvalidTokenHandler
  return {
    accessToken: () => token(),
    onInvalidToken: (state) => invalid(state),
    get grant() {
      return session.grant as G
    },
    revoke: () => session.revoke(),
  }
}
