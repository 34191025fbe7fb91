/**
 * `ecis check`: a provider conformance report. Metadata (location, issuer, PKCE, `iss`, PAR,
 * RAR, client authentication, the ECIS members) and, with a grant, every granted request type
 * for the first account: called leniently (deviations collected), judged by a strict parse of
 * the raw body.
 */
import { access } from 'node:fs/promises'
import { decodeJwt } from 'jose/jwt/decode'
import { EciConsumer } from '../../consumer.js'
import { EciConfigError, EciError, EciValidationError, ErrorCode, toEciError } from '../../errors.js'
import type { Grant } from '../../grant/grant.js'
import {
  type Deviation,
  parseBasic,
  parseInvoice,
  parseInvoiceDetail,
  type ValidationIssue,
} from '../../schemas/index.js'
import { parse, positionals, required } from '../args.js'
import { defaultGrantFile, readGrant, readGrantConfig, writeGrant } from '../grant-store.js'
import { type CliIo, json, line } from '../io.js'
import { readPrivateKey } from '../keys.js'
import { table } from '../table.js'

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

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  id: string
  title: string
  status: CheckStatus
  detail: string
  /** Strict validation issues (data checks). */
  issues?: ValidationIssue[]
  /** Deviations a lenient client absorbed (data checks). */
  deviations?: Deviation[]
}

const TYPES = ['basic', 'invoice', 'invoice_detail'] as const

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

