/**
 * What the mock Data Custodian writes besides feeds: the ESPI `Authorization`,
 * `ApplicationInformation` and `BatchList` documents, and the hostile bodies its faults send.
 * @module
 */
import type { MockAuthorization } from './custodian-state.js'
import type { MockGreenButtonClient } from './custodian-types.js'
import { ESPI } from './espi-writer.js'
import { leaf } from './xml.js'

const ATOM_XML = { 'Content-Type': 'application/atom+xml' }

/** An Atom XML response. */
export function atom(xml: string, status = 200): Response {
  return new Response(xml, { status, headers: ATOM_XML })
}

/** The ESPI `Authorization` resource of one consent (status 1 active, 0 revoked). */
export function authorizationXml(a: MockAuthorization, resourceBase: string, publishedUntil: number): string {
  const content = `<Authorization xmlns="${ESPI}">${[
    `<authorizedPeriod>${leaf('duration', 31_536_000)}${leaf('start', publishedUntil - 31_536_000)}</authorizedPeriod>`,
    `<publishedPeriod>${leaf('duration', 31_536_000)}${leaf('start', publishedUntil - 31_536_000)}</publishedPeriod>`,
    leaf('status', a.revoked || a.reportedRevoked ? 0 : 1),
    leaf('expires_at', publishedUntil + 31_536_000),
    leaf('grant_type', 'authorization_code'),
    leaf('scope', a.scope),
    leaf('token_type', 'Bearer'),
    leaf('resourceURI', `${resourceBase}/Batch/Subscription/${a.id}`),
    leaf('authorizationURI', `${resourceBase}/Authorization/${a.id}`),
  ].join('')}</Authorization>`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:uuid:auth-${a.id}</id><link rel="self" href="${resourceBase}/Authorization/${a.id}"/><title>Authorization</title><content>${content}</content></entry>\n`
}

/** The `ApplicationInformation` of a registered client (its secret left out). */
export function applicationInformationXml(
  client: MockGreenButtonClient,
  base: string,
  resourceBase: string,
  scopes: string[],
): string {
  const content = `<ApplicationInformation xmlns="${ESPI}">${[
    leaf('dataCustodianId', 'mock-data-custodian'),
    leaf('thirdPartyApplicationName', client.clientId),
    leaf('client_id', client.clientId),
    leaf('redirect_uri', client.redirectUris[0]),
    leaf('thirdPartyNotifyUri', client.notifyUri),
    leaf('authorizationServerUri', `${base}/DataCustodian`),
    leaf('authorizationServerAuthorizationEndpoint', `${base}/DataCustodian/oauth/authorize`),
    leaf('authorizationServerTokenEndpoint', `${base}/DataCustodian/oauth/token`),
    leaf('dataCustodianResourceEndpoint', resourceBase),
    leaf('dataCustodianBulkRequestURI', `${resourceBase}/Batch/Bulk`),
    leaf('token_endpoint_auth_method', 'client_secret_basic'),
    ...scopes.map((s) => leaf('scope', s)),
  ].join('')}</ApplicationInformation>`
  return `<?xml version="1.0" encoding="UTF-8"?>\n<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:uuid:app-${client.clientId}</id><title>ApplicationInformation</title><content>${content}</content></entry>\n`
}

/** The `BatchList` of a notification. */
export function batchListXml(uris: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<BatchList xmlns="${ESPI}">${uris.map((u) => leaf('resources', u)).join('')}</BatchList>\n`
}

/** A billion-laughs document: entity expansion a parser must refuse, not expand. */
export function xmlBomb(): Response {
  const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('')
  return atom(
    `<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY lol0 "lol">${entities}]>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>\n`,
  )
}

/** A stream of `chunk` repeated until `limit` bytes, or forever after `head` when `endless` hangs. */
function streamOf(head: string, chunk: string, limit: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const bytes = encoder.encode(chunk.repeat(Math.max(1, Math.floor(65_536 / chunk.length))))
  let sent = 0
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode(head))
    },
    pull(controller) {
      if (sent >= limit) return controller.close()
      sent += bytes.byteLength
      controller.enqueue(bytes)
    },
  })
}

/** A well-formed feed head followed by ~1 GiB of entries: only a size limit stops its reader. */
export function giantFeed(): Response {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>giant</title>'
  const entry = `<entry><id>urn:uuid:x</id><title>padding</title><content><LocalTimeParameters xmlns="${ESPI}"><dstEndRule>B40E2000</dstEndRule><dstOffset>3600</dstOffset><dstStartRule>360E2000</dstStartRule><tzOffset>-18000</tzOffset></LocalTimeParameters></content></entry>\n`
  return new Response(streamOf(head, entry, 1024 ** 3), { headers: ATOM_XML })
}

/** A feed head, then nothing, never ending: only a deadline stops its reader. */
export function endlessFeed(): Response {
  const encoder = new TextEncoder()
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'))
      },
      pull: () => new Promise<void>(() => {}),
    }),
    { headers: ATOM_XML },
  )
}

/** A proxy's HTML error page with status 200. */
export function htmlPage(): Response {
  return new Response('<!doctype html><html><body><h1>Maintenance</h1></body></html>', {
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  })
}
