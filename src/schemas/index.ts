export { EciError, EciValidationError, ErrorCode, type ValidationIssue } from '../errors.js'
export { AccountType, Amount, Flag, Identifier, IdentifierList, IsoDate, isCalendarDate, Text } from './fields.js'
export {
  type Deviation,
  type DeviationKind,
  type ParseOptions,
  parseBasic,
  parseInvoice,
  parseInvoiceDetail,
  type ValidationMode,
} from './parse.js'
export {
  type Basic,
  BasicSchema,
  type Invoice,
  type InvoiceDetail,
  InvoiceDetailSchema,
  InvoiceSchema,
} from './responses.js'
export { Vocabulary, type VocabularyTerm } from './vocabulary.js'