/** The RFC 8414 §3 location (well-known inserted before the issuer's path) and the OIDC one. */
function metadataLocations(issuer: URL): { rfc8414: string; oidc: string } {
  const path = issuer.pathname.replace(/\/+$/, '')
  return {
    rfc8414: `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    oidc: `${issuer.origin}${path}/.well-known/openid-configuration`,
  }
}

async function getJson(
  fetchImpl: typeof fetch,
  url: string,
): Promise<{ status: number; contentType: string; body: unknown } | EciError> {
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'manual' })
    const contentType = res.headers.get('content-type') ?? ''
    if (!res.ok) return { status: res.status, contentType, body: undefined }
    const text = await res.text()
    try {
      return { status: res.status, contentType, body: JSON.parse(text) }
    } catch {
      return { status: res.status, contentType, body: undefined }
    }
  } catch (error) {
    return toEciError(error, `GET ${url}`)
  }
}

/** The metadata checks; returns the document when one was found. */
async function checkMetadata(
  issuer: string,
  fetchImpl: typeof fetch,
  allowInsecure: boolean,
  add: (r: CheckResult) => void,
): Promise<Record<string, unknown> | undefined> {
  const url = new URL(issuer)
  const https = url.protocol === 'https:'
  add({
    id: 'issuer.https',
    title: 'issuer is https',
    status: https || allowInsecure ? 'pass' : 'fail',
    detail: https ? issuer : allowInsecure ? `${issuer} (http allowed by --allow-insecure)` : `${issuer} is not https`,
  })
  const where = metadataLocations(url)
  let doc: Record<string, unknown> | undefined
  let contentType = ''
  const found: string[] = []
  const errors: string[] = []
  for (const [name, location] of [
    ['RFC 8414', where.rfc8414],
    ['OIDC', where.oidc],
  ] as const) {
    const got = await getJson(fetchImpl, location)
    if (got instanceof EciError) {
      errors.push(`${name}: ${got.name} [${got.code}]`)
      continue
    }
    if (got.body && typeof got.body === 'object' && !Array.isArray(got.body)) {
      found.push(name)
      if (!doc) {
        doc = got.body as Record<string, unknown>
        contentType = got.contentType
      }
    } else {
      errors.push(`${name}: HTTP ${got.status}${got.status < 400 ? ', not a JSON object' : ''}`)
    }
  }
  add({
    id: 'metadata.location',
    title: 'metadata document (RFC 8414 or OIDC)',
    status: found.includes('RFC 8414') ? 'pass' : found.length ? 'warn' : 'fail',
    detail: found.length
      ? `served at the ${found.join(' and ')} location${found.includes('RFC 8414') ? '' : ' only (RFC 8414 preferred)'}`
      : `no metadata: ${errors.join('; ')}`,
  })
  if (!doc) return undefined
  add({
    id: 'metadata.content-type',
    title: 'metadata is application/json',
    status: /^application\/json\b/i.test(contentType) ? 'pass' : 'warn',
    detail: contentType || '(no Content-Type)',
  })
  const has = (name: string, value: string) => isStringArray(doc[name]) && (doc[name] as string[]).includes(value)
  const check = (id: string, title: string, ok: boolean, detail: string, otherwise: CheckStatus = 'fail') =>
    add({ id, title, status: ok ? 'pass' : otherwise, detail })
  check(
    'metadata.issuer',
    'issuer matches exactly',
    doc.issuer === issuer,
    doc.issuer === issuer ? issuer : `the document names ${JSON.stringify(doc.issuer)}`,
  )
  const endpoints = ['authorization_endpoint', 'token_endpoint'].filter((m) => typeof doc[m] !== 'string')
  check(
    'metadata.endpoints',
    'authorization and token endpoints',
    endpoints.length === 0,
    endpoints.length ? `missing ${endpoints.join(', ')}` : 'present',
  )
  check(
    'metadata.response-type',
    'response type code',
    has('response_types_supported', 'code'),
    'response_types_supported',
  )
  check(
    'metadata.pkce',
    'PKCE S256',
    has('code_challenge_methods_supported', 'S256'),
    'code_challenge_methods_supported',
  )
  check(
    'metadata.iss',
    'RFC 9207 iss in authorization responses',
    doc.authorization_response_iss_parameter_supported === true,
    'authorization_response_iss_parameter_supported',
  )
  check(
    'metadata.private-key-jwt',
    'private_key_jwt client authentication',
    has('token_endpoint_auth_methods_supported', 'private_key_jwt'),
    'token_endpoint_auth_methods_supported',
  )
  const par = typeof doc.pushed_authorization_request_endpoint === 'string'
  add({
    id: 'metadata.par',
    title: 'pushed authorization requests (RFC 9126)',
    status: par ? 'pass' : doc.require_pushed_authorization_requests === true ? 'fail' : 'warn',
    detail: par
      ? `offered${doc.require_pushed_authorization_requests === true ? ' and required' : ''}`
      : doc.require_pushed_authorization_requests === true
        ? 'required but no pushed_authorization_request_endpoint'
        : 'not offered',
  })
  check(
    'metadata.rar',
    'authorization_details type eci (RFC 9396)',
    has('authorization_details_types_supported', 'eci'),
    has('authorization_details_types_supported', 'eci')
      ? 'authorization_details_types_supported'
      : 'not listed: customers choose accounts on the consent page',
    'warn',
  )
  check(
    'metadata.revocation',
    'revocation endpoint (RFC 7009)',
    typeof doc.revocation_endpoint === 'string',
    'revocation_endpoint',
    'warn',
  )
  const resource = doc.eci_resource
  let resourceProblem: string | undefined
  if (typeof resource !== 'string') resourceProblem = 'missing'
  else if (!URL.canParse(resource)) resourceProblem = 'not a URL'
  else if (new URL(resource).hash) resourceProblem = 'has a fragment'
  else if (new URL(resource).protocol !== 'https:' && !allowInsecure) resourceProblem = 'not https'
  check('eci.resource', 'eci_resource', resourceProblem === undefined, resourceProblem ?? String(resource))
  const types = doc.eci_request_types_supported
  const missingTypes = isStringArray(types) ? TYPES.filter((t) => !types.includes(t)) : []
  add({
    id: 'eci.request-types',
    title: 'eci_request_types_supported',
    status: !isStringArray(types) ? 'fail' : missingTypes.length ? 'warn' : 'pass',
    detail: !isStringArray(types)
      ? 'missing'
      : missingTypes.length
        ? `lacks ${missingTypes.join(', ')}`
        : types.join(', '),
  })
  const algs = doc.eci_request_signing_alg_values_supported
  add({
    id: 'eci.signing-algs',
    title: 'eci_request_signing_alg_values_supported',
    status:
      !isStringArray(algs) || algs.length === 0 || algs.includes('none')
        ? 'fail'
        : algs.includes('ES256')
          ? 'pass'
          : 'warn',
    detail: !isStringArray(algs)
      ? 'missing'
      : algs.includes('none')
        ? 'lists none'
        : `${algs.join(', ')}${algs.includes('ES256') ? '' : ' (ES256 recommended)'}`,
  })
  return doc
}

interface GrantSource {
  grant: Grant
  grantFile: string
  keyPath: string
  allowInsecure: boolean
}

async function findGrant(
  values: { 'grant-file'?: string | undefined; key?: string | undefined; 'client-id'?: string | undefined },
  issuer: string,
  io: CliIo,
): Promise<GrantSource | string> {
  const explicit = values['grant-file'] !== undefined || values['client-id'] !== undefined || values.key !== undefined
  const grantFile = values['grant-file'] ?? defaultGrantFile(io.env)
  if (!explicit) {
    try {
      await access(grantFile)
    } catch {
      return 'no grant: run "ecis consent" first, or pass --grant-file'
    }
  }
  const grant = await readGrant(grantFile)
  if (grant?.issuer !== issuer) {
    if (!explicit) return `the grant at ${grantFile} belongs to another provider`
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The grant at ${grantFile} belongs to another provider`)
  }
  if (values['client-id'] !== undefined && values['client-id'] !== grant.clientId) {
    throw new EciConfigError(ErrorCode.INVALID_OPTION, `The grant at ${grantFile} belongs to another client`)
  }
  const config = await readGrantConfig(grantFile)
  const keyPath = values.key ?? config?.keyPath
  if (!keyPath) {
    throw new EciConfigError(ErrorCode.INVALID_KEY, `No key for the grant at ${grantFile}: pass --key FILE`)
  }
  return { grant, grantFile, keyPath, allowInsecure: config?.allowInsecureRequests === true }
}

