// Bars for the trading page's charts: the session axis, today's minutes kept current from quotes,
// the daily forming bar, moving averages, fitted axes and the user's fills as markers.
import { describe, expect, it } from 'vitest'
import type { Bar, Quote } from '@/api/types'
import {
  SESSION_SLOTS,
  applyQuoteToDaily,
  applyQuoteToIntraday,
  averagePrices,
  dailyMarkers,
  emptyIntraday,
  intradayMarkers,
  intradayRange,
  movingAverage,
  paddedRange,
  sessionLabels,
  sessionTickLabel,
  shanghaiParts,
  slotOf,
  toDaily,
  toIntraday,
} from '@/lib/bars'
import { trade } from './helpers'

const D = '2026-11-25'
function bar(time: string, close: string, volume = 100, extra: Partial<Bar> = {}): Bar {
  return { time, open: close, high: close, low: close, close, volume, amount: String(Number(close) * volume), ...extra }
}
type Q = Pick<Quote, 'last_price' | 'volume' | 'amount' | 'time'>
const q = (time: string, last: string, volume: number, amount = String(volume * Number(last))): Q => ({ time, last_price: last, volume, amount })

describe('session axis', () => {
  it('240 one-minute slots, the lunch break left out', () => {
    const labels = sessionLabels()
    expect(labels).toHaveLength(SESSION_SLOTS)
    expect(labels[0]).toBe('09:30')
    expect(labels[119]).toBe('11:29')
    expect(labels[120]).toBe('13:00')
    expect(labels[239]).toBe('14:59')
  })

  it('slotOf: the auction into the first minute, lunch and 11:30 into the last morning one, 15:00 into the last', () => {
    expect(slotOf(9 * 60 + 25)).toBe(0)
    expect(slotOf(9 * 60 + 30)).toBe(0)
    expect(slotOf(10 * 60)).toBe(30)
    expect(slotOf(11 * 60 + 30)).toBe(119)
    expect(slotOf(12 * 60)).toBe(119)
    expect(slotOf(13 * 60)).toBe(120)
    expect(slotOf(15 * 60)).toBe(239)
  })

  it('tick labels at the session marks', () => {
    expect([0, 60, 120, 180, 239].map(sessionTickLabel)).toEqual(['09:30', '10:30', '11:30/13:00', '14:00', '15:00'])
    expect(sessionTickLabel(1)).toBe('')
  })

  it('shanghaiParts reads any offset on the exchange clock, dates as they are', () => {
    expect(shanghaiParts('2026-11-25T10:01:00+08:00')).toEqual({ day: D, minutes: 601 })
    expect(shanghaiParts('2026-11-25T02:01:00Z')).toEqual({ day: D, minutes: 601 })
    expect(shanghaiParts('2026-11-25T23:30:00+08:00')?.day).toBe(D)
    expect(shanghaiParts(D)).toEqual({ day: D, minutes: 0 })
    expect(shanghaiParts('nope')).toBeNull()
  })
})

