/**
 * Money: exact amounts (bigint, from the wire text) and the audits of a bill and of an
 * account's invoice history. Knows nothing of transport: it reads the schemas' types only.
 * @module
 */
export {
  type AmountInput,
  absAmount,
  addAmounts,
  compareAmounts,
  type ExactAmount,
  exactAmount,
  type FormatAmountOptions,
  formatAmount,
  mulAmounts,
  ROUNDING_MODES,
  type RoundingMode,
  type RoundingOptions,
  roundAmount,
  subAmounts,
} from './amount.js'
export { auditHistory } from './audit-history.js'
export { auditInvoice, creditValue } from './audit-invoice.js'
export {
  AUDIT_CHECKS,
  type AuditCheck,
  type AuditFinding,
  type AuditOptions,
  type AuditSeverity,
  type HistoryAuditOptions,
} from './findings.js'
export {
  type ExactInvoiceAmounts,
  type ExactInvoiceDetailAmounts,
  exactAmounts,
  type InvoiceDetailAmountField,
  LINE_ITEMS,
  type LineItem,
} from './invoice-amounts.js'
