/**
 * Local time from ESPI `LocalTimeParameters`: the standard offset from UTC and the DST rules
 * (32-bit codes: second, hour, weekday, day of month, operator, month). Used to cut readings
 * into local days and to date bills; times stay epoch seconds.
 *
 * @module
 */
import type { LocalTimeParametersResource } from './espi-resources.js'

/** A rule of all ones turns DST off. */
const DISABLED = 0xffffffff

/** The instant (epoch seconds) a DST rule names in `year`, read in local time at `offset`; `undefined` when off or impossible. */
export function dstRuleInstant(rule: number, year: number, offset: number): number | undefined {
  if (rule === DISABLED) return undefined
  const seconds = rule & 0xfff
  const hours = (rule >>> 12) & 0x1f
  const weekday = (rule >>> 17) & 0x7 // 1 Monday … 7 Sunday
  const dayOfMonth = (rule >>> 20) & 0x1f
  const operator = (rule >>> 25) & 0x7
  const month = (rule >>> 28) & 0xf
  if (month < 1 || month > 12) return undefined
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const weekdayOf = (day: number) => ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1
  let day: number
  if (operator === 0) day = dayOfMonth
  else if (operator === 1) {
    day = dayOfMonth
    while (day <= daysInMonth && weekdayOf(day) !== weekday) day++
  } else if (operator === 7) {
    day = daysInMonth
    while (day > 0 && weekdayOf(day) !== weekday) day--
  } else {
    day = 1
    while (day <= 7 && weekdayOf(day) !== weekday) day++
    day += 7 * (operator - 2)
  }
  if (day < 1 || day > daysInMonth || (operator !== 0 && weekday === 0)) return undefined
  return Date.UTC(year, month - 1, day) / 1000 + hours * 3600 + seconds - offset
}

/**
 * Seconds to add to UTC for local time at `epoch`. DST starts at the start rule read in local
 * standard time and ends at the end rule read in local daylight time (02:00 both ways in North
 * America). Without parameters: 0 (UTC).
 */
export function utcOffsetAt(epoch: number, time: LocalTimeParametersResource | undefined): number {
  if (!time) return 0
  const year = new Date((epoch + time.tzOffset) * 1000).getUTCFullYear()
  const start = dstRuleInstant(time.dstStartRule, year, time.tzOffset)
  const end = dstRuleInstant(time.dstEndRule, year, time.tzOffset + time.dstOffset)
  if (start === undefined || end === undefined || time.dstOffset === 0) return time.tzOffset
  const dst = start < end ? epoch >= start && epoch < end : epoch >= start || epoch < end
  return time.tzOffset + (dst ? time.dstOffset : 0)
}

/** The local calendar date (`YYYY-MM-DD`) of `epoch`. */
export function localDate(epoch: number, time: LocalTimeParametersResource | undefined): string {
  return new Date((epoch + utcOffsetAt(epoch, time)) * 1000).toISOString().slice(0, 10)
}

/** The local month (`YYYY-MM`) of `epoch`. */
export function localMonth(epoch: number, time: LocalTimeParametersResource | undefined): string {
  return localDate(epoch, time).slice(0, 7)
}
