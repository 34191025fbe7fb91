/**
 * The small ESPI documents of Connect My Data, read with the same bounded XML reader as feeds (no
 * DTD, no entities, limits on size and shape): `ApplicationInformation` (a Third Party's
 * registration), `Authorization` (status, scope, expiry of one customer's consent) and
 * `BatchList` (the resource URIs of a notification).
 * @module
 */
import { z } from 'zod'
import { EciConfigError, EciError, EciValidationError, ErrorCode } from '../../errors.js'
import { type EspiLimits, resolveEspiLimits } from '../limits.js'
import { ESPI_NS, type XmlElement, XmlReader } from '../xml-reader.js'

/** Largest Connect My Data document read (ApplicationInformation, Authorization, BatchList). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024

/** The whole document as a tree, within `limits`. @throws {EciValidationError} */
export function readXmlTree(xml: string, what: string, limits?: EspiLimits): XmlElement {
  if (typeof xml !== 'string') throw new EciConfigError(ErrorCode.INVALID_OPTION, `${what} reads an XML string`)
  let root: XmlElement | undefined
  try {
    const reader = new XmlReader(resolveEspiLimits({ maxBytes: MAX_DOCUMENT_BYTES, ...limits }), {
      root: () => false,
      child: () => {},
      end: (element) => {
        root = element
      },
    })
    reader.write(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml)
    reader.close()
  } catch (error) {
    if (error instanceof EciError) throw error
    throw new EciValidationError(`${what}: not well-formed XML`, [{ path: [], message: 'not well-formed XML' }])
  }
  return root as XmlElement
}

/** The ESPI element `name`: the root itself, or the one inside an Atom entry's content. */
export function espiResource(root: XmlElement, name: string, what: string): XmlElement {
  const stack = [root]
  for (let element = stack.pop(); element; element = stack.pop()) {
    if (element.name === name && element.ns === ESPI_NS) return element
    stack.push(...element.children)
  }
  throw new EciValidationError(`${what}: the document holds no espi:${name}`, [
    { path: [], message: `Expected an espi:${name} element` },
  ])
}

function texts(element: XmlElement, name: string): string[] {
  return element.children.filter((c) => c.name === name && c.ns === ESPI_NS && c.text).map((c) => c.text)
}

const text = (element: XmlElement, name: string) => texts(element, name)[0]

function validated<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issues = result.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }))
  throw new EciValidationError(`${what}: ${issues[0]?.message ?? 'invalid'}`, issues)
}

const Uri = z.url({ error: 'Expected an absolute URL' })

/** A Third Party's registration at a Data Custodian (ESPI `ApplicationInformation`); the client secret is not kept. */
export const ApplicationInformation = z.object({
  clientId: z.string().min(1).optional(),
  redirectUri: Uri.optional(),
  thirdPartyNotifyUri: Uri.optional(),
  authorizationServerUri: Uri.optional(),
  authorizationServerAuthorizationEndpoint: Uri.optional(),
  authorizationServerTokenEndpoint: Uri.optional(),
  dataCustodianResourceEndpoint: Uri.optional(),
  dataCustodianBulkRequestUri: Uri.optional(),
  dataCustodianId: z.string().optional(),
  thirdPartyApplicationName: z.string().optional(),
  tokenEndpointAuthMethod: z.string().optional(),
  /** The Function Block scopes the Data Custodian offers this Third Party. */
  scopes: z.array(z.string()),
})
/** A Third Party's registration at a Data Custodian (ESPI `ApplicationInformation`). */
export type ApplicationInformation = z.infer<typeof ApplicationInformation>

/**
 * Reads a Data Custodian's `ApplicationInformation` (a bare element or an Atom entry holding
 * one) into the endpoints and scopes `greenButtonConsumer` takes.
 * @throws {EciValidationError} for malformed XML, a DTD, a limit passed, or a field that is no URL.
 * @example
 * ```ts
 * import { applicationInformationFromXml, greenButtonConsumer } from 'ecis-consumer/green-button'
 *
 * const applicationInformation = applicationInformationFromXml(xml)
 * const gb = greenButtonConsumer({ applicationInformation, clientAuth: { method: 'client_secret_basic', secret: 's3cret' } })
 * ```
 */
