/** `ecis check`, part 2: with a grant, each granted request type, judged by a strict parse of the raw body. */
import { access } from 'node:fs/promises'
import { decodeJwt } from 'jose/jwt/decode'
import { EciConsumer } from '../../consumer.js'
import { toEciError } from '../../error-boundary.js'
import { EciConfigError, EciValidationError, ErrorCode } from '../../errors.js'
import type { Grant } from '../../grant/grant.js'
import {
  type Deviation,
  parseBasic,
  parseInvoice,
  parseInvoiceDetail,
  type ValidationIssue,
} from '../../schemas/index.js'
import { defaultGrantFile, readGrant, readGrantConfig, writeGrant } from '../grant-store.js'
import type { CliIo } from '../io.js'
import { readPrivateKey, rememberKey } from '../keys.js'
import { type CheckResult, type CheckStatus, isStringArray, TYPES } from './check-metadata.js'

/** The stored grant a data check uses, and how to use it. */
export interface GrantSource {
  grant: Grant
  grantFile: string
  keyPath: string
  allowInsecure: boolean
}

/** The grant for this provider, or why there is none (a string) when none was asked for. */
export async function findGrant(
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

/**
 * A `fetch` that hands the raw body of each successful ECI response (POST to a URL
 * `isResource` accepts; JSON, or the payload of a signed response) to `onBody`.
 */
function capturingFetch(
  fetchImpl: typeof fetch,
  isResource: (url: string) => boolean,
  onBody: (body: unknown) => void,
): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init)
    const request = input instanceof Request ? input : undefined
    const url = request?.url ?? String(input)
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    if (method === 'POST' && isResource(url) && response.ok) {
      const text = await response.clone().text()
      const type = response.headers.get('content-type') ?? ''
      try {
        onBody(/application\/jwt/i.test(type) ? decodeJwt(text.trim()) : JSON.parse(text))
      } catch {
        onBody(undefined)
      }
    }
    return response
  }
}

/** The strict judgement of a raw body the lenient client accepted. */
function judge(
  type: (typeof TYPES)[number],
  raw: unknown,
  deviations: Deviation[],
): { status: CheckStatus; detail: string; issues: ValidationIssue[] } {
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
  return { status, detail, issues }
}

/** The SDK on the grant's provider, validating leniently; `undefined` (and a failed check) when it refuses. */
async function lenientConsumer(
  source: GrantSource,
  fetchImpl: typeof fetch,
  allowInsecure: boolean,
  onDeviation: (d: Deviation) => void,
  add: (r: CheckResult) => void,
  io: CliIo,
): Promise<EciConsumer | undefined> {
  try {
    const key = await readPrivateKey(source.keyPath)
    rememberKey(io, key)
    return await EciConsumer.discover({
      issuer: source.grant.issuer,
      clientId: source.grant.clientId,
      clientAuth: { method: 'private_key_jwt', key },
      allowInsecureRequests: allowInsecure || source.allowInsecure,
      validation: 'lenient',
      onDeviation,
      fetch: fetchImpl,
    })
  } catch (error) {
    const e = toEciError(error)
    const detail = `${e.name} [${e.code}]: ${e.message}`
    add({ id: 'sdk.discover', title: 'the SDK accepts the provider', status: 'fail', detail })
    return undefined
  }
}

/** The data checks: each granted request type for the first account. */
export async function checkData(
  source: GrantSource,
  metadata: Record<string, unknown>,
  fetchImpl: typeof fetch,
  allowInsecure: boolean,
  add: (r: CheckResult) => void,
  io: CliIo,
): Promise<void> {
  let deviations: Deviation[] = []
  let raw: unknown
  let resource = ''
  const capture = capturingFetch(
    fetchImpl,
    (url) => url === resource,
    (body) => {
      raw = body
    },
  )
  const consumer = await lenientConsumer(source, capture, allowInsecure, (d) => deviations.push(d), add, io)
  if (!consumer) return
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
    const { status, detail, issues } = judge(type, raw, deviations)
    add({ ...base, status, detail, ...(issues.length ? { issues } : {}), ...(deviations.length ? { deviations } : {}) })
  }
}
