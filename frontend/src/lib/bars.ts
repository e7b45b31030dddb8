// Bars of GET /market/bars for the trading page's charts: the intraday (分时) session axis, today's
// one-minute bars kept current from the live quote between fetches, the daily K-line's forming bar,
// moving averages and the user's fills as buy / sell markers. Pure functions; prices as numbers.
import type { Bar, Quote, Side, Trade } from '@/api/types'
import { num } from './format'

// ---------------------------------------------------------------- time (exchange wall clock)

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/** `YYYY-MM-DD` and minutes since midnight of an instant, on the Shanghai wall clock. */
export function shanghaiParts(iso: string | null | undefined): { day: string; minutes: number } | null {
  if (!iso) return null
  if (DATE_ONLY.test(iso)) return { day: iso, minutes: 0 }
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return null
  const d = new Date(t + 8 * 3600_000) // UTC fields of this are Shanghai's (no DST there)
  const pad = (x: number) => String(x).padStart(2, '0')
  return {
    day: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    minutes: d.getUTCHours() * 60 + d.getUTCMinutes(),
  }
}

// ---------------------------------------------------------------- the intraday session axis

const AM_OPEN = 9 * 60 + 30
const AM_CLOSE = 11 * 60 + 30
const PM_OPEN = 13 * 60
const PM_CLOSE = 15 * 60
/** one slot per trading minute: 09:30-11:29 and 13:00-14:59 (bars are labelled by their start) */
export const SESSION_SLOTS = 240

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** The 240 minute labels of a trading day, 09:30 … 11:29, 13:00 … 14:59. */
export function sessionLabels(): string[] {
  const out: string[] = []
  for (let m = AM_OPEN; m < AM_CLOSE; m++) out.push(hhmm(m))
  for (let m = PM_OPEN; m < PM_CLOSE; m++) out.push(hhmm(m))
  return out
}

/**
 * The slot of a minute of the day: the opening auction goes to the first minute, the lunch break and
 * the 11:30 print to the last morning minute, the close (15:00) to the last minute.
 */
export function slotOf(minutes: number): number {
  if (minutes < AM_OPEN) return 0
  if (minutes < AM_CLOSE) return minutes - AM_OPEN
  if (minutes < PM_OPEN) return AM_CLOSE - AM_OPEN - 1
  if (minutes < PM_CLOSE) return AM_CLOSE - AM_OPEN + (minutes - PM_OPEN)
  return SESSION_SLOTS - 1
}

/** The label under the axis at a slot: the session's marks, 11:30/13:00 at the lunch break. */
export function sessionTickLabel(slot: number): string {
  if (slot === 0) return '09:30'
  if (slot === 60) return '10:30'
  if (slot === 120) return '11:30/13:00'
  if (slot === 180) return '14:00'
  if (slot === SESSION_SLOTS - 1) return '15:00'
  return ''
}

// ---------------------------------------------------------------- intraday bars

export interface MinuteBar {
  slot: number
  open: number
  high: number
  low: number
  close: number
  volume: number
  amount: number
}

export interface Intraday {
  /** the trading day the bars are of (null: none yet) */
  day: string | null
  bars: MinuteBar[]
  /** the quote's cumulative volume / amount the bars already hold (null until a quote was seen) */
  seenVolume: number | null
  seenAmount: number | null
}

export function emptyIntraday(): Intraday {
  return { day: null, bars: [], seenVolume: null, seenAmount: null }
}

/**
 * Today's one-minute bars on the session axis: the bars of the latest day only, those of one slot
 * merged (the auction into 09:30, 11:30 into 11:29, 15:00 into 14:59), sorted.
 */
export function toIntraday(bars: Bar[]): Intraday {
  const parsed = bars
    .map((b) => ({ b, at: shanghaiParts(b.time) }))
    .filter((x): x is { b: Bar; at: { day: string; minutes: number } } => x.at !== null && num(x.b.close) > 0)
  if (!parsed.length) return emptyIntraday()
  const day = parsed.reduce((d, x) => (x.at.day > d ? x.at.day : d), parsed[0].at.day)
  const bySlot = new Map<number, MinuteBar>()
  for (const { b, at } of parsed) {
    if (at.day !== day) continue
    const slot = slotOf(at.minutes)
    const bar: MinuteBar = {
      slot,
      open: num(b.open) || num(b.close),
      high: num(b.high) || num(b.close),
      low: num(b.low) || num(b.close),
      close: num(b.close),
      volume: b.volume || 0,
      amount: num(b.amount) || 0,
    }
    const held = bySlot.get(slot)
    bySlot.set(
      slot,
      held
        ? {
            slot,
            open: held.open,
            high: Math.max(held.high, bar.high),
            low: Math.min(held.low, bar.low),
            close: bar.close,
            volume: held.volume + bar.volume,
            amount: held.amount + bar.amount,
          }
        : bar,
    )
  }
  return { day, bars: [...bySlot.values()].sort((a, b) => a.slot - b.slot), seenVolume: null, seenAmount: null }
}

