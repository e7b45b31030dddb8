import { describe, expect, it } from 'vitest'
import {
  fmtMoney,
  fmtPct,
  fmtPrice,
  fmtSignedMoney,
  fmtTime,
  fractionToPercentInput,
  percentInputToFraction,
  priceDecimalsForCode,
  shiftDecimal,
  tickDecimals,
  trendClass,
} from '@/lib/format'

describe('format', () => {
  it('derives decimals from the tick', () => {
    expect(tickDecimals('0.01')).toBe(2)
    expect(tickDecimals('0.001')).toBe(3)
    expect(tickDecimals('0.010')).toBe(2)
    expect(tickDecimals('1')).toBe(0)
    expect(tickDecimals(null)).toBe(2)
  })
  it('infers fund decimals from codes', () => {
    expect(priceDecimalsForCode('510300.SH')).toBe(3)
    expect(priceDecimalsForCode('159915.SZ')).toBe(3)
    expect(priceDecimalsForCode('600000.SH')).toBe(2)
    expect(priceDecimalsForCode('000001.SZ')).toBe(2)
  })
  it('formats with fixed decimals', () => {
    expect(fmtPrice('10.5')).toBe('10.50')
    expect(fmtPrice('1.2345', 3)).toBe('1.235')
    expect(fmtPrice(null)).toBe('--')
    expect(fmtMoney('1234567.891')).toBe('1,234,567.89')
    expect(fmtSignedMoney('12.3')).toBe('+12.30')
    expect(fmtSignedMoney('-12.3')).toBe('-12.30')
    expect(fmtPct('0.0523')).toBe('+5.23%')
    expect(fmtPct('-0.1')).toBe('-10.00%')
    expect(fmtPct('0.05', 2, false)).toBe('5.00%')
  })
  it('classes up / down / flat', () => {
    expect(trendClass('1')).toBe('q-up')
    expect(trendClass('-0.01')).toBe('q-down')
    expect(trendClass('0')).toBe('q-flat')
    expect(trendClass('10.1', '10.2')).toBe('q-down')
    expect(trendClass(undefined)).toBe('q-flat')
  })
  it('shows Shanghai wall-clock time', () => {
    expect(fmtTime('2025-03-03T09:30:05+08:00')).toBe('09:30:05')
    expect(fmtTime('2025-03-03T01:30:05Z', true)).toBe('2025-03-03 09:30:05')
  })
  it('moves the decimal point exactly (fractions <-> percent inputs)', () => {
    expect(shiftDecimal('0.0523', 2)).toBe('5.23')
    expect(shiftDecimal('5.23', -2)).toBe('0.0523')
    expect(shiftDecimal('0.2', 2)).toBe('20')
    expect(shiftDecimal('150', -2)).toBe('1.5')
    expect(shiftDecimal('0.07', 2)).toBe('7') // no 7.000000000000001
    expect(shiftDecimal('-0.015', 2)).toBe('-1.5')
    expect(shiftDecimal('1e3', 2)).toBeNull()
    expect(shiftDecimal('', 2)).toBeNull()
    expect(fractionToPercentInput('0.05')).toBe('5')
    expect(fractionToPercentInput(null)).toBe('')
    expect(percentInputToFraction('12.5')).toBe('0.125')
    expect(percentInputToFraction('0.01')).toBe('0.0001')
    expect(percentInputToFraction('100')).toBe('1')
  })
})
