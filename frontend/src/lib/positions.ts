// A position kept current from the live quote between position refreshes: market value, floating
// P&L, today's change and today's P&L (当日盈亏) at the quote's last price.
import type { Position, Quote } from '@/api/types'
import { num } from './format'

function money(n: number): string {
  return (Math.round(n * 100 + (n >= 0 ? 1e-7 : -1e-7)) / 100).toFixed(2)
}

function fraction(n: number): string {
  return (Math.round(n * 10000) / 10000).toFixed(4)
}

/**
 * The position at the quote's last price. Today's P&L moves with the market value only (the day's
 * buys and sales in it do not change with the price), so it is the server's figure plus the change
 * of the market value since the server priced it: (last − server's last) × volume. Today's change is
 * last / previous close − 1. Without a usable quote the position is returned as it is.
 */
export function livePosition(p: Position, q: Pick<Quote, 'last_price' | 'prev_close'> | null | undefined): Position {
  const last = num(q?.last_price)
  if (!q || !(last > 0)) return p
  const mv = last * p.volume
  const cost = num(p.avg_price) * p.volume
  const prevClose = num(p.prev_close) > 0 ? num(p.prev_close) : num(q.prev_close)
  const serverLast = num(p.last_price)
  const serverToday = num(p.today_profit)
  const out: Position = {
    ...p,
    last_price: q.last_price,
    market_value: money(mv),
    profit: cost > 0 ? money(mv - cost) : p.profit,
    profit_rate: cost > 0 ? fraction((mv - cost) / cost) : p.profit_rate,
  }
  if (prevClose > 0) {
    out.prev_close = p.prev_close ?? q.prev_close
    out.change_pct = fraction(last / prevClose - 1)
  }
  if (!Number.isNaN(serverToday) && serverLast > 0) out.today_profit = money(serverToday + (last - serverLast) * p.volume)
  return out
}

/** Totals of a list of positions: market value, floating P&L and today's P&L (null when none is known). */
export function positionTotals(rows: Position[]): { mv: number; profit: number; today: number | null } {
  let mv = 0
  let profit = 0
  let today: number | null = null
  for (const p of rows) {
    mv += num(p.market_value) || 0
    profit += num(p.profit) || 0
    const tp = num(p.today_profit)
    if (!Number.isNaN(tp)) today = (today ?? 0) + tp
  }
  return { mv, profit, today }
}