/** Trading minutes a live quote may update: the opening auction to the close's print. */
function inSession(minutes: number): boolean {
  return minutes >= AM_OPEN - 5 && minutes <= PM_CLOSE
}

/**
 * The intraday bars after a live quote: the quote's minute is updated (close, high, low, the volume
 * and amount traded since the last quote seen), or a new minute is started. The first quote after a
 * fetch only sets the price and the baseline of the cumulative volume. A quote of a newer day starts
 * that day afresh; an older or out-of-session one changes nothing.
 */
export function applyQuoteToIntraday(series: Intraday, q: Pick<Quote, 'last_price' | 'volume' | 'amount' | 'time'>): Intraday {
  const price = num(q.last_price)
  const at = shanghaiParts(q.time)
  if (!(price > 0) || !at || !inSession(at.minutes)) return series
  if (series.day !== null && at.day < series.day) return series
  // a new day rolled in while the page was open: its volume so far is all in this quote; no bars
  // fetched at all: the volume before this quote is unknown, so only the price is taken
  const fresh = series.day !== at.day
  const baseline = series.day === null ? null : 0
  const base: Intraday = fresh ? { day: at.day, bars: [], seenVolume: baseline, seenAmount: baseline } : series
  const cumVolume = q.volume || 0
  const cumAmount = num(q.amount) || 0
  const dv = base.seenVolume === null ? 0 : Math.max(0, cumVolume - base.seenVolume)
  const da = base.seenAmount === null ? 0 : Math.max(0, cumAmount - base.seenAmount)
  const slot = slotOf(at.minutes)
  const bars = base.bars.slice()
  const last = bars[bars.length - 1]
  if (last && slot < last.slot) return { ...base, seenVolume: Math.max(base.seenVolume ?? 0, cumVolume), seenAmount: Math.max(base.seenAmount ?? 0, cumAmount) }
  if (last && last.slot === slot) {
    bars[bars.length - 1] = {
      ...last,
      high: Math.max(last.high, price),
      low: Math.min(last.low, price),
      close: price,
      volume: last.volume + dv,
      amount: last.amount + da,
    }
  } else {
    bars.push({ slot, open: price, high: price, low: price, close: price, volume: dv, amount: da })
  }
  return { day: base.day, bars, seenVolume: cumVolume, seenAmount: cumAmount }
}

/**
 * The average price line (均价): cumulative amount / cumulative volume at each bar; the close when no
 * volume has traded yet.
 */
export function averagePrices(bars: MinuteBar[]): number[] {
  let v = 0
  let a = 0
  return bars.map((b) => {
    v += b.volume
    a += b.amount
    return v > 0 && a > 0 ? a / v : b.close
  })
}

/**
 * The intraday chart's price range, symmetric around the previous close (as terminals draw it): the
 * largest distance of any price shown, at least 1% of the close, plus a margin.
 */
export function intradayRange(prevClose: number, prices: number[]): { min: number; max: number } {
  const finite = prices.filter((p) => Number.isFinite(p) && p > 0)
  if (!(prevClose > 0)) {
    if (!finite.length) return { min: 0, max: 1 }
    return paddedRange(finite)
  }
  let d = prevClose * 0.01
  for (const p of finite) d = Math.max(d, Math.abs(p - prevClose))
  d *= 1.08
  return { min: prevClose - d, max: prevClose + d }
}

// ---------------------------------------------------------------- daily bars

export interface DayBar {
  day: string
  open: number
  high: number
  low: number
  close: number
  volume: number
  amount: number
}

export function toDaily(bars: Bar[]): DayBar[] {
  const out: DayBar[] = []
  for (const b of bars) {
    const at = shanghaiParts(b.time)
    const close = num(b.close)
    if (!at || !(close > 0)) continue
    const bar: DayBar = {
      day: at.day,
      open: num(b.open) || close,
      high: num(b.high) || close,
      low: num(b.low) || close,
      close,
      volume: b.volume || 0,
      amount: num(b.amount) || 0,
    }
    if (out.length && out[out.length - 1].day === bar.day) out[out.length - 1] = bar
    else out.push(bar)
  }
  return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
}