describe('intraday bars', () => {
  it('keeps the latest day only, merges bars of one slot, sorts', () => {
    const s = toIntraday([
      bar('2026-11-24T14:59:00+08:00', '11.00'),
      bar(`${D}T09:31:00+08:00`, '11.52', 200),
      bar(`${D}T09:25:00+08:00`, '11.48', 50),
      bar(`${D}T09:30:00+08:00`, '11.50', 100, { high: '11.55', low: '11.47' }),
    ])
    expect(s.day).toBe(D)
    expect(s.bars.map((b) => [b.slot, b.close, b.volume])).toEqual([
      [0, 11.5, 150],
      [1, 11.52, 200],
    ])
    expect(s.bars[0]).toMatchObject({ open: 11.48, high: 11.55, low: 11.47 })
    expect(toIntraday([])).toEqual(emptyIntraday())
  })

  it('a quote updates its minute; the first one after a fetch only sets the volume baseline', () => {
    let s = toIntraday([bar(`${D}T10:00:00+08:00`, '11.50', 1000)])
    s = applyQuoteToIntraday(s, q(`${D}T10:00:20+08:00`, '11.53', 5000))
    expect(s.bars).toHaveLength(1)
    expect(s.bars[0]).toMatchObject({ close: 11.53, high: 11.53, volume: 1000 })
    s = applyQuoteToIntraday(s, q(`${D}T10:00:40+08:00`, '11.49', 5300))
    expect(s.bars[0]).toMatchObject({ close: 11.49, low: 11.49, high: 11.53, volume: 1300 })
  })

  it('a quote of a later minute starts a bar with the volume traded since the last quote', () => {
    let s = applyQuoteToIntraday(toIntraday([bar(`${D}T10:00:00+08:00`, '11.50', 1000)]), q(`${D}T10:00:30+08:00`, '11.50', 5000))
    s = applyQuoteToIntraday(s, q(`${D}T10:02:05+08:00`, '11.56', 5400))
    expect(s.bars.map((b) => [b.slot, b.open, b.close, b.volume])).toEqual([
      [30, 11.5, 11.5, 1000],
      [32, 11.56, 11.56, 400],
    ])
  })

  it('ignores older, out-of-session and priceless quotes', () => {
    const s = applyQuoteToIntraday(toIntraday([bar(`${D}T10:05:00+08:00`, '11.50')]), q(`${D}T10:05:10+08:00`, '11.50', 100))
    expect(applyQuoteToIntraday(s, q(`${D}T10:01:00+08:00`, '11.60', 200)).bars).toEqual(s.bars)
    expect(applyQuoteToIntraday(s, q(`${D}T08:50:00+08:00`, '11.60', 200))).toBe(s)
    expect(applyQuoteToIntraday(s, q(`${D}T16:00:00+08:00`, '11.60', 200))).toBe(s)
    expect(applyQuoteToIntraday(s, q(`${D}T10:06:00+08:00`, '0', 200))).toBe(s)
    expect(applyQuoteToIntraday(s, q('2026-11-24T10:06:00+08:00', '11.6', 200))).toBe(s)
  })

  it('a quote of a new day starts that day; without any fetched bar the volume before it is unknown', () => {
    const s = toIntraday([bar(`${D}T14:59:00+08:00`, '11.50')])
    const next = applyQuoteToIntraday(s, q('2026-11-26T09:31:10+08:00', '11.40', 800))
    expect(next.day).toBe('2026-11-26')
    expect(next.bars).toEqual([{ slot: 1, open: 11.4, high: 11.4, low: 11.4, close: 11.4, volume: 800, amount: 9120 }])
    const bare = applyQuoteToIntraday(emptyIntraday(), q(`${D}T14:00:00+08:00`, '11.40', 1_000_000))
    expect(bare.bars[0].volume).toBe(0)
  })

  it('average price: cumulative amount / volume, the close before any volume', () => {
    const s = toIntraday([bar(`${D}T09:30:00+08:00`, '10.00', 100), bar(`${D}T09:31:00+08:00`, '11.00', 100)])
    expect(averagePrices(s.bars)).toEqual([10, 10.5])
    expect(averagePrices([{ slot: 0, open: 1, high: 1, low: 1, close: 1, volume: 0, amount: 0 }])).toEqual([1])
  })

  it('the price range is symmetric around the previous close, at least ±1%', () => {
    const r = intradayRange(10, [10.2, 9.9])
    expect(r.min + r.max).toBeCloseTo(20)
    expect(r.max).toBeCloseTo(10 + 0.2 * 1.08)
    const flat = intradayRange(10, [10])
    expect(flat.max).toBeCloseTo(10 + 0.1 * 1.08)
  })
})

