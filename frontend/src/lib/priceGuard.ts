// The ticket's price helpers: the limit price a side switch takes from the book, and the bounds a
// limit price must keep (涨停 / 跌停 and the exchange's price cage) with the inline warning when the
// typed price is outside them. Pure functions on the quote object of API.md.
import type { Quote, Side } from '@/api/types'
import { num } from './format'

/**
 * The limit price for `side` from the opposite side of the book: a buy takes the best ask, a sell
 * the best bid; the last price when that side is empty. null when the quote has neither.
 */
export function priceFromBook(side: Side, quote: Pick<Quote, 'ask' | 'bid' | 'last_price'> | null | undefined): number | null {
  if (!quote) return null
  const level = side === 'buy' ? quote.ask?.[0] : quote.bid?.[0]
  const best = num(level?.price)
  if (best > 0 && (level?.volume ?? 0) > 0) return best
  const last = num(quote.last_price)
  return last > 0 ? last : null
}

export interface PriceBounds {
  limitUp: number | null
  limitDown: number | null
  /** highest buy price the cage accepts now */
  buyMax: number | null
  /** lowest sell price the cage accepts now */
  sellMin: number | null
}

function positive(v: unknown): number | null {
  const n = num(v)
  return n > 0 ? n : null
}

export function priceBounds(quote: Pick<Quote, 'limit_up' | 'limit_down' | 'cage'> | null | undefined): PriceBounds {
  return {
    limitUp: positive(quote?.limit_up),
    limitDown: positive(quote?.limit_down),
    buyMax: positive(quote?.cage?.buy_max),
    sellMin: positive(quote?.cage?.sell_min),
  }
}

export type PriceWarning =
  | { kind: 'aboveLimitUp'; bound: number }
  | { kind: 'belowLimitDown'; bound: number }
  | { kind: 'aboveCage'; bound: number }
  | { kind: 'belowCage'; bound: number }

const EPS = 1e-9

/**
 * Why `price` would be refused for `side`, checked before anything is sent: outside 涨停 / 跌停 (both
 * sides), above the cage's buy maximum (buys) or below its sell minimum (sells). null when it is
 * inside, or when there is no price to check.
 */
export function priceWarning(side: Side, price: number | null | undefined, bounds: PriceBounds): PriceWarning | null {
  if (price === null || price === undefined || !(price > 0)) return null
  if (bounds.limitUp !== null && price > bounds.limitUp + EPS) return { kind: 'aboveLimitUp', bound: bounds.limitUp }
  if (bounds.limitDown !== null && price < bounds.limitDown - EPS) return { kind: 'belowLimitDown', bound: bounds.limitDown }
  if (side === 'buy' && bounds.buyMax !== null && price > bounds.buyMax + EPS) return { kind: 'aboveCage', bound: bounds.buyMax }
  if (side === 'sell' && bounds.sellMin !== null && price < bounds.sellMin - EPS) return { kind: 'belowCage', bound: bounds.sellMin }
  return null
}
