/**
 * `ecis-consumer/conformance` (Node only): the ECIS provider conformance suite behind
 * `ecis conformance`, for a utility's CI or a producer's go-live check.
 * @module
 */
export { CONFORMANCE_TESTS, type ConformanceLevel, type ConformanceTestSpec } from './catalog.js'
export type { ConformanceOptions } from './options.js'
export {
  type ConformanceEvidence,
  ConformanceEvidenceSchema,
  type ConformanceProgress,
  type ConformanceReport,
  ConformanceReportSchema,
  type ConformanceResult,
  ConformanceResultSchema,
} from './report.js'
export { runConformance } from './run.js'
