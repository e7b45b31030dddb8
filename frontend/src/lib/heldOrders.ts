// Held orders (条件单) in words and as requests: the trigger as a trader reads it ("最新价 ≤ 11.50",
// "跟踪止损 5%（止损价 11.40）", "时间 10:30", "涨停打开"), the distance to it, the tag colour of a
// state, the trigger form → the `trigger` object of POST /trading/conditional-orders, a bracket's
// take-profit / stop-loss → POST /trading/conditional-orders/bracket, and merging the
// `conditional_orders` stream into a list.
import { locale, t, tk } from '@/i18n'
import type {
  BracketRequest,
  Dec,
  HeldOrder,
  HeldOrderRequest,
  HeldState,
  HeldTrigger,
  HeldTriggerBody,
  Id,
  OrderRequest,
  PriceType,
  Side,
  TriggerDirection,
  TriggerType,
} from '@/api/types'
import { fmtPct, fmtPrice, fractionToPercentInput, num, percentInputToFraction, priceDecimalsForCode } from './format'
import { formatPriceForApi, isOnTick } from './trading'
import { shanghaiIso, shanghaiParts, shortTime } from './deskTime'

export const HELD_LIVE_STATES: readonly HeldState[] = ['waiting', 'armed', 'triggered']
export const HELD_FINAL_STATES: readonly HeldState[] = ['fired', 'canceled', 'expired', 'failed']
export const TRIGGER_TYPES: readonly TriggerType[] = ['price', 'trailing', 'time', 'limit_open']

export function isHeldLive(h: Pick<HeldOrder, 'state'>): boolean {
  return HELD_LIVE_STATES.includes(h.state)
}

/** Only a held order that has not been claimed can be cancelled (the server says 409 otherwise). */
export function isHeldCancelable(h: Pick<HeldOrder, 'state'>): boolean {
  return h.state === 'waiting' || h.state === 'armed'
}

export type TagType = 'primary' | 'success' | 'warning' | 'info' | 'danger'

export function heldStateTag(state: HeldState | string): TagType {
  switch (state) {
    case 'armed':
      return 'primary'
    case 'triggered':
      return 'warning'
    case 'fired':
      return 'success'
    case 'failed':
      return 'danger'
    default:
      // waiting, canceled, expired
      return 'info'
  }
}

/** The state in words: the server's zh-CN `state_label`, or the dictionary's (English, or none sent). */
export function heldStateText(h: Pick<HeldOrder, 'state' | 'state_label'>): string {
  if (locale.value !== 'en' && h.state_label) return h.state_label
  return tk('heldState', h.state, h.state_label || h.state)
}

/** "5%" of a fraction string "0.05" ("5.5%" of "0.055"). */
export function percentText(fraction: unknown): string {
  const p = fractionToPercentInput(fraction)
  return p === '' ? '--' : `${p}%`
}

export interface TriggerTextOptions {
  side?: Side
  /** a trailing stop's current level (`stop_price`) */
  stopPrice?: Dec | null
  /** price decimals (2 for stocks, 3 for funds) */
  decimals?: number
  /** the trading day shown without a date (a time trigger of another day shows MM-DD) */
  today?: string | null
}

/** The trigger as a trader reads it: a held order's (as the server shows it) or one about to be sent. */
export function triggerText(trigger: HeldTrigger | HeldTriggerBody | null | undefined, opts: TriggerTextOptions = {}): string {
  if (!trigger) return '--'
  const dec = opts.decimals ?? 2
  switch (trigger.type) {
    case 'price':
      return t('held.trigPrice', { op: trigger.direction === 'above' ? '≥' : '≤', price: fmtPrice(trigger.price, dec) })
    case 'trailing': {
      const by =
        trigger.percent !== null && trigger.percent !== undefined
          ? percentText(trigger.percent)
          : t('held.byAmount', { amount: fmtPrice(trigger.amount, dec) })
      const buy = opts.side === 'buy'
      let s = t(buy ? 'held.trailBuy' : 'held.trailSell', { by })
      if (opts.stopPrice !== null && opts.stopPrice !== undefined && !Number.isNaN(num(opts.stopPrice))) {
        s += t(buy ? 'held.trailBuyAt' : 'held.trailSellAt', { price: fmtPrice(opts.stopPrice, dec) })
      }
      return s
    }
    case 'time': {
      const at = shanghaiParts(trigger.at)
      if (!at) return t('held.trigTime', { time: trigger.at ?? '--' })
      const time = shortTime(at.time)
      return t('held.trigTime', { time: opts.today && at.day !== opts.today ? `${at.day.slice(5)} ${time}` : time })
    }
    case 'limit_open':
      return t(trigger.which === 'down' ? 'held.limitOpenDown' : 'held.limitOpenUp')
    default:
      return '--'
  }
}

