import { badOption } from '../resolve.js'

/**
 * An exact decimal: the value is `units / 10^scale`. `{ units: 1234n, scale: 2 }` is 12.34.
 * Plain data (compare with {@link compareAmounts}, not `===`; `1.5` and `1.50` are equal but
 * differ in `scale`). The amounts the SDK returns serialise with `JSON.stringify` as their
 * decimal string (`"12.30"`), which {@link exactAmount} reads back.
 */
export interface ExactAmount {
  /** The value in units of `10^-scale` (cents when `scale` is 2). */
  readonly units: bigint
  /** Number of decimal places `units` counts in; a whole number ≥ 0. */
  readonly scale: number
  /** The decimal string ({@link formatAmount}), for `JSON.stringify` (a bigint alone cannot be serialised). */
  toJSON?(): string
}

/** Where every amount the SDK makes gets its `toJSON`: on the prototype, so it is no own field (`toEqual` and spreads see `units` and `scale` only). */
const AMOUNT_PROTOTYPE = {
  toJSON(this: ExactAmount): string {
    return formatAmount(this)
  },
}

/** An amount the SDK returns: `units` and `scale`, serialising as its decimal string. @internal */
export function amountOf(units: bigint, scale: number): ExactAmount {
  const amount = Object.create(AMOUNT_PROTOTYPE) as { units: bigint; scale: number }
  amount.units = units
  amount.scale = scale
  return amount
}

/** What {@link exactAmount} reads: a JSON number, a decimal string (`'12.34'`, `'1e-7'`) or an amount. */
export type AmountInput = number | string | ExactAmount

/**
 * How a value between two steps is rounded:
 * - `half-up`: to the nearer step, ties away from zero (12.345 → 12.35, −12.345 → −12.35), as
 *   utility bills round;
 * - `half-even`: to the nearer step, ties to the even step (banker's rounding: 12.345 → 12.34);
 * - `down`: towards zero (truncation);
 * - `up`: away from zero.
 */
export type RoundingMode = 'half-up' | 'half-even' | 'down' | 'up'

/** Options of {@link mulAmounts} and {@link roundAmount}. */
export interface RoundingOptions {
  /**
   * Decimal places of the result.
   * @default 2 (cents)
   */
  scale?: number | undefined
  /** @default 'half-up' */
  rounding?: RoundingMode | undefined
}

/** Every {@link RoundingMode}. */
export const ROUNDING_MODES: readonly RoundingMode[] = Object.freeze(['half-up', 'half-even', 'down', 'up'])
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/
/** Longest decimal string read, and the largest exponent or scale: bounds the bigint work. */
const MAX_TEXT = 400
const MAX_SCALE = 400

const pow10 = (n: number): bigint => 10n ** BigInt(n)

function checkScale(scale: unknown, name: string): number {
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw badOption(`${name} must be a whole number from 0 to ${MAX_SCALE}`)
  }
  return scale
}

/**
 * `rounding` checked, `half-up` when undefined.
 * @internal
 */
export function checkRounding(rounding: unknown): RoundingMode {
  if (rounding === undefined) return 'half-up'
  if (!ROUNDING_MODES.includes(rounding as RoundingMode)) {
    throw badOption(`\`rounding\` must be one of ${ROUNDING_MODES.join(', ')}`)
  }
  return rounding as RoundingMode
}

function isExactAmount(value: unknown): value is ExactAmount {
  if (!value || typeof value !== 'object') return false
  const { units, scale } = value as ExactAmount
  return typeof units === 'bigint' && Number.isInteger(scale) && scale >= 0 && scale <= MAX_SCALE
}

function fromText(text: string, what: string): ExactAmount {
  const m = text.length <= MAX_TEXT ? DECIMAL_TEXT.exec(text) : null
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m ?? []
  if (!m || whole.length + fraction.length === 0 || Math.abs(Number(exponent)) > MAX_SCALE) {
    throw badOption(`${what} is not a decimal number`)
  }
  const digits = BigInt(`${sign}${whole}${fraction}`)
  const scale = fraction.length - Number(exponent)
  return scale >= 0 ? amountOf(digits, scale) : amountOf(digits * pow10(-scale), 0)
}

/**
 * The exact decimal a JSON number or decimal string stands for. A number is read from its
 * shortest round-trip text (`String(n)`), which is the wire text for every JSON number of up
 * to 15 significant digits: `0.1` is exactly one tenth, not 0.1000000000000000055….
 *
 * @throws {EciConfigError} `ERR_ECI_INVALID_OPTION` for NaN, ±Infinity, or a string that is not a decimal number.
 * @example
 * ```ts
 * exactAmount(0.1)     // { units: 1n, scale: 1 }
 * exactAmount(1e-7)    // { units: 1n, scale: 7 }
 * exactAmount('12.30') // { units: 1230n, scale: 2 }
 * ```
 */
export function exactAmount(value: AmountInput): ExactAmount {
  return readAmount(value, 'the amount')
}

/**
 * {@link exactAmount} with the name of what is read in its error message.
 * @internal
 */
