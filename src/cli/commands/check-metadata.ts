/** `ecis check`, part 1: the provider's metadata (protocol §2) — location, OAuth members, ECIS members. */

import { EciError, toEciError } from '../../errors.js'
import { readBodyText } from '../../http/body.js'
import { checkConsentMetadata, checkMetadataMembers, resolveEciResource } from '../../protocol/metadata.js'
import type { Deviation, ValidationIssue } from '../../schemas/index.js'
import { isLoopback } from '../insecure.js'

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

/** The ECIS request types, in the order the data checks call them. */
export const TYPES = ['basic', 'invoice', 'invoice_detail'] as const

export function isStringArray(value: unknown): value is string[] {
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

/** Time limit of each metadata request, and the largest document read. */
const METADATA_TIMEOUT_MS = 10_000
const MAX_METADATA_BYTES = 256 * 1024

async function getJson(
  fetchImpl: typeof fetch,
  url: string,
): Promise<{ status: number; contentType: string; body: unknown } | EciError> {
  // A provider that never answers, or answers forever, must not hang or swell the report.
  const signal = AbortSignal.timeout(METADATA_TIMEOUT_MS)
  try {
    const res = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal })
    const contentType = res.headers.get('content-type') ?? ''
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      return { status: res.status, contentType, body: undefined }
    }
    const text = await readBodyText(res, {
      timeoutMs: METADATA_TIMEOUT_MS,
      maxBytes: MAX_METADATA_BYTES,
      signal,
      what: `GET ${url}`,
    })
    try {
      return { status: res.status, contentType, body: JSON.parse(text) }
    } catch {
      return { status: res.status, contentType, body: undefined }
    }
  } catch (error) {
    return toEciError(error, `GET ${url}`)
  }
}

/** Where `--allow-insecure` came from, for the report's words. */
export type InsecureSource = 'flag' | 'grant' | undefined

/**
 * `issuer is https`: https passes; plain http is never a pass. On loopback (development,
 * RFC 8252) it is a warning when allowed by --allow-insecure or by the stored grant, else a
 * failure that names the flag; elsewhere it fails even when allowed.
 */
function issuerCheck(url: URL, issuer: string, allowInsecure: InsecureSource): CheckResult {
  const base = { id: 'issuer.https', title: 'issuer is https' }
  if (url.protocol === 'https:') return { ...base, status: 'pass', detail: issuer }
  const why =
    allowInsecure === 'flag' ? 'by --allow-insecure' : 'because the stored grant was made with --allow-insecure'
  if (!isLoopback(url)) {
    return { ...base, status: 'fail', detail: `${issuer} is not https (ECIS allows http only on loopback)` }
  }
  if (allowInsecure === undefined) {
    return {
      ...base,
      status: 'fail',
      detail: `${issuer} is not https (pass --allow-insecure for a local test provider)`,
    }
  }
  return { ...base, status: 'warn', detail: `${issuer} is not https: loopback, for development only (allowed ${why})` }
}

/** The metadata checks; returns the document when one was found. */
export async function checkMetadata(
  issuer: string,
  fetchImpl: typeof fetch,
  allowInsecure: InsecureSource,
  add: (r: CheckResult) => void,
): Promise<Record<string, unknown> | undefined> {
  const url = new URL(issuer)
  add(issuerCheck(url, issuer, allowInsecure))
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
  checkOAuthMembers(doc, issuer, contentType, add)
  checkEciMembers(doc, allowInsecure, add)
  return doc
}

/** The RFC 8414 members ECIS relies on (protocol §2.2). */
function checkOAuthMembers(
  doc: Record<string, unknown>,
  issuer: string,
  contentType: string,
  add: (r: CheckResult) => void,
): void {
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
}

/**
 * The verdict `EciConsumer.discover` would give: the same metadata and URL rules
 * (protocol/metadata.ts), run on this document.
 */
function profileRules(doc: Record<string, unknown>, allowInsecure: boolean): CheckResult {
  const base = { id: 'sdk.rules', title: 'the SDK accepts this metadata (the rules discover applies)' }
  try {
    const metadata = checkMetadataMembers(doc, allowInsecure)
    checkConsentMetadata(metadata, 'backend')
    resolveEciResource(metadata, undefined, true)
    return { ...base, status: 'pass', detail: 'endpoints, lists, PKCE S256, code flow, PAR, eci_resource' }
  } catch (error) {
    return { ...base, status: 'fail', detail: (error as Error).message }
  }
}

/** The ECIS members (protocol §2.3). */
function checkEciMembers(doc: Record<string, unknown>, allowInsecure: InsecureSource, add: (r: CheckResult) => void) {
  const check = (id: string, title: string, ok: boolean, detail: string) =>
    add({ id, title, status: ok ? 'pass' : 'fail', detail })
  const resource = doc.eci_resource
  let resourceProblem: string | undefined
  if (typeof resource !== 'string') resourceProblem = 'missing'
  else if (!URL.canParse(resource)) resourceProblem = 'not a URL'
  else if (new URL(resource).hash) resourceProblem = 'has a fragment'
  else if (new URL(resource).protocol !== 'https:' && (!allowInsecure || !isLoopback(new URL(resource)))) {
    resourceProblem = 'not https'
  }
  check('eci.resource', 'eci_resource', resourceProblem === undefined, resourceProblem ?? String(resource))
  add(profileRules(doc, allowInsecure !== undefined))
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
}