describe('daily bars', () => {
  const bars = toDaily([bar('2026-11-23', '11.00'), bar('2026-11-24', '11.20'), bar(D, '11.40', 300, { high: '11.45', low: '11.30', open: '11.25' })])

  it('parses dates, oldest first', () => {
    expect(bars.map((b) => b.day)).toEqual(['2026-11-23', '2026-11-24', D])
  })

  it("the quote keeps today's forming bar current", () => {
    const next = applyQuoteToDaily(bars, { ...q(`${D}T10:30:00+08:00`, '11.60', 900, '10000'), open: '11.25', high: '11.62', low: '11.28' })
    expect(next).toHaveLength(3)
    expect(next[2]).toMatchObject({ open: 11.25, close: 11.6, high: 11.62, low: 11.28, volume: 900, amount: 10000 })
    expect(bars[2].close).toBe(11.4) // not mutated
  })

  it('a quote of a later day starts a bar; an older one changes nothing', () => {
    const next = applyQuoteToDaily(bars, { ...q('2026-11-26T09:35:00+08:00', '11.50', 100), open: '11.45', high: null, low: null })
    expect(next.map((b) => b.day).at(-1)).toBe('2026-11-26')
    expect(next.at(-1)).toMatchObject({ open: 11.45, high: 11.5, low: 11.5, close: 11.5 })
    expect(applyQuoteToDaily(bars, { ...q('2026-11-20T10:00:00+08:00', '9', 1), open: null, high: null, low: null })).toBe(bars)
  })

  it('moving averages', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4])
    expect(movingAverage([1], 5)).toEqual([null])
  })
})

describe('paddedRange (equity and value axes not from 0)', () => {
  it('fits the data with a margin, on a tidy step', () => {
    const r = paddedRange([1_000_000, 1_004_000, 998_000])
    expect(r.min).toBeGreaterThan(990_000)
    expect(r.min).toBeLessThan(998_000)
    expect(r.max).toBeGreaterThan(1_004_000)
    expect(r.max).toBeLessThan(1_010_000)
  })

  it('a flat series gets 1% around it; never below 0 for data that is not', () => {
    const flat = paddedRange([1_000_000, 1_000_000])
    expect(flat.min).toBeCloseTo(990_000)
    expect(flat.max).toBeCloseTo(1_010_000)
    expect(paddedRange([0, 3450]).min).toBe(0)
    expect(paddedRange([0, 0])).toEqual({ min: 0, max: 1 })
    expect(paddedRange([])).toEqual({ min: 0, max: 1 })
  })
})

describe('fills as markers', () => {
  const trades = [
    trade({ trade_id: 1, side: 'buy', price: '11.50', quantity: 100, traded_at: `${D}T10:00:05+08:00`, trading_day: D }),
    trade({ trade_id: 2, side: 'buy', price: '11.60', quantity: 300, traded_at: `${D}T10:00:40+08:00`, trading_day: D }),
    trade({ trade_id: 3, side: 'sell', price: '11.70', quantity: 200, traded_at: `${D}T13:05:00+08:00`, trading_day: D }),
    trade({ trade_id: 4, side: 'buy', price: '11.00', quantity: 100, traded_at: '2026-11-24T14:00:00+08:00', trading_day: '2026-11-24' }),
    trade({ trade_id: 5, stock_code: '000001.SZ', price: '10', quantity: 100, traded_at: `${D}T10:00:05+08:00` }),
  ]

  it("intraday: the day's fills of the stock, one marker per minute and side at the average price", () => {
    const m = intradayMarkers(trades, '600000.SH', D)
    expect(m).toHaveLength(2)
    expect(m[0]).toMatchObject({ at: 30, side: 'buy', quantity: 400, count: 2 })
    expect(m[0].price).toBeCloseTo(11.575)
    expect(m[1]).toMatchObject({ at: 125, side: 'sell', price: 11.7, quantity: 200, count: 1 })
    expect(intradayMarkers(trades, '600000.SH', null)).toEqual([])
  })

  it('daily: per trading day and side; a fill listed twice counts once', () => {
    const m = dailyMarkers([...trades, trades[0]], '600000.SH')
    expect(m.map((x) => [x.at, x.side, x.quantity])).toEqual([
      [D, 'buy', 400],
      [D, 'sell', 200],
      ['2026-11-24', 'buy', 100],
    ])
  })
})
