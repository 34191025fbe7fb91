/**
 * The ESPI retail customer resources (namespace `http://naesb.org/espi/customer`) the SDK reads:
 * the customer, account, agreement, service location and meter, each with the fields an ECIS
 * account view can use. Standard fields it does not use are read without a deviation and dropped.
 *
 * @module
 */
import * as z from 'zod'
import { DateTimeInterval, Int48, Text, TimeType, UInt16, UInt32, withUnmodelled, XmlBoolean } from './espi-fields.js'

const DOCUMENT = [
  'type',
  'authorName',
  'createdDateTime',
  'lastModifiedDateTime',
  'revisionNumber',
  'electronicAddress',
  'subject',
  'title',
  'docStatus',
  'status',
  'comment',
]

/** `Customer`: the person or organisation served. */
export const CustomerResource = withUnmodelled(
  z.object({
    customerName: Text.optional(),
    kind: Text.optional(),
    locale: Text.optional(),
    pucNumber: Text.optional(),
  }),
  ['Organisation', 'specialNeed', 'vip', 'status', 'priority'],
)

/** `CustomerAccount`: the billing account. */
export const CustomerAccountResource = withUnmodelled(
  z.object({
    accountId: Text.optional(),
    billingCycle: Text.optional(),
    budgetBill: Text.optional(),
    lastBillAmount: Int48.optional(),
  }),
  [...DOCUMENT, 'notifications', 'contactInfo'],
)

/** `CustomerAgreement`: the service agreement (contract) under an account. */
export const CustomerAgreementResource = withUnmodelled(
  z.object({
    agreementId: Text.optional(),
    currency: UInt16.optional(),
    isPrePay: XmlBoolean.optional(),
    loadMgmt: Text.optional(),
    shutOffDateTime: TimeType.optional(),
    signDate: TimeType.optional(),
    validityInterval: DateTimeInterval.optional(),
  }),
  [...DOCUMENT, 'DemandResponseProgram', 'PricingStructures', 'futureStatus'],
)

const StreetAddress = withUnmodelled(
  z.object({
    streetDetail: z
      .object({
        number: Text.optional(),
        name: Text.optional(),
        suffix: Text.optional(),
        prefix: Text.optional(),
        type: Text.optional(),
        code: Text.optional(),
        buildingName: Text.optional(),
        suiteNumber: Text.optional(),
        addressGeneral: Text.optional(),
        addressGeneral2: Text.optional(),
        addressGeneral3: Text.optional(),
        withinTownLimits: XmlBoolean.optional(),
      })
      .optional(),
    townDetail: z
      .object({
        code: Text.optional(),
        section: Text.optional(),
        name: Text.optional(),
        county: Text.optional(),
        stateOrProvince: Text.optional(),
        country: Text.optional(),
      })
      .optional(),
    postalCode: Text.optional(),
    poBox: Text.optional(),
  }),
  ['status'],
)
/** A postal address as the feed states it. */
export type StreetAddress = z.infer<typeof StreetAddress>

/** `ServiceLocation`: the premises. */
export const ServiceLocationResource = withUnmodelled(
  z.object({
    mainAddress: StreetAddress.optional(),
  }),
  [
    'type',
    'secondaryAddress',
    'phone1',
    'phone2',
    'electronicAddress',
    'geoInfoReference',
    'direction',
    'status',
    'positionPoints',
    'accessMethod',
    'siteAccessProblem',
    'needsInspection',
    'UsagePoints',
    'outageBlock',
  ],
)

/** `Meter`: the metering device. */
export const MeterResource = withUnmodelled(
  z.object({
    serialNumber: Text.optional(),
    formNumber: Text.optional(),
    intervalLength: UInt32.optional(),
  }),
  [
    'type',
    'utcNumber',
    'lotNumber',
    'purchasePrice',
    'critical',
    'electronicAddress',
    'lifecycle',
    'acceptanceTest',
    'initialCondition',
    'initialLossOfLife',
    'status',
    'isVirtual',
    'isPan',
    'installCode',
    'amrSystem',
    'MeterMultipliers',
  ],
)
