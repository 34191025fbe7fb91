/**
 * `ecis check`: a provider conformance report. Metadata (location, issuer, PKCE, `iss`, PAR,
 * RAR, client authentication, the ECIS members) and, with a grant, every granted request type
 * for the first account: called leniently (deviations collected), judged by a strict parse of
 * the raw body.
 */
import { EciConfigError, ErrorCode } from '../../errors.js'
import { parse, positionals, required } from '../args.js'
import { type CliIo, json, line } from '../io.js'
import { table } from '../table.js'
import { checkData, findGrant } from './check-data.js'
import { type CheckResult, checkMetadata, type InsecureSource } from './check-metadata.js'

export type { CheckResult, CheckStatus } from './check-metadata.js'

export const CHECK_USAGE = `Usage: ecis check --issuer URL [--client-id ID --key FILE] [--grant-file PATH] [--json]

A provider conformance report: the metadata (RFC 8414 / OIDC location, issuer, PKCE S256,
RFC 9207 iss, PAR, authorization_details type eci, private_key_jwt, eci_resource,
eci_request_types_supported, eci_request_signing_alg_values_supported) and, with a grant,
every granted request type for the first account, validated strictly with deviations listed.
Exit code 1 when any check fails.

Options:
  --issuer URL             the provider's issuer
  --grant-file PATH        a grant at this provider (default $ECIS_GRANT_FILE or
                           ~/.config/ecis/grant.json, used when it is this provider's)
  --client-id ID           the grant's client (checked against the grant)
  --key FILE               the client's private key (default: the path stored next to the grant)
  --allow-insecure         allow an http:// provider (such as "ecis mock")
  --json                   print the report as JSON (and nothing else) on stdout
`

export async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parse(
    args,
    {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      'grant-file': { type: 'string' },
      'allow-insecure': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    CHECK_USAGE,
  )
  positionals(rest, [], CHECK_USAGE)
  const issuer = required(values.issuer, 'issuer', CHECK_USAGE)
  if (!URL.canParse(issuer)) throw new EciConfigError(ErrorCode.INVALID_OPTION, `--issuer ${issuer} is not a URL`)
  const fetchImpl = io.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const results: CheckResult[] = []
  const add = (r: CheckResult) => {
    results.push(r)
  }
  const source = await findGrant(values, issuer, io)
  const allowInsecure: InsecureSource =
    values['allow-insecure'] === true
      ? 'flag'
      : typeof source !== 'string' && source.allowInsecure
        ? 'grant'
        : undefined
  if (typeof source !== 'string') io.secrets?.add(source.grant.accessToken, source.grant.refreshToken)
  const metadata = await checkMetadata(issuer, fetchImpl, allowInsecure, add)
  if (typeof source === 'string') {
    add({ id: 'data', title: 'data requests', status: 'skip', detail: source })
  } else if (!metadata) {
    add({ id: 'data', title: 'data requests', status: 'skip', detail: 'no metadata' })
  } else {
    await checkData(source, metadata, fetchImpl, allowInsecure !== undefined, add, io)
  }
  const summary = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const r of results) summary[r.status]++
  if (values.json) {
    json(io.stdout, { issuer, checks: results, summary })
  } else {
    line(io.stdout, `ECIS conformance of ${issuer}`)
    line(io.stdout)
    line(
      io.stdout,
      table(
        ['status', 'check', 'detail'],
        results.map((r) => [r.status.toUpperCase(), r.title, r.detail]),
      ),
    )
    for (const r of results) {
      if (!r.issues?.length && !r.deviations?.length) continue
      line(io.stdout)
      line(io.stdout, `${r.title}:`)
      for (const i of r.issues ?? []) line(io.stdout, `  strict   ${i.path.join('.') || '(body)'}: ${i.message}`)
      for (const d of r.deviations ?? []) {
        line(io.stdout, `  ${d.kind.padEnd(15)} ${d.path.join('.') || '(body)'}: ${d.message}`)
      }
    }
    line(io.stdout)
    line(
      io.stdout,
      `Summary: ${summary.pass} pass, ${summary.warn} warn, ${summary.fail} fail, ${summary.skip} skipped — ${summary.fail ? 'NOT conformant' : 'conformant'}`,
    )
  }
  return summary.fail > 0 ? 1 : 0
}
