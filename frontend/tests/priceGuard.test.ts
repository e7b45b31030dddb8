// The ticket's price from the book on a side switch, and the price-cage / daily-limit warnings.
import { describe, expect, it } from 'vitest'
import type { Quote } from '@/api/types'
import { priceBounds, priceFromBook, priceWarning } from '@/lib/priceGuard'

function quote(p: Partial<Quote> = {}): Quote {
  return {
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    last_price: '11.50',
    prev_close: '11.50',
    open: null,
    high: null,
    low: null,
    volume: 0,
    amount: '0.00',
    bid: [
      { price: '11.49', volume: 10000 },
      { price: '11.48', volume: 10000 },
    ],
    ask: [
      { price: '11.51', volume: 10000 },
      { price: '11.52', volume: 10000 },
    ],
    limit_up: '12.65',
    limit_down: '10.35',
    cage: { buy_max: '11.74', sell_min: '11.26' },
    time: '2026-11-25T10:00:00+08:00',
    source: 'paper',
    ...p,
  }
}

describe('priceFromBook', () => {
  it('a buy takes the best ask, a sell the best bid', () => {
    expect(priceFromBook('buy', quote())).toBe(11.51)
    expect(priceFromBook('sell', quote())).toBe(11.49)
  })

  it('falls back to the last price when that side of the book is empty', () => {
    // at the limit up nobody sells: the ask side is padded with empty levels
    const limitUp = quote({ last_price: '12.65', ask: [{ price: null, volume: 0 }], bid: [{ price: '12.65', volume: 50000 }] })
    expect(priceFromBook('buy', limitUp)).toBe(12.65)
    expect(priceFromBook('sell', quote({ bid: [] }))).toBe(11.5)
    // a level with a price but no volume is empty too
    expect(priceFromBook('sell', quote({ bid: [{ price: '11.49', volume: 0 }] }))).toBe(11.5)
  })

  it('is null without a quote or any price', () => {
    expect(priceFromBook('buy', null)).toBeNull()
    expect(priceFromBook('buy', quote({ ask: [], last_price: '0' }))).toBeNull()
  })
})

describe('priceWarning', () => {
  const b = priceBounds(quote())

  it('reads the limits and the cage of the quote', () => {
    expect(b).toEqual({ limitUp: 12.65, limitDown: 10.35, buyMax: 11.74, sellMin: 11.26 })
    expect(priceBounds(quote({ cage: null }))).toMatchObject({ buyMax: null, sellMin: null })
    expect(priceBounds(null)).toEqual({ limitUp: null, limitDown: null, buyMax: null, sellMin: null })
  })

  it('nothing inside the bounds, on the bounds, or without a price', () => {
    expect(priceWarning('buy', 11.5, b)).toBeNull()
    expect(priceWarning('buy', 11.74, b)).toBeNull()
    expect(priceWarning('sell', 11.26, b)).toBeNull()
    expect(priceWarning('buy', null, b)).toBeNull()
    expect(priceWarning('buy', 0, b)).toBeNull()
  })

  it('a buy above the cage, a sell below it', () => {
    expect(priceWarning('buy', 11.75, b)).toEqual({ kind: 'aboveCage', bound: 11.74 })
    expect(priceWarning('sell', 11.25, b)).toEqual({ kind: 'belowCage', bound: 11.26 })
    // the cage limits buys upwards and sells downwards only
    expect(priceWarning('buy', 10.5, b)).toBeNull()
    expect(priceWarning('sell', 12.5, b)).toBeNull()
  })

  it('the daily limits come first, for both sides', () => {
    expect(priceWarning('buy', 12.66, b)).toEqual({ kind: 'aboveLimitUp', bound: 12.65 })
    expect(priceWarning('sell', 12.66, b)).toEqual({ kind: 'aboveLimitUp', bound: 12.65 })
    expect(priceWarning('buy', 10.34, b)).toEqual({ kind: 'belowLimitDown', bound: 10.35 })
  })

  it('no cage (funds, bonds): only the limits', () => {
    const nb = priceBounds(quote({ cage: null }))
    expect(priceWarning('buy', 12.0, nb)).toBeNull()
    expect(priceWarning('buy', 13, nb)).toMatchObject({ kind: 'aboveLimitUp' })
  })
})
