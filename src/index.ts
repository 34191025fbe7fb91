export type { ConsentScope } from './consent/scopes.js'
export type { ConsentTransaction } from './consent/transaction.js'
export { EciConsumer, type EciProviderMetadata } from './consumer.js'
export type {
  BeginConsentOptions,
  BeginConsentResult,
  ExchangeCodeInput,
  OpenSessionOptions,
  SaveGrantOptions,
} from './consumer-calls.js'
export {
  type ConfigErrorCode,
  type ConsentErrorCode,
  EciConfigError,
  EciConsentError,
  EciError,
  type EciErrorOptions,
  EciHttpError,
  type EciHttpErrorOptions,
  EciNetworkError,
  type EciNetworkErrorOptions,
  EciValidationError,
  type EciValidationErrorOptions,
  ErrorCode,
  type HttpErrorCode,
  MAX_VALIDATION_ISSUES,
  type NetworkErrorCode,
  type ValidationIssue,
} from './errors.js'
export {
  type EncryptedGrantStoreOptions,
  encryptedGrantStore,
  type GrantEncryptionKey,
} from './grant/encrypted-store.js'
export type { Grant } from './grant/grant.js'
export type { InvalidInvoice, InvoicesOptions, InvoicesProgress } from './grant/invoices.js'
export { memoryGrantStore } from './grant/memory-store.js'
export { EciSession, type SessionOptions } from './grant/session.js'
export type {
  GrantLock,
  GrantLockOptions,
  GrantStatus,
  GrantStore,
  MarkNeedsConsentOptions,
  PutGrantOptions,
  StoredGrant,
} from './grant/store.js'
export { RETRY_STATUS_CODES, type RetryOptions } from './http/retry.js'
export {
  type AmountInput,
  AUDIT_CHECKS,
  type AuditCheck,
  type AuditFinding,
  type AuditOptions,
  type AuditSeverity,
  absAmount,
  addAmounts,
  auditHistory,
  auditInvoice,
  compareAmounts,
  creditValue,
  type ExactAmount,
  type ExactInvoiceAmounts,
  type ExactInvoiceDetailAmounts,
  exactAmount,
  exactAmounts,
  type FormatAmountOptions,
  formatAmount,
  type HistoryAuditOptions,
  type InvoiceDetailAmountField,
  LINE_ITEMS,
  type LineItem,
  mulAmounts,
  ROUNDING_MODES,
  type RoundingMode,
  type RoundingOptions,
  roundAmount,
  subAmounts,
} from './money/index.js'
export type { AssertionAudience, ClientAuthOption, DpopOption, EciConsumerOptions } from './options.js'
export { type EciRequestClaims, type EciRequestType, REQUEST_TYPES } from './protocol/claims.js'
export type { AuthorizationServerMetadata } from './protocol/metadata.js'
export {
  type CallOptions,
  createEciClient,
  type EciClient,
  type EciClientOptions,
  type InvalidTokenHandler,
  type InvalidTokenState,
  type RawEciResponse,
} from './request/client.js'
export type { DpopKeyInput } from './request/dpop.js'
export {
  type JwksHandlerOptions,
  jwksHandler,
  type PublicJwks,
  type PublishableKey,
  publicJwks,
} from './request/jwks.js'
export { SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKeyInput } from './request/keys.js'
export { DEFAULT_SIGNER_TIMEOUT_MS, type RemoteSigner } from './request/remote-signer.js'
export type { ProviderJwks } from './request/response-jwt.js'
export {
  DEFAULT_REQUEST_JWT_TTL,
  MAX_REQUEST_JWT_TTL,
  REQUEST_JWT_TYPE,
  type SignRequestJwtOptions,
  signRequestJwt,
} from './request/sign.js'
export {
  type Basic,
  BasicSchema,
  type Deviation,
  type DeviationKind,
  type Invoice,
  type InvoiceDetail,
  InvoiceDetailSchema,
  InvoiceSchema,
  type ParseOptions,
  parseBasic,
  parseInvoice,
  parseInvoiceDetail,
  type ValidationMode,
} from './schemas/index.js'
export type {
  AppInfo,
  ChannelContext,
  RequestState,
  ResponseState,
  RetryState,
  SpanAttributeValue,
  SpanLike,
  TelemetryOptions,
  TracerLike,
  TracerProviderLike,
} from './telemetry.js'
