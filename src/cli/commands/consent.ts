/**
 * `ecis consent`: consent through the RFC 8252 loopback redirect. A one-shot HTTP server on
 * 127.0.0.1 receives the provider's redirect at /callback; the code is exchanged and the grant
 * stored (mode 0600) with a sidecar config naming the key's path.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { isConsentScope } from '../../consent/scopes.js'
import { EciConsumer } from '../../consumer.js'
import { EciConfigError, EciConsentError, EciError, EciNetworkError, ErrorCode } from '../../errors.js'
import { integer, list, parse, positionals, required } from '../args.js'
import { canOpenBrowser, openInBrowser } from '../browser.js'
import { configFileFor, defaultGrantFile, writeGrant, writeGrantConfig } from '../grant-store.js'
import { requireHttpsUnlessAllowed } from '../insecure.js'
import { type CliIo, line, UsageError } from '../io.js'
import { readPrivateKey, rememberKey } from '../keys.js'

export const CONSENT_USAGE = `Usage: ecis consent --issuer URL --client-id ID --key FILE [options]

Runs consent through a loopback redirect (RFC 8252): listens on 127.0.0.1, prints the
provider's consent URL and opens it in a browser, waits for the redirect back to
http://127.0.0.1:PORT/callback, exchanges the code and stores the grant (mode 0600).

Options:
  --issuer URL             the provider's issuer (authorization server)
  --client-id ID           your client_id at the provider
  --key FILE               your private key (JWK, or PEM: PKCS8, SEC1 or PKCS#1; "ecis keygen"
                           makes one); its path is stored next to the grant
  --scopes LIST            comma-separated: basic, invoice, invoice_detail (default all three)
  --accounts LIST          comma-separated system_account_ids to ask for (default: the customer chooses)
  --grant-file PATH        where to store the grant (default $ECIS_GRANT_FILE or
                           ~/.config/ecis/grant.json)
  --port N                 loopback port for the redirect (default 0: any free port); for
                           providers that match the redirect URI's port exactly
  --timeout SECONDS        how long to wait for the redirect (default 300)
  --allow-insecure         allow an http:// provider (such as "ecis mock")
  --no-open                only print the URL; do not open a browser
`

const PAGE_STYLE = 'font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem'

function page(res: ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    Connection: 'close',
  })
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="${PAGE_STYLE}"><h1>${title}</h1><p>${text}</p></body></html>`,
  )
}

export interface Callback {
  url: string
  respond(ok: boolean, text: string): void
}

/** The command line of `ecis consent`, checked. */
function consentOptions(args: string[], io: CliIo) {
  const { values, positionals: rest } = parse(
    args,
    {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      scopes: { type: 'string' },
      accounts: { type: 'string' },
      'grant-file': { type: 'string' },
      port: { type: 'string' },
      timeout: { type: 'string' },
      'allow-insecure': { type: 'boolean' },
      'no-open': { type: 'boolean' },
    },
    CONSENT_USAGE,
  )
  positionals(rest, [], CONSENT_USAGE)
  const issuer = required(values.issuer, 'issuer', CONSENT_USAGE)
  const clientId = required(values['client-id'], 'client-id', CONSENT_USAGE)
  const keyPath = resolve(required(values.key, 'key', CONSENT_USAGE))
  const scopes = list(values.scopes) ?? ['basic', 'invoice', 'invoice_detail']
  const badScope = scopes.find((s) => !isConsentScope(s))
  if (badScope !== undefined || scopes.length === 0) {
    throw new UsageError(
      `--scopes takes basic, invoice and invoice_detail${badScope ? `, not "${badScope}"` : ''}`,
      CONSENT_USAGE,
    )
  }
  const accounts = list(values.accounts)
  const port = integer(values.port, 'port', CONSENT_USAGE, { max: 65535 }) ?? 0
  const timeout = integer(values.timeout, 'timeout', CONSENT_USAGE, { min: 1, max: 86_400 }) ?? 300
  const grantFile = values['grant-file'] ? resolve(values['grant-file']) : defaultGrantFile(io.env)
  const allowInsecureRequests = values['allow-insecure'] === true
  requireHttpsUnlessAllowed(issuer, allowInsecureRequests, '--issuer')

  return { values, issuer, clientId, keyPath, scopes, accounts, port, timeout, grantFile, allowInsecureRequests }
}

