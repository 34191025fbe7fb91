/**
 * `ecis demo`: the whole ECIS journey against the embedded mock provider on loopback —
 * discovery, consent, code exchange, every account's Basic, the invoice history with details.
 */
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { EciConsumer } from '../consumer.js'
import type { EciSession } from '../grant/session.js'
import { startMockProviderServer } from '../mock/node/index.js'
import { auditHistory } from '../money/index.js'
import type { Basic, InvoiceDetail } from '../schemas/index.js'
import { auditSummary, creditSummary, findingsTable } from './commands/audit.js'
import { printGreenButtonDemo } from './green-button-demo.js'
import { detailColumns, table, usd } from './table.js'

export interface DemoOptions {
  /** Mock data seed. */
  seed?: number
  /** Invoices shown per account (most recent). */
  last?: number
  out?: (line: string) => void
}

/** Fetches and prints each account's invoice history (the last `last` invoices); returns every detail. */
async function printHistories(
  session: EciSession,
  basics: readonly Basic[],
  last: number,
  out: (line: string) => void,
): Promise<Map<string, InvoiceDetail[]>> {
  const histories = new Map<string, InvoiceDetail[]>()
  out('\n5. Invoice histories (ECI Invoice Detail)')
  for (const [index, basic] of basics.entries()) {
    const rows: (string | number)[][] = []
    const details: InvoiceDetail[] = []
    histories.set(basic.system_account_id, details)
    for await (const d of session.invoices(basic.system_account_id, { detail: true, concurrency: 4 })) {
      details.push(d)
      rows.push([
        d.system_invoice_id,
        d.invoice_date,
        `${d.service_period_start} → ${d.service_period_end}`,
        ...detailColumns(d),
        usd(d.invoice_total),
        d.invoice_paid ? 'paid' : 'open',
      ])
    }
    const shown = rows.slice(-last)
    out(
      `\n5.${index + 1} ${basic.system_account_id} (${basic.account_type}): last ${shown.length} of ${rows.length} invoices`,
    )
    out(table(['invoice', 'date', 'service period', 'usage', 'charges', 'credit used', 'total', 'status'], shown))
  }
  return histories
}

/** The money audit of each history, and its credits summed exactly. */
function printAudit(histories: ReadonlyMap<string, InvoiceDetail[]>, out: (line: string) => void): void {
  out('\n6. Money audit (auditHistory: exact amounts, credits carried over, contiguous periods)')
  for (const [account, details] of histories) {
    const findings = auditHistory(details)
    if (findings.length > 0) out(findingsTable(findings, details))
    out(`   ${auditSummary(account, findings, details)}`)
    const credits = creditSummary(details)
    if (credits) out(`   ${credits}`)
  }
}

/** Runs the demo and resolves when done; the loopback server is always closed. */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`))
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = 'demo-key-1'
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' }
  const redirectUri = 'http://127.0.0.1/eci/callback'
  const server = await startMockProviderServer({
    port: 0,
    seed: options.seed ?? 1,
    clients: [{ clientId: 'acme-solar', redirectUris: [redirectUri], jwks: { keys: [publicJwk] } }],
  })
  try {
    out(`Mock ECI provider listening at ${server.issuer}`)
    const consumer = await EciConsumer.discover({
      issuer: server.issuer,
      clientId: 'acme-solar',
      clientAuth: { method: 'private_key_jwt', key: privateJwk },
      redirectUri,
      allowInsecureRequests: true,
    })
    out(`1. Discovery   issuer ${consumer.metadata.issuer}, ECI resource ${consumer.resource}`)

    const { url, transaction } = await consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
    out(
      `2. Consent     ${consumer.metadata.pushed_authorization_request_endpoint ? 'pushed (PAR), ' : ''}PKCE S256, state, resource`,
    )
    // A browser would follow the URL; the mock's auto-consent answers at once with a redirect.
    const answer = await fetch(url, { redirect: 'manual' })
    const callback = answer.headers.get('location')
    if (!callback) throw new Error(`the provider answered ${answer.status} instead of redirecting back`)
    const grant = await consumer.completeConsent(callback, transaction)
    out(
      `3. Grant       ${grant.accounts.length} account(s), scopes ${grant.scopes.join(' ')}, expires ${new Date(grant.expiresAt * 1000).toISOString()}`,
    )

    const session = consumer.session(grant)
    const basics = []
    for (const account of session.accounts) basics.push(await session.basic(account))
    out('\n4. Accounts (ECI Basic)')
    out(
      table(
        ['account', 'type', 'rate', 'meter', 'next read', 'projects', 'invoices'],
        basics.map((b) => [
          b.system_account_id,
          b.account_type,
          b.rate_code,
          b.meter_number,
          b.next_read_date,
          b.producer_projects.join(', ') || '—',
          b.system_invoice_ids.length,
        ]),
      ),
    )

    const histories = await printHistories(session, basics, options.last ?? 6, out)
    printAudit(histories, out)
    const calls = basics.length + [...histories.values()].reduce((n, details) => n + details.length, 0)
    out(`\nDone: ${calls} signed ECI requests, every response validated against the ECIS schemas.`)
    printGreenButtonDemo(options.seed ?? 1, out)
  } finally {
    await server.close()
  }
}
