import { describe, expect, it } from 'vitest'
import { isCalendarDate } from '../../src/schemas/index.js'

describe('isCalendarDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts the real day %s', (d) => {
    expect(isCalendarDate(d)).toBe(true)
  })
  it.each([
    '2026-02-30',
    '2023-02-29',
    '1900-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-1-01',
    '0000-01-01',
    '2026-01-01T00:00:00Z',
    '',
  ])('rejects %s', (d) => {
    expect(isCalendarDate(d)).toBe(false)
  })
})