const PARSERS = { basic: parseBasic, invoice: parseInvoice, invoice_detail: parseInvoiceDetail }
const TITLES = { basic: 'ECI Basic', invoice: 'ECI Invoice', invoice_detail: 'ECI Invoice Detail' }

/** The data checks: each granted request type for the first account. */
async function checkData(
  source: GrantSource,
  metadata: Record<string, unknown>,
  fetchImpl: typeof fetch,
  allowInsecure: boolean,
  add: (r: CheckResult) => void,
): Promise<void> {
  let deviations: Deviation[] = []
  let raw: unknown
  let resource = ''
  // Keeps the raw body of each ECI response, for the strict judgement.
  const capture: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, init)
    const request = input instanceof Request ? input : undefined
    const url = request?.url ?? String(input)
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    if (method === 'POST' && url === resource && response.ok) {
      const text = await response.clone().text()
      const type = response.headers.get('content-type') ?? ''
      try {
        raw = /application\/jwt/i.test(type) ? decodeJwt(text.trim()) : JSON.parse(text)
      } catch {
        raw = undefined
      }
    }
    return response
  }
  let consumer: EciConsumer
  try {
    consumer = await EciConsumer.discover({
      issuer: source.grant.issuer,
      clientId: source.grant.clientId,
      clientAuth: { method: 'private_key_jwt', key: await readPrivateKey(source.keyPath) },
      allowInsecureRequests: allowInsecure || source.allowInsecure,
      validation: 'lenient',
      onDeviation: (d) => deviations.push(d),
      fetch: capture,
    })
  } catch (error) {
    const e = toEciError(error)
    add({
      id: 'sdk.discover',
      title: 'the SDK accepts the provider',
      status: 'fail',
      detail: `${e.name} [${e.code}]: ${e.message}`,
    })
    return
  }
  resource = consumer.resource
  add({ id: 'sdk.discover', title: 'the SDK accepts the provider', status: 'pass', detail: `ECI resource ${resource}` })
  const session = consumer.session(source.grant, { onGrant: (next) => writeGrant(source.grantFile, next) })
  const account = source.grant.accounts[0]
  if (account === undefined) {
    add({ id: 'data', title: 'data requests', status: 'skip', detail: 'the grant covers no account' })
    return
  }
  const advertised = isStringArray(metadata.eci_request_types_supported) ? metadata.eci_request_types_supported : TYPES
  let invoiceId: string | undefined
  for (const type of TYPES) {
    const target = type === 'basic' ? account : `${account}/${invoiceId ?? '?'}`
    const base = { id: `data.${type}`, title: `${TITLES[type]} (${target})` }
    if (!source.grant.scopes.includes(`eci:${type}`)) {
      add({ ...base, status: 'skip', detail: `not granted (scope eci:${type})` })
      continue
    }
    if (!advertised.includes(type)) {
      add({ ...base, status: 'skip', detail: 'not in eci_request_types_supported' })
      continue
    }
    if (type !== 'basic' && invoiceId === undefined) {
      add({ ...base, status: 'skip', detail: 'no invoice id (Basic failed or lists none)' })
      continue
    }
    deviations = []
    raw = undefined
    try {
      const value =
        type === 'basic'
          ? await session.basic(account)
          : type === 'invoice'
            ? await session.invoice(account, invoiceId as string)
            : await session.invoiceDetail(account, invoiceId as string)
      if (type === 'basic') invoiceId = (value as { system_invoice_ids: string[] }).system_invoice_ids.at(-1)
    } catch (error) {
      const e = toEciError(error)
      add({
        ...base,
        status: 'fail',
        detail: `${e.name} [${e.code}]: ${e.message}`,
        ...(e instanceof EciValidationError ? { issues: e.issues } : {}),
        ...(deviations.length ? { deviations } : {}),
      })
      continue
    }
    let issues: ValidationIssue[] = []
    try {
      PARSERS[type](raw, { validation: 'strict' })
    } catch (error) {
      issues = error instanceof EciValidationError ? error.issues : [{ path: [], message: 'not parseable' }]
    }
    const status: CheckStatus = issues.length ? 'fail' : deviations.length ? 'warn' : 'pass'
    const detail = issues.length
      ? `strict validation: ${issues.length} issue(s); lenient: ${deviations.length} deviation(s)`
      : deviations.length
        ? `valid; ${deviations.length} deviation(s)`
        : 'valid (strict)'
    add({ ...base, status, detail, ...(issues.length ? { issues } : {}), ...(deviations.length ? { deviations } : {}) })
  }
}

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
  const allowInsecure = values['allow-insecure'] === true || (typeof source !== 'string' && source.allowInsecure)
  const metadata = await checkMetadata(issuer, fetchImpl, allowInsecure, add)
  if (typeof source === 'string') {
    add({ id: 'data', title: 'data requests', status: 'skip', detail: source })
  } else if (!metadata) {
    add({ id: 'data', title: 'data requests', status: 'skip', detail: 'no metadata' })
  } else {
    await checkData(source, metadata, fetchImpl, allowInsecure, add)
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
