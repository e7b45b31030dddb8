// The pure side of the report pages (交割单 and 绩效分析): the statement's query and file name, the
// totals rows and the table footer, exact sums of money strings, rates as percentages, the drawdown
// series of the equity curve and each strategy's cumulative realised P&L on one day axis.
import type {
  PerformanceEquityPoint,
  StatementQuery,
  StatementSums,
  StrategyHolding,
  StrategyPerformance,
} from '@/api/types'
import { fmtMoney, fmtPct, num } from './format'

// ---------------------------------------------------------------- days and the statement query

/** The longest statement the server gives (calendar days between from and to). */
export const MAX_STATEMENT_DAYS = 400

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

function dayMs(day: string): number {
  const m = DAY.exec(day)
  if (!m) return NaN
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const back = new Date(ms)
  // 2026-02-30 is not a day
  return back.getUTCDate() === Number(m[3]) && back.getUTCMonth() === Number(m[2]) - 1 ? ms : NaN
}

export function isDay(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(dayMs(v))
}

/** Calendar days from `a` to `b` (negative when b is earlier); NaN when either is not a day. */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayMs(b) - dayMs(a)) / 86_400_000)
}

/** The day `n` calendar days after `day` (before, for a negative n). */
export function addDays(day: string, n: number): string {
  const ms = dayMs(day)
  if (Number.isNaN(ms)) return day
  return new Date(ms + n * 86_400_000).toISOString().slice(0, 10)
}

/** The first day of `day`'s month. */
export function monthStart(day: string): string {
  return isDay(day) ? `${day.slice(0, 8)}01` : day
}

export type StatementMode = 'day' | 'range'
export type StatementQueryError = 'noRange' | 'badDay' | 'rangeOrder' | 'rangeTooLong'

/**
 * The query of GET /reports/statement: `{trading_day}` for one day (none: the server's current
 * trading day), `{from, to}` for a range. A range out of order or longer than the server takes is an
 * error, named for the message.
 */
export function statementQuery(
  mode: StatementMode,
  day: string | null | undefined,
  range: readonly [string, string] | null | undefined,
): { query: StatementQuery } | { error: StatementQueryError } {
  if (mode === 'day') {
    if (!day) return { query: {} }
    return isDay(day) ? { query: { trading_day: day } } : { error: 'badDay' }
  }
  if (!range || !range[0] || !range[1]) return { error: 'noRange' }
  const [from, to] = range
  if (!isDay(from) || !isDay(to)) return { error: 'badDay' }
  const span = daysBetween(from, to)
  if (span < 0) return { error: 'rangeOrder' }
  if (span > MAX_STATEMENT_DAYS) return { error: 'rangeTooLong' }
  return { query: { from, to } }
}

/** The name a statement download gets when the server's header names none. */
export function statementFilename(accountId: string | null | undefined, from: string, to: string, ext: string): string {
  const compact = (d: string) => d.replace(/-/g, '')
  return `statement-${accountId || 'account'}-${compact(from)}-${compact(to)}.${ext}`
}

// ---------------------------------------------------------------- exact money sums

/** The sum of decimal strings, exact (no float): ["1.10", "-0.2"] → "0.90"; null when any is unreadable. */
export function sumDecimals(values: readonly (string | number | null | undefined)[]): string | null {
  let scale = 0
  const parts: { sign: bigint; int: string; frac: string }[] = []
  for (const v of values) {
    if (v === null || v === undefined || v === '') continue
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(String(v).trim())
    if (!m || (!m[2] && !m[3])) return null
    const frac = m[3] ?? ''
    scale = Math.max(scale, frac.length)
    parts.push({ sign: m[1] === '-' ? -1n : 1n, int: m[2] || '0', frac })
  }
  let total = 0n
  for (const p of parts) total += p.sign * BigInt(p.int + p.frac.padEnd(scale, '0'))
  const negative = total < 0n
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0')
  const int = digits.slice(0, digits.length - scale)
  const frac = digits.slice(digits.length - scale)
  return `${negative ? '-' : ''}${int}${scale ? `.${frac}` : ''}`
}

/** a − b, exact. */
export function subtractDecimal(a: string | number | null | undefined, b: string | number | null | undefined): string | null {
  if (a === null || a === undefined || a === '' || b === null || b === undefined || b === '') return null
  const neg = String(b).trim().startsWith('-') ? String(b).trim().slice(1) : `-${String(b).trim().replace(/^\+/, '')}`
  return sumDecimals([a, neg])
}

// ---------------------------------------------------------------- statement totals

export interface SumsRow extends StatementSums {
  key: string
  kind: 'day' | 'total'
  /** null on the totals row */
  trading_day: string | null
}