/** A held order's trigger in words, with its trailing level and the desk's day. */
export function heldTriggerText(h: Pick<HeldOrder, 'trigger' | 'side' | 'stop_price' | 'stock_code'>, today?: string | null): string {
  return triggerText(h.trigger, { side: h.side, stopPrice: h.stop_price, decimals: priceDecimalsForCode(h.stock_code), today })
}

/** The order it places: "限价 11.20", "最新价", "市价（保护价 10.35）" (of a held order, or of a request about to be sent). */
export function placedOrderText(h: Pick<HeldOrder, 'price_type' | 'stock_code'> & { price?: Dec | number | null }): string {
  const dec = priceDecimalsForCode(h.stock_code)
  if (h.price_type === 'limit') return t('held.placeLimit', { price: fmtPrice(h.price, dec) })
  if (h.price && h.price_type !== 'latest') return t('held.placeProtected', { type: tk('pt', h.price_type), price: fmtPrice(h.price, dec) })
  return tk('pt', h.price_type)
}

/** The distance to the trigger, a fraction string → "1.74%" ("--" when there is none: time, limit open). */
export function distanceText(v: Dec | null | undefined): string {
  if (v === null || v === undefined || v === '') return '--'
  return fmtPct(v, 2, false)
}

export interface LiveFigures {
  last: number | null
  /** fraction: how far the last price is from firing */
  distance: number | null
  /** trailing: the level that fires it now */
  stop: number | null
}

function serverFigures(h: Pick<HeldOrder, 'last_price' | 'distance_pct' | 'stop_price'>): LiveFigures {
  const n = (v: unknown) => (v === null || v === undefined || Number.isNaN(num(v)) ? null : num(v))
  return { last: n(h.last_price), distance: n(h.distance_pct), stop: n(h.stop_price) }
}

/**
 * The last price, the distance to the trigger and a trailing stop's level at a live quote's last
 * price, reckoned the way the desk does (a trailing mark moves with the price once armed); the
 * server's figures for a held order that is no longer live or when no newer quote is at hand.
 */
export function liveFigures(
  h: Pick<HeldOrder, 'state' | 'side' | 'trigger' | 'mark' | 'last_price' | 'distance_pct' | 'stop_price'>,
  last: number | null,
): LiveFigures {
  // a held order that fired or ended is no distance from anything
  if (!isHeldLive(h)) return { ...serverFigures(h), distance: null }
  if (last === null || !(last > 0)) return serverFigures(h)
  const tr = h.trigger
  if (tr.type === 'price') return { last, distance: Math.abs(num(tr.price) - last) / last, stop: null }
  if (tr.type === 'trailing') {
    const sell = h.side !== 'buy'
    // a sell trails the highest price since armed, a buy the lowest; without a mark yet the desk
    // measures from the last price
    const held = num(h.mark)
    let mark = last
    if (!Number.isNaN(held)) mark = h.state === 'armed' ? (sell ? Math.max(held, last) : Math.min(held, last)) : held
    const pct = num(tr.percent)
    const amount = num(tr.amount)
    const sign = sell ? -1 : 1
    const stop = !Number.isNaN(pct) ? mark * (1 + sign * pct) : !Number.isNaN(amount) ? mark + sign * amount : NaN
    if (Number.isNaN(stop)) return { last, distance: null, stop: null }
    // an armed one takes its first mark from the next quote: its level is known already
    return { last, distance: Math.abs(last - stop) / last, stop: Number.isNaN(held) && h.state !== 'armed' ? null : stop }
  }
  return { last, distance: null, stop: null }
}