export function readAmount(value: unknown, what: string): ExactAmount {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badOption(`${what} must be a finite number`)
    return fromText(String(value), what)
  }
  if (typeof value === 'string') return fromText(value, what)
  if (isExactAmount(value)) return amountOf(value.units, value.scale)
  throw badOption(`${what} must be a number, a decimal string or an ExactAmount`)
}

/** `amount` at a scale ≥ its own (exact: only adds zeros). */
function widen(amount: ExactAmount, scale: number): ExactAmount {
  return scale === amount.scale ? amount : amountOf(amount.units * pow10(scale - amount.scale), scale)
}

/** The sum of any number of amounts, exact, at the largest scale among them (0 for none). */
export function addAmounts(...amounts: ExactAmount[]): ExactAmount {
  const scale = Math.max(0, ...amounts.map((a) => a.scale))
  let units = 0n
  for (const a of amounts) units += widen(a, scale).units
  return amountOf(units, scale)
}

/** `a − b`, exact, at the larger of the two scales. */
export function subAmounts(a: ExactAmount, b: ExactAmount): ExactAmount {
  return addAmounts(a, amountOf(-b.units, b.scale))
}

/**
 * Rounds to `scale` decimal places (default 2) with `rounding` (default `half-up`); an amount
 * already at that scale or finer is returned exactly, widened.
 * @throws {EciConfigError} for a scale outside 0–400 or an unknown rounding mode.
 */
export function roundAmount(amount: ExactAmount, options: RoundingOptions = {}): ExactAmount {
  const scale = checkScale(options.scale ?? 2, '`scale`')
  const rounding = checkRounding(options.rounding)
  if (amount.scale <= scale) return widen(amount, scale)
  const divisor = pow10(amount.scale - scale)
  const quotient = amount.units / divisor // truncates towards zero
  const remainder = amount.units % divisor // carries the sign of units
  if (remainder === 0n) return amountOf(quotient, scale)
  const away = amount.units < 0n ? -1n : 1n
  const twice = (remainder < 0n ? -remainder : remainder) * 2n
  let step = false
  if (rounding === 'up') step = true
  else if (rounding === 'half-up') step = twice >= divisor
  else if (rounding === 'half-even') step = twice > divisor || (twice === divisor && quotient % 2n !== 0n)
  return amountOf(step ? quotient + away : quotient, scale)
}

/**
 * `a × b` rounded to `scale` places (default 2: quantity × rate to the cent) with `rounding`
 * (default `half-up`). Pass `scale: a.scale + b.scale` for the exact product.
 * @throws {EciConfigError} for a scale outside 0–400 or an unknown rounding mode.
 * @example
 * ```ts
 * import { exactAmounts, formatAmount, mulAmounts } from 'ecis-consumer'
 *
 * const { energy_consumption_quantity: q, energy_consumption_rate: r } = exactAmounts(detail)
 * formatAmount(mulAmounts(q, r)) // '63.21' for 512 kWh × 0.12345
 * ```
 */
export function mulAmounts(a: ExactAmount, b: ExactAmount, options: RoundingOptions = {}): ExactAmount {
  return roundAmount(amountOf(a.units * b.units, a.scale + b.scale), options)
}

/** −1, 0 or 1 as `a` is less than, equal to or greater than `b` (by value; scale does not matter). */
export function compareAmounts(a: ExactAmount, b: ExactAmount): -1 | 0 | 1 {
  const scale = Math.max(a.scale, b.scale)
  const x = widen(a, scale).units
  const y = widen(b, scale).units
  return x < y ? -1 : x > y ? 1 : 0
}

/** The absolute value. */
export function absAmount(amount: ExactAmount): ExactAmount {
  return amount.units < 0n ? amountOf(-amount.units, amount.scale) : amount
}

/** Options of {@link formatAmount}. */
export interface FormatAmountOptions {
  /** Decimal places shown; the amount is rounded (with `rounding`) or padded to them. @default the amount's scale */
  decimals?: number | undefined
  /** @default 'half-up' */
  rounding?: RoundingMode | undefined
}

/**
 * Plain decimal text: `-` for negatives, `.` before the decimals, no grouping, no exponent.
 * @throws {EciConfigError} for `decimals` outside 0–400 or an unknown rounding mode.
 * @example
 * ```ts
 * formatAmount({ units: 1230n, scale: 2 })                  // '12.30'
 * formatAmount(exactAmount(1e-7))                           // '0.0000001'
 * formatAmount(exactAmount('2.675'), { decimals: 2 })       // '2.68'
 * ```
 */
export function formatAmount(amount: ExactAmount, options: FormatAmountOptions = {}): string {
  const value =
    options.decimals === undefined
      ? amount
      : roundAmount(amount, { scale: checkScale(options.decimals, '`decimals`'), rounding: options.rounding })
  const negative = value.units < 0n
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0')
  const whole = digits.slice(0, digits.length - value.scale)
  const fraction = digits.slice(digits.length - value.scale)
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}
