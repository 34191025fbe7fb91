/**
 * Every generated protocol document, by path under docs/: the JSON Schemas in docs/schema/
 * and docs/openapi.json. scripts/generate-protocol.mjs writes them; test/protocol checks that
 * the committed files equal what this returns.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type JsonSchema, vocabularyMeanings, wireJsonSchemas } from './json-schema.js'
import { openApiDocument } from './openapi.js'
import { reportJsonSchema } from './report-schema.js'

export function protocolDocuments(root: string): Record<string, JsonSchema> {
  const meanings = vocabularyMeanings(readFileSync(join(root, 'docs', 'vocabulary.md'), 'utf8'))
  const schemas = wireJsonSchemas(meanings)
  return {
    ...Object.fromEntries(Object.entries(schemas).map(([file, schema]) => [`schema/${file}`, schema])),
    'openapi.json': openApiDocument(schemas),
    'schema/conformance-report.schema.json': reportJsonSchema(),
  }
}

/** How a document is written: 2-space JSON with a final newline. */
export const serialize = (document: JsonSchema): string => `${JSON.stringify(document, null, 2)}\n`