/** The RFC 8252 loopback listener: its port is part of the redirect URI, so it starts first. */
export async function callbackListener(port: number) {
  let deliver: (callback: Callback) => void = () => {}
  const callback = new Promise<Callback>((r) => {
    deliver = r
  })
  let received = false
  let redirectUri = ''
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      page(res, 404, 'Not found', 'This address only receives the consent redirect at /callback.')
      return
    }
    if (received) {
      page(res, 409, 'Already received', 'The consent redirect was already received; this tab can be closed.')
      return
    }
    received = true
    deliver({
      url: `${redirectUri}${url.search}`,
      respond: (ok, text) => page(res, ok ? 200 : 400, ok ? 'Consent received' : 'Consent failed', text),
    })
  })
  await new Promise<void>((ready, fail) => {
    server.once('error', (cause) =>
      fail(new EciConfigError(ErrorCode.INVALID_OPTION, `Cannot listen on 127.0.0.1:${port}`, { cause })),
    )
    server.listen(port, '127.0.0.1', () => ready())
  })
  redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`
  return { server, callback, redirectUri }
}

/** The callback, or a timeout after `timeout` s, or the interrupt. */
/**
 * Prints the consent URL and where the redirect is awaited, and opens a browser when it can
 * (a convenience: the URL is printed either way). Every loopback consent command uses it.
 */
export async function showConsentUrl(
  io: CliIo,
  url: string,
  o: { redirectUri: string; timeout: number; open: boolean },
): Promise<void> {
  line(io.stderr, 'Open this URL in a browser to consent:')
  line(io.stderr, `  ${url}`)
  line(io.stderr, `Waiting up to ${o.timeout} s for the redirect to ${o.redirectUri} …`)
  if (!o.open || !(io.openBrowser || canOpenBrowser(io.env))) return
  try {
    await (io.openBrowser ?? openInBrowser)(url)
  } catch {
    // Opening a browser is a convenience; the URL is printed.
  }
}

export function waitForRedirect(callback: Promise<Callback>, timeout: number, io: CliIo) {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EciNetworkError(
            ErrorCode.TIMEOUT,
            `No consent redirect arrived within ${timeout} s; run ecis consent again`,
          ),
        ),
      timeout * 1000,
    )
  })
  const aborted = new Promise<never>((_, reject) => {
    const stop = () => reject(new EciNetworkError(ErrorCode.ABORTED, 'Consent was interrupted'))
    if (io.signal?.aborted) stop()
    io.signal?.addEventListener('abort', stop, { once: true })
  })
  return { callback: Promise.race([callback, expired, aborted]), clear: () => clearTimeout(timer) }
}

export async function consentCommand(args: string[], io: CliIo): Promise<number> {
  const { values, issuer, clientId, keyPath, scopes, accounts, timeout, grantFile, allowInsecureRequests, port } =
    consentOptions(args, io)
  const key = await readPrivateKey(keyPath)
  rememberKey(io, key)
  const { server, callback, redirectUri } = await callbackListener(port)
  let clear = () => {}
  try {
    const consumer = await EciConsumer.discover({
      issuer,
      clientId,
      clientAuth: { method: 'private_key_jwt', key },
      redirectUri,
      allowInsecureRequests,
      ...(io.fetch ? { fetch: io.fetch } : {}),
    })
    const { url, transaction } = await consumer.beginConsent({
      scopes: scopes as ('basic' | 'invoice' | 'invoice_detail')[],
      ...(accounts ? { accounts } : {}),
    })
    await showConsentUrl(io, url, { redirectUri, timeout, open: !values['no-open'] })
    const waiting = waitForRedirect(callback, timeout, io)
    clear = waiting.clear
    const { url: callbackUrl, respond } = await waiting.callback
    io.secrets?.add(new URL(callbackUrl).searchParams.get('code') ?? undefined)
    let grant: Awaited<ReturnType<EciConsumer['completeConsent']>>
    try {
      grant = await consumer.completeConsent(callbackUrl, transaction)
      io.secrets?.add(grant.accessToken, grant.refreshToken)
    } catch (error) {
      const denied = error instanceof EciConsentError && error.code === ErrorCode.ACCESS_DENIED
      respond(
        false,
        denied ? 'Consent was declined. This tab can be closed.' : 'Consent could not be completed; see the terminal.',
      )
      throw error
    }
    try {
      await writeGrant(grantFile, grant)
      await writeGrantConfig(grantFile, { keyPath, allowInsecureRequests })
    } catch (error) {
      respond(false, 'The grant could not be stored; see the terminal.')
      throw error instanceof EciError ? error : new EciConfigError(ErrorCode.INVALID_OPTION, 'Cannot store the grant')
    }
    respond(true, 'The grant is stored. This tab can be closed; go back to the terminal.')

    line(io.stdout, `Consent granted by ${grant.issuer} to ${grant.clientId}`)
    line(io.stdout, `  accounts   ${grant.accounts.join(', ') || '(none)'}`)
    line(io.stdout, `  scopes     ${grant.scopes.join(' ')}`)
    line(
      io.stdout,
      `  token      expires ${new Date(grant.expiresAt * 1000).toISOString()}${grant.refreshToken ? ', refreshable' : ', no refresh token'}`,
    )
    line(io.stdout, `  stored in  ${grantFile} (mode 0600; key path in ${configFileFor(grantFile)})`)
    return 0
  } finally {
    clear()
    // Let the browser's page go out (Connection: close), then drop whatever lingers.
    const force = setTimeout(() => server.closeAllConnections(), 1000)
    await new Promise<void>((done) => {
      server.close(() => done())
      server.closeIdleConnections()
    })
    clearTimeout(force)
  }
}
