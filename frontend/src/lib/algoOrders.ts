// Execution algorithms (TWAP, iceberg) in words and as requests: the ticket's algo form → the body
// of POST /trading/algo-orders (checked the way the server checks it: lots, ticks, a TWAP window on
// the desk's day, an interval of at least 10 s), and the progress, slippage and state of an algo
// order as the algo table shows them.
import { locale, t, tk } from '@/i18n'
import type { AlgoKind, AlgoOrder, AlgoOrderRequest, AlgoState, Dec, Side } from '@/api/types'
import { fmtInt, num } from './format'
import { formatPriceForApi, isOnTick, isValidBuyQuantity, isValidSellQuantity, type LotRule } from './trading'
import { secondsOfDay, shanghaiIso, shanghaiParts, shortTime, timeOfSeconds } from './deskTime'
import type { Built, TagType } from './heldOrders'

export const ALGO_MIN_INTERVAL = 10
export const ALGO_MAX_INTERVAL = 3600
export const ALGO_DEFAULT_INTERVAL = 60
/** the end of continuous trading: a TWAP window ends by then at the latest */
export const CONTINUOUS_END = '14:57:00'

export interface AlgoForm {
  algo: AlgoKind
  /** the whole quantity */
  quantity: number | null
  /** TWAP: cap the price (a buy pays at most, a sell takes at least `price`); iceberg: always priced */
  withLimit: boolean
  price: number | null
  /** TWAP: the window's end, "HH:mm" on the desk's day */
  endTime: string | null
  intervalSeconds: number | null
  /** iceberg: the shares shown at once */
  displayQuantity: number | null
}

export function defaultAlgoForm(p: Partial<AlgoForm> = {}): AlgoForm {
  return { algo: 'twap', quantity: null, withLimit: true, price: null, endTime: null, intervalSeconds: ALGO_DEFAULT_INTERVAL, displayQuantity: null, ...p }
}

export interface AlgoContext {
  stock_code: string
  side: Side
  tick: number
  rule: LotRule
  /** the desk's trading day (YYYY-MM-DD) the TWAP window is on */
  day: string | null
  /** the desk's wall clock now ("HH:mm:ss"), to refuse a window already past */
  nowTime?: string | null
  /** sellable shares when known (a sell may end on an odd lot only when that closes the position) */
  sellable?: number | null
  accountId?: string | null
}

function tickText(tick: number): string {
  return tick.toFixed(Math.max(0, Math.round(-Math.log10(tick))))
}

/** POST /trading/algo-orders body from the ticket's algo form, or what is wrong with it. */
export function buildAlgoRequest(form: AlgoForm, ctx: AlgoContext): Built<AlgoOrderRequest> {
  const errs: string[] = []
  const tick = ctx.tick > 0 ? ctx.tick : 0.01
  const q = form.quantity ?? 0
  if (!Number.isInteger(q) || q <= 0) errs.push(t('ticket.errQty'))
  else if (ctx.side === 'buy' && !isValidBuyQuantity(q, ctx.rule)) {
    errs.push(ctx.rule.step === 1 ? t('ticket.errLotStep1', { min: ctx.rule.min }) : t('ticket.errLot', { lot: ctx.rule.step }))
  } else if (ctx.side === 'sell' && ctx.sellable !== null && ctx.sellable !== undefined && !isValidSellQuantity(q, ctx.rule, ctx.sellable)) {
    errs.push(q > ctx.sellable ? t('ticket.errSellable', { n: ctx.sellable }) : t('ticket.errOddLot', { lot: ctx.rule.min }))
  }

  const priced = form.algo === 'iceberg' || form.withLimit
  let price: string | undefined
  if (priced) {
    const p = form.price ?? 0
    if (!(p > 0)) errs.push(form.algo === 'iceberg' ? t('algo.errIcebergPrice') : t('ticket.errPrice'))
    else if (!isOnTick(p, tick)) errs.push(t('ticket.errTick', { tick: tickText(tick) }))
    else price = formatPriceForApi(p, tick)
  }

  const body: AlgoOrderRequest = { stock_code: ctx.stock_code, side: ctx.side, quantity: q, algo: form.algo }
  if (price !== undefined) body.price = price

  if (form.algo === 'twap') {
    const end = secondsOfDay(form.endTime)
    const endIso = ctx.day && form.endTime ? shanghaiIso(ctx.day, form.endTime) : null
    if (Number.isNaN(end) || !endIso) errs.push(t('algo.errEnd'))
    else if (end > secondsOfDay(CONTINUOUS_END)) errs.push(t('algo.errEndLate', { time: shortTime(CONTINUOUS_END) }))
    else if (ctx.nowTime && end <= secondsOfDay(ctx.nowTime)) errs.push(t('algo.errEndPast', { now: shortTime(ctx.nowTime) }))
    else body.end_at = endIso
    const iv = form.intervalSeconds ?? 0
    if (!Number.isInteger(iv) || iv < ALGO_MIN_INTERVAL || iv > ALGO_MAX_INTERVAL) errs.push(t('algo.errInterval', { min: ALGO_MIN_INTERVAL, max: ALGO_MAX_INTERVAL }))
    else body.interval_seconds = iv
  } else {
    const d = form.displayQuantity ?? 0
    if (!Number.isInteger(d) || d <= 0) errs.push(t('algo.errDisplay'))
    else if (!isValidBuyQuantity(d, ctx.rule)) {
      errs.push(ctx.rule.step === 1 ? t('algo.errDisplayLotStep1', { min: ctx.rule.min }) : t('algo.errDisplayLot', { lot: ctx.rule.step }))
    } else if (q > 0 && d > q) errs.push(t('algo.errDisplayTooLarge'))
    else body.display_quantity = d
  }
  if (ctx.accountId) body.account_id = ctx.accountId
  return errs.length ? { ok: false, errors: errs } : { ok: true, value: body }
}