/**
 * The daily bars after a live quote: today's forming bar takes the quote's price, high, low and the
 * day's volume and amount; a quote of a day after the last bar starts a new one.
 */
export function applyQuoteToDaily(bars: DayBar[], q: Pick<Quote, 'last_price' | 'open' | 'high' | 'low' | 'volume' | 'amount' | 'time'>): DayBar[] {
  const price = num(q.last_price)
  const at = shanghaiParts(q.time)
  if (!(price > 0) || !at) return bars
  const last = bars[bars.length - 1]
  if (last && at.day < last.day) return bars
  const high = Math.max(price, num(q.high) || price)
  const low = Math.min(price, num(q.low) || price)
  const volume = q.volume || 0
  const amount = num(q.amount) || 0
  if (last && last.day === at.day) {
    const next: DayBar = {
      ...last,
      high: Math.max(last.high, high),
      low: Math.min(last.low, low),
      close: price,
      volume: Math.max(last.volume, volume),
      amount: Math.max(last.amount, amount),
    }
    return [...bars.slice(0, -1), next]
  }
  return [...bars, { day: at.day, open: num(q.open) || price, high, low, close: price, volume, amount }]
}

/** Simple moving average of the closes; null until `n` values are there. */
export function movingAverage(values: number[], n: number): (number | null)[] {
  const out: (number | null)[] = []
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    sum += values[i]
    if (i >= n) sum -= values[i - n]
    out.push(i >= n - 1 ? sum / n : null)
  }
  return out
}

/**
 * A value axis fitted to the data (not from 0): the extent plus `frac` of it on each side (1% of the
 * value when all are equal), rounded outwards to a tidy step, never below 0 for data that is not.
 */
export function paddedRange(values: number[], frac = 0.08): { min: number; max: number } {
  const finite = values.filter((v) => Number.isFinite(v))
  if (!finite.length) return { min: 0, max: 1 }
  const lo = Math.min(...finite)
  const hi = Math.max(...finite)
  const span = hi - lo
  const pad = span > 0 ? span * frac : Math.abs(hi) * 0.01 || 1
  const step = 10 ** Math.floor(Math.log10(span + 2 * pad)) / 10
  const min = Math.floor((lo - pad) / step) * step
  const max = Math.ceil((hi + pad) / step) * step
  // values that are never negative (money, prices) keep an axis that does not go below 0
  return { min: lo >= 0 && min < 0 ? 0 : +min.toPrecision(12), max: +max.toPrecision(12) }
}

// ---------------------------------------------------------------- fills as markers

export interface TradeMarker {
  /** the slot (intraday) or the day (daily) it is drawn at */
  at: number | string
  side: Side
  /** average fill price of the fills grouped here */
  price: number
  quantity: number
  count: number
}

function group(entries: { at: number | string; side: Side; price: number; quantity: number }[]): TradeMarker[] {
  const map = new Map<string, TradeMarker & { amount: number }>()
  for (const e of entries) {
    const key = `${e.at}|${e.side}`
    const m = map.get(key) ?? { at: e.at, side: e.side, price: 0, quantity: 0, count: 0, amount: 0 }
    m.quantity += e.quantity
    m.amount += e.price * e.quantity
    m.count += 1
    m.price = m.quantity > 0 ? m.amount / m.quantity : e.price
    map.set(key, m)
  }
  return [...map.values()].map(({ amount: _amount, ...m }) => m)
}

function fillsOf(trades: Trade[], code: string): Trade[] {
  const seen = new Set<string>()
  return trades.filter((t) => {
    if (t.stock_code !== code || !(num(t.price) > 0) || !(t.quantity > 0)) return false
    const id = String(t.trade_id)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** The fills of `code` on `day`, one marker per minute and side (average price, total quantity). */
export function intradayMarkers(trades: Trade[], code: string, day: string | null): TradeMarker[] {
  if (!day) return []
  const entries = []
  for (const t of fillsOf(trades, code)) {
    const at = shanghaiParts(t.traded_at)
    if (!at || at.day !== day) continue
    entries.push({ at: slotOf(at.minutes), side: t.side, price: num(t.price), quantity: t.quantity })
  }
  return group(entries)
}

/** The fills of `code`, one marker per trading day and side (average price, total quantity). */
export function dailyMarkers(trades: Trade[], code: string): TradeMarker[] {
  const entries = []
  for (const t of fillsOf(trades, code)) {
    const day = t.trading_day ?? shanghaiParts(t.traded_at)?.day
    if (!day) continue
    entries.push({ at: day, side: t.side, price: num(t.price), quantity: t.quantity })
  }
  return group(entries)
}
