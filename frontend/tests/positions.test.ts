// A position at the live quote: market value, P&L, change and today's P&L between refreshes.
import { describe, expect, it } from 'vitest'
import type { Position } from '@/api/types'
import { livePosition, positionTotals } from '@/lib/positions'

const base: Position = {
  stock_code: '600000.SH',
  stock_name: '浦发银行',
  volume: 1000,
  can_use_volume: 600,
  frozen_volume: 0,
  yesterday_volume: 600,
  avg_price: '11.0000',
  last_price: '11.50',
  market_value: '11500.00',
  profit: '500.00',
  profit_rate: '0.0455',
  prev_close: '11.40',
  change_pct: '0.0088',
  // 600 held at 11.40 yesterday, 400 bought today for 4,561.00 (fees included): 11500 - 6840 - 4561
  today_profit: '99.00',
  holding_days: 3,
  opened_at: null,
}

describe('livePosition', () => {
  it("moves market value, P&L, change and today's P&L with the last price", () => {
    const p = livePosition(base, { last_price: '11.60', prev_close: '11.40' })
    expect(p.last_price).toBe('11.60')
    expect(p.market_value).toBe('11600.00')
    expect(p.profit).toBe('600.00')
    expect(p.profit_rate).toBe('0.0545')
    expect(p.change_pct).toBe('0.0175')
    // 11600 - 6840 - 4561: the day's flows do not move with the price
    expect(p.today_profit).toBe('199.00')
  })

  it('a falling price makes today negative', () => {
    expect(livePosition(base, { last_price: '11.30', prev_close: '11.40' }).today_profit).toBe('-101.00')
  })

  it('uses the quote’s previous close when the position has none', () => {
    const p = livePosition({ ...base, prev_close: null, change_pct: null }, { last_price: '11.97', prev_close: '11.40' })
    expect(p.change_pct).toBe('0.0500')
  })

  it('leaves the position as it is without a usable quote; no today figure is invented', () => {
    expect(livePosition(base, null)).toBe(base)
    expect(livePosition(base, { last_price: '0', prev_close: '11.40' })).toBe(base)
    const p = livePosition({ ...base, today_profit: null }, { last_price: '11.60', prev_close: '11.40' })
    expect(p.today_profit).toBeNull()
  })

  it('totals', () => {
    expect(positionTotals([base, { ...base, market_value: '100.00', profit: '-50.00', today_profit: '-9.00' }])).toEqual({ mv: 11600, profit: 450, today: 90 })
    expect(positionTotals([{ ...base, today_profit: null }]).today).toBeNull()
  })
})
