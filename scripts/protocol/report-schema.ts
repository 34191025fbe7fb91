/**
 * JSON Schema (2020-12) of the `ecis conformance` report (`--report`, `runConformance`), from
 * its zod schema, so a utility's CI can validate and read reports in any language.
 */
import * as z from 'zod'
import { ConformanceReportSchema } from '../../src/conformance/report.js'
import type { JsonSchema } from './json-schema.js'

export function reportJsonSchema(): JsonSchema {
  return {
    $id: 'urn:ecis:conformance-report:v1',
    title: 'ECIS conformance report',
    description:
      'The report of `ecis conformance` / `runConformance`: one result per test of docs/conformance.md, with its level (MUST/SHOULD), docs/protocol.md section, status and evidence. Never holds a token, code, JWT or key.',
    ...(z.toJSONSchema(ConformanceReportSchema, { target: 'draft-2020-12', io: 'output' }) as JsonSchema),
  }
}
