/**
 * The conformance report: its zod schema (docs/schema/conformance-report.schema.json is
 * generated from it by `npm run protocol`) and its types.
 * @module
 */
import * as z from 'zod'

/** What a test saw: never a token, code, JWT or key. */
export const ConformanceEvidenceSchema = z
  .object({
    /** HTTP status of the answer that decided the test. */
    status: z.number().int().optional(),
    /** The `error` member of its body. */
    error: z.string().optional(),
    /** Its `WWW-Authenticate` header. */
    wwwAuthenticate: z.string().optional(),
    /** Its `Retry-After` header. */
    retryAfter: z.string().optional(),
    /** Its `Content-Type` header. */
    contentType: z.string().optional(),
    /** Its `X-Request-Id`, to find the request in the provider's logs. */
    requestId: z.string().optional(),
    /** What was sent, or the SDK error that ended the test, in words. */
    detail: z.string().optional(),
  })
  .strict()

/** One test's outcome. */
export const ConformanceResultSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    level: z.enum(['MUST', 'SHOULD']),
    /** The docs/protocol.md section. */
    section: z.string(),
    status: z.enum(['pass', 'fail', 'skip']),
    /** Why the test was skipped, or why it failed. */
    reason: z.string().optional(),
    /** How to fix a failure. */
    fix: z.string().optional(),
    evidence: ConformanceEvidenceSchema.optional(),
    durationMs: z.number().nonnegative(),
  })
  .strict()

/** The whole report, as `--report` writes it and `runConformance` returns it. */
export const ConformanceReportSchema = z
  .object({
    /** Report format version. */
    version: z.literal(1),
    /** `ecis-consumer <version>`. */
    tool: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    /** Whether destructive tests were allowed. */
    destructive: z.boolean(),
    /** True when no MUST test failed. */
    conformant: z.boolean(),
    summary: z
      .object({
        pass: z.number().int(),
        fail: z.number().int(),
        skip: z.number().int(),
        mustFailures: z.number().int(),
        shouldFailures: z.number().int(),
      })
      .strict(),
    results: z.array(ConformanceResultSchema),
  })
  .strict()

/** What a test saw. */
export type ConformanceEvidence = z.infer<typeof ConformanceEvidenceSchema>
/** One test's outcome. */
export type ConformanceResult = z.infer<typeof ConformanceResultSchema>
/** The conformance report. */
export type ConformanceReport = z.infer<typeof ConformanceReportSchema>

/** What a caller hears after each test. */
export interface ConformanceProgress {
  /** Tests finished so far (this one included) and the number selected. */
  done: number
  total: number
  result: ConformanceResult
}