/**
 * A TWAP's default end on the desk's clock: half an hour from now, on a five-minute mark, and by the
 * end of continuous trading.
 */
export function defaultEndTime(nowTime: string | null | undefined): string {
  const now = secondsOfDay(nowTime)
  const last = secondsOfDay(CONTINUOUS_END)
  if (Number.isNaN(now)) return '14:30'
  const end = Math.ceil((now + 30 * 60) / 300) * 300
  return timeOfSeconds(Math.min(end, last)).slice(0, 5)
}

// ---------------------------------------------------------------- display

export function isAlgoLive(a: Pick<AlgoOrder, 'state'>): boolean {
  return a.state === 'running'
}

export function algoStateTag(state: AlgoState | string): TagType {
  switch (state) {
    case 'running':
      return 'primary'
    case 'completed':
      return 'success'
    case 'expired':
      return 'warning'
    case 'failed':
      return 'danger'
    default:
      return 'info'
  }
}

export function algoStateText(a: Pick<AlgoOrder, 'state' | 'state_label'>): string {
  if (locale.value !== 'en' && a.state_label) return a.state_label
  return tk('algoState', a.state, a.state_label || a.state)
}

export function algoKindText(kind: AlgoKind | string): string {
  return tk('algoKind', kind, kind.toUpperCase())
}

/** Filled / quantity as a percentage for el-progress (0–100, one decimal). */
export function algoProgressPct(a: Pick<AlgoOrder, 'progress' | 'filled_quantity' | 'quantity'>): number {
  let f = num(a.progress)
  if (Number.isNaN(f)) f = a.quantity > 0 ? a.filled_quantity / a.quantity : 0
  return Math.min(100, Math.max(0, Math.round(f * 1000) / 10))
}

/** "+3.2 bp" (worse than arrival) / "-1.0 bp" (better) / "0.0 bp"; "--" before a fill. */
export function slippageText(bps: Dec | null | undefined): string {
  const n = num(bps)
  if (Number.isNaN(n)) return '--'
  return `${n > 0 ? '+' : ''}${n.toFixed(1)} bp`
}

/** 1 worse than arrival, -1 better, 0 even or unknown. */
export function slippageSign(bps: Dec | null | undefined): -1 | 0 | 1 {
  const n = num(bps)
  return Number.isNaN(n) || n === 0 ? 0 : n > 0 ? 1 : -1
}

/** "至 14:30 · 每 60 秒" (TWAP) / "每次显示 500 股" (iceberg). */
export function algoPlanText(a: Pick<AlgoOrder, 'algo' | 'end_at' | 'interval_seconds' | 'display_quantity'>): string {
  if (a.algo === 'iceberg') return t('algo.icebergPlan', { n: fmtInt(a.display_quantity) })
  const end = shanghaiParts(a.end_at)
  return t('algo.twapPlan', { end: end ? shortTime(end.time) : '--', every: a.interval_seconds ?? ALGO_DEFAULT_INTERVAL })
}