/** Why it did not fire, or what happened: skipped reason, refusal, the server's message. */
export function heldNote(h: Pick<HeldOrder, 'state' | 'skipped_reason' | 'message' | 'error'>): string {
  if (isHeldLive(h) && h.skipped_reason) return h.skipped_reason
  if (h.state === 'failed') return h.message || h.error || ''
  if (h.state === 'canceled' || h.state === 'expired') return h.message || ''
  return h.skipped_reason || ''
}

// ---------------------------------------------------------------- the trigger form

export type TrailUnit = 'percent' | 'amount'

export interface TriggerForm {
  type: TriggerType
  /** price: below (stop, ≤) or above (take-profit / breakout, ≥) */
  direction: TriggerDirection
  /** price: the level */
  price: number | null
  trailUnit: TrailUnit
  /** trailing: a percentage as typed (5 = 5%) or CNY per share */
  trailValue: number | null
  /** time: "HH:mm" or "HH:mm:ss" on the desk's trading day */
  time: string | null
  /** limit_open: 涨停打开 (up) or 跌停打开 (down) */
  which: 'up' | 'down'
  /** good till this trading day (YYYY-MM-DD); null = today's close */
  expires: string | null
}

export function defaultTriggerForm(p: Partial<TriggerForm> = {}): TriggerForm {
  return { type: 'price', direction: 'below', price: null, trailUnit: 'percent', trailValue: null, time: null, which: 'up', expires: null, ...p }
}

export interface TriggerContext {
  /** the stock's price tick */
  tick: number
  /** the desk's trading day (time triggers are on it) */
  day: string | null
}

export type Built<T> = { ok: true; value: T } | { ok: false; errors: string[] }

function decimalsOfTick(tick: number): number {
  return Math.max(0, Math.round(-Math.log10(tick)))
}

/** The `trigger` object of the API from the form, or what is wrong with it. */
export function buildTrigger(form: TriggerForm, ctx: TriggerContext): Built<HeldTriggerBody> {
  const tick = ctx.tick > 0 ? ctx.tick : 0.01
  switch (form.type) {
    case 'price': {
      const p = form.price ?? 0
      if (!(p > 0)) return { ok: false, errors: [t('held.errTriggerPrice')] }
      if (!isOnTick(p, tick)) return { ok: false, errors: [t('ticket.errTick', { tick: tick.toFixed(decimalsOfTick(tick)) })] }
      return { ok: true, value: { type: 'price', direction: form.direction, price: formatPriceForApi(p, tick) } }
    }
    case 'trailing': {
      const v = form.trailValue ?? 0
      if (form.trailUnit === 'percent') {
        if (!(v > 0 && v < 100)) return { ok: false, errors: [t('held.errTrailPct')] }
        const fraction = percentInputToFraction(String(Number(v.toFixed(4))))
        if (!fraction) return { ok: false, errors: [t('held.errTrailPct')] }
        return { ok: true, value: { type: 'trailing', percent: fraction } }
      }
      if (!(v > 0)) return { ok: false, errors: [t('held.errTrailAmount')] }
      const amount = formatPriceForApi(v, tick)
      if (!(Number(amount) > 0)) return { ok: false, errors: [t('held.errTrailAmount')] }
      return { ok: true, value: { type: 'trailing', amount } }
    }
    case 'time': {
      const at = ctx.day && form.time ? shanghaiIso(ctx.day, form.time) : null
      if (!at) return { ok: false, errors: [t('held.errTime')] }
      return { ok: true, value: { type: 'time', at } }
    }
    case 'limit_open':
      return { ok: true, value: { type: 'limit_open', which: form.which } }
    default:
      return { ok: false, errors: [t('held.errTriggerType')] }
  }
}

/**
 * The order the ticket or the dialog validated (what a held order places when it fires): fields of
 * the generated order body, its price type always given and its price as a decimal string.
 */
export type HeldOrderPart = Pick<OrderRequest, 'stock_code' | 'side' | 'quantity'> & { price_type: PriceType; price?: Dec }

