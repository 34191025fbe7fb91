/**
 * JSON Schema (2020-12) of the ECIS wire objects, generated from the SDK's zod schemas with
 * zod 4's `z.toJSONSchema`: what a provider sends (protocol §6.1, §7.1), so a utility's team
 * can validate its responses in any language.
 *
 * The zod schemas describe the SDK's canonical output; the wire differs in one way only: a
 * field with other accepted spellings (`serivce_period_end`, the v1 wire name, for
 * `service_period_end`; `credit_new_total` for `credit_new` …) must be present in one of them.
 */
import * as z from 'zod'
import { IsoDate } from '../../src/schemas/fields.js'
import { BasicSchema, InvoiceDetailSchema, InvoiceSchema } from '../../src/schemas/responses.js'
import type { VocabularyTerm } from '../../src/schemas/vocabulary.js'
import { SEED_WIRE_NAMES as SEED_SPELLING, WIRE_ALIASES } from '../../src/schemas/wire-names.js'

export type JsonSchema = Record<string, unknown>

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$'

/** `z.toJSONSchema` with the vocabulary's refinements spelled out (a date is a real calendar day). */
function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    override: (ctx) => {
      if (ctx.zodSchema === IsoDate) {
        ctx.jsonSchema.format = 'date'
        ctx.jsonSchema.pattern = DATE_PATTERN
      }
    },
  }) as JsonSchema
}

/** The wire spellings of a canonical field, the preferred (the seed's) first. */
function spellings(term: string): string[] {
  const seed = SEED_SPELLING[term as VocabularyTerm]
  const aliases = Object.entries(WIRE_ALIASES)
    .filter(([alias, canonical]) => canonical === term && alias !== seed)
    .map(([alias]) => alias)
  return seed ? [seed, term, ...aliases] : [term, ...aliases]
}

/**
 * The wire form of a response schema: each aliased field under every accepted spelling, one
 * of which is required; other fields as they are; unknown fields allowed (providers may add
 * fields, protocol §6.1).
 */
function wireForm(canonical: JsonSchema, descriptions: Record<string, string>): JsonSchema {
  const properties = canonical.properties as Record<string, JsonSchema>
  const required = new Set(canonical.required as string[])
  const wire: Record<string, JsonSchema> = {}
  const wireRequired: string[] = []
  const oneOfSpellings: JsonSchema[] = []
  for (const [name, property] of Object.entries(properties)) {
    const names = spellings(name)
    const meaning = descriptions[name]
    const [preferred, ...others] = names as [string, ...string[]]
    wire[preferred] = { ...property, ...(meaning ? { description: meaning } : {}) }
    for (const other of others) {
      wire[other] = {
        ...property,
        description: `Accepted spelling of \`${preferred}\`${meaning ? `: ${meaning}` : ''}`,
      }
    }
    if (!required.has(name)) continue
    if (others.length === 0) wireRequired.push(name)
    else oneOfSpellings.push({ anyOf: names.map((n) => ({ required: [n] })) })
  }
  return {
    type: 'object',
    properties: wire,
    required: wireRequired,
    ...(oneOfSpellings.length ? { allOf: oneOfSpellings } : {}),
    additionalProperties: true,
  }
}

/** The `{ error, error_description }` body of every ECI error response (protocol §7.1). */
export const ErrorBodySchema = z.object({
  error: z.string().min(1),
  error_description: z.string().optional(),
})

const ERROR_CODES = [
  'invalid_request',
  'invalid_request_jwt',
  'invalid_token',
  'insufficient_scope',
  'not_found',
  'rate_limited',
  'server_error',
  'temporarily_unavailable',
]

/** The field meanings of docs/vocabulary.md's table (canonical name → meaning), where it gives one. */
export function vocabularyMeanings(markdown: string): Record<string, string> {
  const meanings: Record<string, string> = {}
  for (const m of markdown.matchAll(/^\| `([a-z_]+)` \|(.*)\|\s*$/gm)) {
    const cells = (m[2] as string).split('|').map((c) => c.trim())
    const meaning = cells
      .at(-1)
      ?.replace(/\*\*/g, '')
      .replace(/ \(see below\)/, '')
    if (meaning) meanings[m[1] as string] = meaning
  }
  return meanings
}

/** The four JSON Schema documents, by file name. */
export function wireJsonSchemas(meanings: Record<string, string>): Record<string, JsonSchema> {
  const doc = (file: string, title: string, description: string, body: JsonSchema): [string, JsonSchema] => [
    file,
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `urn:ecis:wire-profile:v1:${file.replace('.schema.json', '')}`,
      title,
      description,
      ...body,
    },
  ]
  const response = (name: string, type: string) =>
    `The 200 application/json body of an ECI ${name} request (eci_request_type "${type}"), ECIS wire profile v1 §6.1. Fields are specified in vocabulary.md; providers may add fields.`
  const wire = (schema: z.ZodType) => wireForm(toJsonSchema(schema), meanings)
  const error = toJsonSchema(ErrorBodySchema)
  const errorProperties = error.properties as Record<string, JsonSchema>
  errorProperties.error = {
    ...errorProperties.error,
    description: 'The OAuth/ECIS error code (protocol §7.1).',
    examples: ERROR_CODES,
  }
  errorProperties.error_description = {
    ...errorProperties.error_description,
    description: 'Human-readable text; never tokens, request JWTs or personal data.',
  }
  return Object.fromEntries([
    doc('basic.schema.json', 'ECIS Basic response', response('Basic', 'basic'), wire(BasicSchema)),
    doc('invoice.schema.json', 'ECIS Invoice response', response('Invoice', 'invoice'), wire(InvoiceSchema)),
    doc(
      'invoice-detail.schema.json',
      'ECIS Invoice Detail response',
      response('Invoice Detail', 'invoice_detail'),
      wire(InvoiceDetailSchema),
    ),
    doc(
      'error.schema.json',
      'ECIS error response',
      'The application/json body of every ECI error response (400, 401, 403, 404, 429, 5xx), ECIS wire profile v1 §7.1.',
      { ...error, additionalProperties: true },
    ),
  ])
}
