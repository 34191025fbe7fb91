/**
 * The ESPI usage resources (namespace `http://naesb.org/espi`) as zod schemas: what an entry's
 * `<content>` holds. Element names are the schema's keys; the types are inferred from them.
 * Raw integers and codes stay as the feed states them: money and units are made exact later,
 * where the multiplier that scales them is known.
 *
 * @module
 */
import * as z from 'zod'
import {
  DateTimeInterval,
  HexBinary32,
  Int16,
  Int48,
  SummaryMeasurement,
  Text,
  TimeType,
  UInt16,
  UInt32,
  withUnmodelled,
  XmlBoolean,
} from './espi-fields.js'

/** `ServiceCategory`: `kind` 0 electricity, 1 gas, 2 water, … */
const ServiceCategory = z.object({ kind: UInt16 })

/** `UsagePoint`: where a service is measured. */
export const UsagePointResource = withUnmodelled(
  z.object({
    roleFlags: Text.optional(),
    ServiceCategory: ServiceCategory.optional(),
    status: UInt16.optional(),
    serviceDeliveryPoint: withUnmodelled(
      z.object({ name: Text.optional(), tariffProfile: Text.optional(), customerAgreement: Text.optional() }),
      ['tariffRiderRefs'],
    ).optional(),
    amiBillingReady: UInt16.optional(),
    checkBilling: XmlBoolean.optional(),
    connectionState: UInt16.optional(),
    grounded: XmlBoolean.optional(),
    isSdp: XmlBoolean.optional(),
    isVirtual: XmlBoolean.optional(),
    minimalUsageExpected: XmlBoolean.optional(),
    outageRegion: Text.optional(),
    phaseCode: UInt16.optional(),
    readCycle: Text.optional(),
    readRoute: Text.optional(),
    serviceDeliveryRemark: Text.optional(),
    servicePriority: Text.optional(),
  }),
  ['estimatedLoad', 'nominalServiceVoltage', 'ratedCurrent', 'ratedPower', 'pnodeRefs', 'aggregateNodeRefs'],
)
/** A `UsagePoint` as the feed states it. */
export type UsagePointResource = z.infer<typeof UsagePointResource>

/** `MeterReading`: a series of readings of one reading type (its content is empty in ESPI 3.3). */
export const MeterReadingResource = z.object({})

/** `ReadingType`: what a meter reading's values mean (unit, multiplier, interval, currency…). */
export const ReadingTypeResource = withUnmodelled(
  z.object({
    accumulationBehaviour: UInt16.optional(),
    commodity: UInt16.optional(),
    consumptionTier: Int16.optional(),
    currency: UInt16.optional(),
    dataQualifier: UInt16.optional(),
    defaultQuality: UInt16.optional(),
    flowDirection: UInt16.optional(),
    intervalLength: UInt32.optional(),
    kind: UInt16.optional(),
    phase: UInt16.optional(),
    powerOfTenMultiplier: Int16.optional(),
    timeAttribute: UInt16.optional(),
    tou: Int16.optional(),
    uom: UInt16.optional(),
    cpp: Int16.optional(),
    measuringPeriod: UInt16.optional(),
  }),
  ['interharmonic', 'argument'],
)
/** A `ReadingType` as the feed states it (codes, not names). */
export type ReadingTypeResource = z.infer<typeof ReadingTypeResource>

/** `IntervalReading`: one measured interval; `value` in the reading type's unit and multiplier. */
export const IntervalReadingResource = z.object({
  cost: Int48.optional(),
  ReadingQuality: z.array(z.object({ quality: UInt16 })).optional(),
  timePeriod: DateTimeInterval,
  value: Int48,
  consumptionTier: Int16.optional(),
  tou: Int16.optional(),
  cpp: Int16.optional(),
})

/** `IntervalBlock`: readings of one meter reading over an interval (the readings are read one by one). */
export const IntervalBlockResource = z.object({ interval: DateTimeInterval.optional() })

/** `LineItem` (`costAdditionalDetailLastPeriod`): one line of a bill. */
export const LineItemResource = z.object({
  amount: Int48,
  rounding: Int48.optional(),
  dateTime: TimeType.optional(),
  note: Text.optional(),
  measurement: SummaryMeasurement.optional(),
  itemKind: UInt16,
  unitCost: Int48.optional(),
  itemPeriod: DateTimeInterval.optional(),
  /** Not in espi.xsd; some Data Custodians scale a line's money by its own multiplier. */
  powerOfTenMultiplier: Int16.optional(),
})
/** A bill line as the feed states it (money in hundred-thousandths). */
export type LineItemResource = z.infer<typeof LineItemResource>

/** `UsageSummary` and the older `ElectricPowerUsageSummary`: a billing period's totals. */
export const UsageSummaryResource = withUnmodelled(
  z.object({
    billingPeriod: DateTimeInterval.optional(),
    billLastPeriod: Int48.optional(),
    billToDate: Int48.optional(),
    costAdditionalLastPeriod: Int48.optional(),
    costAdditionalDetailLastPeriod: z.array(LineItemResource).optional(),
    currency: UInt16.optional(),
    overallConsumptionLastPeriod: SummaryMeasurement.optional(),
    currentBillingPeriodOverAllConsumption: SummaryMeasurement.optional(),
    currentDayLastYearNetConsumption: SummaryMeasurement.optional(),
    currentDayNetConsumption: SummaryMeasurement.optional(),
    currentDayOverallConsumption: SummaryMeasurement.optional(),
    peakDemand: SummaryMeasurement.optional(),
    previousDayLastYearOverallConsumption: SummaryMeasurement.optional(),
    previousDayNetConsumption: SummaryMeasurement.optional(),
    previousDayOverallConsumption: SummaryMeasurement.optional(),
    qualityOfReading: UInt16.optional(),
    ratchetDemand: SummaryMeasurement.optional(),
    ratchetDemandPeriod: DateTimeInterval.optional(),
    statusTimeStamp: TimeType.optional(),
    commodity: UInt16.optional(),
    tariffProfile: Text.optional(),
    readCycle: Text.optional(),
    billingChargeSource: z.object({ agencyName: Text.optional() }).optional(),
    /** Not in espi.xsd 3.3; a link to the bill statement some Data Custodians add. */
    statementRef: Text.optional(),
  }),
  ['tariffRiderRefs'],
)
/** A usage summary as the feed states it. */
export type UsageSummaryResource = z.infer<typeof UsageSummaryResource>

/** `LocalTimeParameters` (type `TimeConfiguration`): the usage point's time zone and DST rules. */
export const LocalTimeParametersResource = z.object({
  dstEndRule: HexBinary32,
  dstOffset: TimeType,
  dstStartRule: HexBinary32,
  tzOffset: TimeType,
})
/** Local time parameters: offsets in seconds, DST rules as the 32-bit codes ESPI defines. */
export type LocalTimeParametersResource = z.infer<typeof LocalTimeParametersResource>

/** Usage-namespace resources a Green Button feed may carry that the SDK does not model. */
export const UNMODELLED_ESPI_RESOURCES: ReadonlySet<string> = new Set([
  'ElectricPowerQualitySummary',
  'ApplicationInformation',
  'Authorization',
  'Subscription',
  'ServiceStatus',
  'BatchList',
])