/** POST /trading/conditional-orders body: the order, its trigger and expiry. */
export function buildHeldRequest(order: HeldOrderPart, form: TriggerForm, ctx: TriggerContext & { accountId?: string | null }): Built<HeldOrderRequest> {
  const trig = buildTrigger(form, ctx)
  if (!trig.ok) return trig
  if (form.expires && ctx.day && form.expires < ctx.day) return { ok: false, errors: [t('held.errExpires')] }
  const body: HeldOrderRequest = { ...order, trigger: trig.value }
  if (order.price === undefined) delete body.price
  if (form.expires) body.expires = form.expires
  if (ctx.accountId) body.account_id = ctx.accountId
  return { ok: true, value: body }
}

/** Whether a price trigger already holds at `last` (it would fire on the next quote). */
export function firesAtOnce(form: Pick<TriggerForm, 'type' | 'direction' | 'price'>, last: number): boolean {
  if (form.type !== 'price' || !(last > 0) || !(form.price && form.price > 0)) return false
  return form.direction === 'below' ? last <= form.price : last >= form.price
}

// ---------------------------------------------------------------- brackets

export interface BracketForm {
  enabled: boolean
  /** the take-profit leg's trigger price */
  takeProfit: number | null
  /** the stop-loss leg's trigger price */
  stopLoss: number | null
}

/**
 * What is wrong with a bracket on an entry of `side` at about `entryPrice` (0 when unknown: only
 * the prices themselves are checked). A buy's take-profit is above the entry and its stop below; a
 * sell's the other way round.
 */
export function bracketErrors(side: Side, entryPrice: number, form: BracketForm, tick: number, decimals = 2): string[] {
  if (!form.enabled) return []
  const errs: string[] = []
  const tp = form.takeProfit ?? 0
  const sl = form.stopLoss ?? 0
  if (!(tp > 0) && !(sl > 0)) return [t('held.errBracketEmpty')]
  const tickText = tick.toFixed(decimalsOfTick(tick))
  const ref = fmtPrice(entryPrice, decimals)
  if (tp > 0) {
    if (!isOnTick(tp, tick)) errs.push(t('held.errTpTick', { tick: tickText }))
    else if (entryPrice > 0 && (side === 'buy' ? tp <= entryPrice : tp >= entryPrice)) errs.push(t(side === 'buy' ? 'held.errTpBuy' : 'held.errTpSell', { price: ref }))
  }
  if (sl > 0) {
    if (!isOnTick(sl, tick)) errs.push(t('held.errSlTick', { tick: tickText }))
    else if (entryPrice > 0 && (side === 'buy' ? sl >= entryPrice : sl <= entryPrice)) errs.push(t(side === 'buy' ? 'held.errSlBuy' : 'held.errSlSell', { price: ref }))
  }
  return errs
}

/** POST /trading/conditional-orders/bracket body for the entry order `parentOrderId`. */
export function buildBracketRequest(parentOrderId: Id, form: BracketForm, tick: number, accountId?: string | null): BracketRequest {
  const body: BracketRequest = { parent_order_id: Number(parentOrderId) }
  if (form.takeProfit && form.takeProfit > 0) body.take_profit = { trigger_price: formatPriceForApi(form.takeProfit, tick) }
  if (form.stopLoss && form.stopLoss > 0) body.stop_loss = { trigger_price: formatPriceForApi(form.stopLoss, tick) }
  if (accountId) body.account_id = accountId
  return body
}

// ---------------------------------------------------------------- lists

interface Versioned {
  id: number
  updated_at: string
}

/** `item` into `list` (newest id first): a copy older than the one held is ignored. */
export function upsertNewer<T extends Versioned>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id)
  if (i >= 0) {
    if (item.updated_at < list[i].updated_at) return list
    const next = list.slice()
    next[i] = item
    return next
  }
  return [...list, item].sort((a, b) => b.id - a.id)
}

/**
 * A fresh list of the live ones (`snapshot`) merged with what is held: the newer copy of each wins,
 * and items that went final while shown stay (so a trader sees one fire or expire) until reloaded.
 */
export function mergeLiveSnapshot<T extends Versioned>(current: T[], snapshot: T[], isLive: (x: T) => boolean): T[] {
  let out = current.filter((x) => !isLive(x) && !snapshot.some((s) => s.id === x.id))
  for (const s of snapshot) {
    const held = current.find((x) => x.id === s.id)
    out = upsertNewer(out, held && held.updated_at > s.updated_at ? held : s)
  }
  return out
}