export function applicationInformationFromXml(xml: string): ApplicationInformation {
  const what = 'ApplicationInformation'
  const e = espiResource(readXmlTree(xml, what), 'ApplicationInformation', what)
  return validated(
    ApplicationInformation,
    {
      clientId: text(e, 'client_id'),
      redirectUri: texts(e, 'redirect_uri')[0],
      thirdPartyNotifyUri: text(e, 'thirdPartyNotifyUri'),
      authorizationServerUri: text(e, 'authorizationServerUri'),
      authorizationServerAuthorizationEndpoint: text(e, 'authorizationServerAuthorizationEndpoint'),
      authorizationServerTokenEndpoint: text(e, 'authorizationServerTokenEndpoint'),
      dataCustodianResourceEndpoint: text(e, 'dataCustodianResourceEndpoint'),
      dataCustodianBulkRequestUri: text(e, 'dataCustodianBulkRequestURI'),
      dataCustodianId: text(e, 'dataCustodianId'),
      thirdPartyApplicationName: text(e, 'thirdPartyApplicationName'),
      tokenEndpointAuthMethod: text(e, 'token_endpoint_auth_method'),
      scopes: texts(e, 'scope'),
    },
    what,
  )
}

/**
 * The resource URIs of a Data Custodian's notification (an `espi:BatchList` POSTed to the Third
 * Party's notify URI): each names data that is ready to be read.
 * @throws {EciValidationError} for malformed XML, a DTD, no BatchList, or an entry that is no absolute URL.
 * @example
 * ```ts
 * const uris = parseBatchList(await request.text())
 * ```
 */
export function parseBatchList(xml: string): string[] {
  const what = 'BatchList'
  const list = espiResource(readXmlTree(xml, what), 'BatchList', what)
  return validated(z.array(Uri), texts(list, 'resources'), what)
}

const Period = z.object({ start: z.coerce.number().int(), duration: z.coerce.number().int().nonnegative() })

const STATUS = { 0: 'revoked', 1: 'active', 2: 'denied' } as const

/** One customer's authorization as the Data Custodian reports it (ESPI `Authorization`). */
export const GreenButtonAuthorization = z.object({
  /** `active`, or `revoked` / `denied` (the customer must consent again), or `unknown` for another code. */
  status: z.enum(['active', 'revoked', 'denied', 'unknown']),
  /** The ESPI status code as sent. */
  statusCode: z.number().int().optional(),
  /** The Function Block scope granted. */
  scope: z.string().optional(),
  /** When the authorization ends, epoch seconds. */
  expiresAt: z.number().int().optional(),
  /** The period the customer authorized data for. */
  authorizedPeriod: Period.optional(),
  /** The period of data published so far. */
  publishedPeriod: Period.optional(),
  resourceUri: Uri.optional(),
  authorizationUri: Uri.optional(),
})
/** One customer's authorization as the Data Custodian reports it (ESPI `Authorization`). */
export type GreenButtonAuthorization = z.infer<typeof GreenButtonAuthorization>

function period(e: XmlElement, name: string) {
  const p = e.children.find((c) => c.name === name && c.ns === ESPI_NS)
  return p && { start: text(p, 'start'), duration: text(p, 'duration') }
}

/** Reads an ESPI `Authorization` resource. @throws {EciValidationError} */
export function parseAuthorization(xml: string): GreenButtonAuthorization {
  const what = 'Authorization'
  const e = espiResource(readXmlTree(xml, what), 'Authorization', what)
  const code = text(e, 'status')
  const statusCode = code !== undefined && /^\d{1,3}$/.test(code) ? Number(code) : undefined
  const expires = text(e, 'expires_at')
  return validated(
    GreenButtonAuthorization,
    {
      status: (statusCode !== undefined && STATUS[statusCode as keyof typeof STATUS]) || 'unknown',
      statusCode,
      scope: text(e, 'scope'),
      expiresAt: expires === undefined ? undefined : Number(expires),
      authorizedPeriod: period(e, 'authorizedPeriod'),
      publishedPeriod: period(e, 'publishedPeriod'),
      resourceUri: text(e, 'resourceURI'),
      authorizationUri: text(e, 'authorizationURI'),
    },
    what,
  )
}
