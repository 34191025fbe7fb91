/**
 * `ecis-consumer/green-button`: Green Button (NAESB REQ.21 ESPI) data — Download My Data files
 * and Connect My Data responses parsed into validated, exact data, bills and the ECIS model.
 * Web APIs only; one XML parser dependency (saxes).
 *
 * @module
 */
export {
  EciConfigError,
  EciConsentError,
  EciError,
  EciHttpError,
  EciNetworkError,
  EciValidationError,
  ErrorCode,
  type ValidationIssue,
} from '../errors.js'
export type { GrantStore, StoredGrant } from '../grant/store.js'
export {
  espiMoney,
  espiQuantity,
  formatMoney,
  type Quantity,
  quantityIn,
  readingCost,
  readingQuantity,
} from './amounts.js'
export {
  auditGreenButtonBill,
  auditGreenButtonBills,
  type GreenButtonAuditCheck,
  type GreenButtonAuditFinding,
  type GreenButtonAuditOptions,
} from './audit.js'
export {
  espiBills,
  type GreenButtonBill,
  type GreenButtonBillSource,
  type GreenButtonLineItem,
  MIN_BILLING_PERIOD_SECONDS,
} from './bills.js'
export {
  CURRENCIES,
  isChargeKind,
  type LineItemKind,
  lineItemKindName,
  type ServiceKind,
  serviceKindName,
  UNIT_SYMBOLS,
} from './codes.js'
export {
  type GreenButtonConsentOptions,
  type GreenButtonConsentTransaction,
  GreenButtonConsumer,
  type GreenButtonOpenSessionOptions,
  greenButtonConsumer,
  parseScopeSelection,
  type ScopeSelection,
} from './connect/consumer.js'
export {
  ApplicationInformation,
  applicationInformationFromXml,
  GreenButtonAuthorization,
  parseBatchList,
} from './connect/documents.js'
export type { GreenButtonGrant } from './connect/grant.js'
export { type GreenButtonNotificationOptions, greenButtonNotifications } from './connect/notifications.js'
export { DEFAULT_CMD_MAX_BYTES, type GreenButtonConsumerOptions } from './connect/options.js'
export type { ResourceCallOptions } from './connect/resource-request.js'
export {
  type FeedFilter,
  type GreenButtonBillsOptions,
  GreenButtonSession,
  type GreenButtonSessionOptions,
} from './connect/session.js'
export type { LocalTimeParametersResource } from './espi-resources.js'
export type {
  AtomEntry,
  CustomerData,
  EspiFeed,
  IntervalReading,
  LocalTimeParameters,
  MeterReading,
  ReadingType,
  UsagePoint,
  UsageSummary,
  WithAtom,
} from './feed.js'
export { DEFAULT_ESPI_LIMITS, type EspiLimits, type ResolvedEspiLimits } from './limits.js'
export { localDate, localMonth, utcOffsetAt } from './local-time.js'
export { type ParseEspiOptions, parseEspi, parseEspiStream } from './parse.js'
export type { EspiDeviation, EspiDeviationKind } from './read-element.js'
export { type GreenButtonMapping, toAccountView, toInvoice, toInvoiceDetail } from './to-ecis.js'
export { type UsageTotal, usageTotals } from './usage.js'