/** The per-day sums, then the grand totals (only when there is a day to total). */
export function sumsRows(s: { days: readonly (StatementSums & { trading_day: string })[]; totals: StatementSums } | null | undefined): SumsRow[] {
  if (!s || !s.days.length) return []
  return [
    ...s.days.map((d) => ({ ...d, key: d.trading_day, kind: 'day' as const })),
    { ...s.totals, key: '__total', kind: 'total' as const, trading_day: null },
  ]
}

/** The column properties of the fills table the footer totals, from the server's `totals`. */
const TOTALLED: Record<string, (t: StatementSums) => string | null> = {
  amount: (t) => sumDecimals([t.buy_amount, t.sell_amount]),
  commission: (t) => t.commission,
  stamp_duty: (t) => t.stamp_duty,
  transfer_fee: (t) => t.transfer_fee,
  fees: (t) => t.fees,
  net_amount: (t) => t.net_amount,
}

/**
 * The footer (el-table `summary-method`) of the fills table: `label` in the first column, the grand
 * totals under the money columns (成交金额 = buys + sales), nothing elsewhere.
 */
export function fillsFooter(columns: readonly { property?: string }[], totals: StatementSums | null | undefined, label: string): string[] {
  return columns.map((c, i) => {
    if (i === 0) return label
    const pick = c.property ? TOTALLED[c.property] : undefined
    return pick && totals ? fmtMoney(pick(totals)) : ''
  })
}

/** Counts of the 持仓核对 table: how many stocks do not balance. */
export function unbalancedCount(positions: readonly { balanced: boolean }[] | null | undefined): number {
  return (positions ?? []).filter((p) => !p.balanced).length
}

// ---------------------------------------------------------------- rates

/** A fraction string as a percentage, "--" when there is none: ("0.0123") → "1.23%"; signed adds "+". */
export function fmtRate(v: unknown, signed = false, decimals = 2): string {
  return fmtPct(v, decimals, signed)
}

// ---------------------------------------------------------------- equity and drawdown

export interface DrawdownPoint {
  day: string
  equity: number
  /** the highest equity up to this day */
  peak: number
  /** equity / peak − 1: 0 at a new high, negative below it */
  drawdown: number
}

/** Each day's drawdown from the running peak of the equity curve (days with no readable equity skipped). */
export function drawdownSeries(points: readonly PerformanceEquityPoint[] | null | undefined): DrawdownPoint[] {
  const out: DrawdownPoint[] = []
  let peak = -Infinity
  for (const p of points ?? []) {
    const equity = num(p.total_asset)
    if (Number.isNaN(equity)) continue
    peak = Math.max(peak, equity)
    out.push({ day: p.trading_day, equity, peak, drawdown: peak > 0 ? equity / peak - 1 : 0 })
  }
  return out
}

/** The deepest drawdown as a positive fraction (0 when the curve never fell). */
export function maxDrawdownOf(series: readonly DrawdownPoint[]): number {
  return series.reduce((m, p) => Math.max(m, -p.drawdown), 0)
}

// ---------------------------------------------------------------- strategies

export interface CumulativeLine {
  name: string
  manual: boolean
  /** the cumulative realised P&L on each day of `days`, carried over days without a sale (0 before the first) */
  values: number[]
}

/** Every strategy's cumulative realised P&L on the union of their days (oldest first). */
export function cumulativeLines(strategies: readonly StrategyPerformance[] | null | undefined): { days: string[]; lines: CumulativeLine[] } {
  const list = strategies ?? []
  const days = [...new Set(list.flatMap((s) => s.daily.map((d) => d.trading_day)))].sort()
  const lines = list
    .filter((s) => s.daily.length)
    .map((s) => {
      const byDay = new Map(s.daily.map((d) => [d.trading_day, num(d.cumulative)]))
      let cur = 0
      return {
        name: s.strategy_name,
        manual: s.manual,
        values: days.map((d) => {
          const v = byDay.get(d)
          if (v !== undefined && !Number.isNaN(v)) cur = v
          return cur
        }),
      }
    })
  return { days, lines }
}

export interface HoldingRow extends StrategyHolding {
  /** value − cost, exact */
  profit: string | null
}

export function holdingRows(holdings: readonly StrategyHolding[] | null | undefined): HoldingRow[] {
  return (holdings ?? []).map((h) => ({ ...h, profit: subtractDecimal(h.value, h.cost) }))
}

/** The sum of one money field over the strategies, exact. */
export function strategiesSum(strategies: readonly StrategyPerformance[] | null | undefined, field: 'realized_profit' | 'floating_profit' | 'total_profit' | 'fees' | 'turnover'): string | null {
  const list = strategies ?? []
  return list.length ? sumDecimals(list.map((s) => s[field])) : null
}
