// Pure reducer of the durable WebSocket streams (orders, trades) and of REST snapshots.
// Orders are merged by order_id, trades by trade_id; an update older than what we hold (by seq, or by
// updated_at when the held copy came from a REST snapshot) is ignored. Lists stay newest first.
// The lists hold one trading day (`day`): an order or trade of another day (its `trading_day`) is
// ignored, and `withDay` moves the state to a new day, dropping what belongs to the old one.
import type { Order, OrderStatus, StreamMessage, Trade } from '@/api/types'

export const DURABLE_STREAMS = ['orders', 'trades'] as const
export const MAX_ITEMS = 1000

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'filled',
  'canceled',
  'partially_canceled',
  'rejected',
  'denied',
  'expired',
])

export function isTerminal(status: OrderStatus | string): boolean {
  return TERMINAL_STATUSES.has(status as OrderStatus)
}

/** Open = may still trade or be cancelled (everything not terminal). */
export function isOpen(order: Pick<Order, 'status'>): boolean {
  return !isTerminal(order.status)
}

/** Statuses for which a cancel request makes sense. */
export function isCancelable(order: Pick<Order, 'status'>): boolean {
  return ['pending_new', 'submitted', 'accepted', 'partially_filled', 'unknown'].includes(order.status)
}

export interface LiveState {
  /** highest seq seen on a durable stream: the since_seq of the next (re)subscribe */
  lastSeq: number
  orders: Order[]
  /** seq of the copy we hold, per order id (absent when it came from a snapshot) */
  orderSeqs: Record<string, number>
  trades: Trade[]
  /** the trading day the lists hold (YYYY-MM-DD); null until known */
  day: string | null
}

export function initialLiveState(day: string | null = null): LiveState {
  return { lastSeq: 0, orders: [], orderSeqs: {}, trades: [], day }
}

/** Does an item of `itemDay` belong to another day than the lists hold? (unknown days belong) */
export function isOtherDay(stateDay: string | null, itemDay: string | null | undefined): boolean {
  return !!stateDay && !!itemDay && itemDay !== stateDay
}

/**
 * The state for trading day `day`: the same state when it already is; otherwise only the orders and
 * trades of `day` are kept (when the day was unknown, items without a day are kept too). The seq
 * cursor is kept, so the stream does not replay what it already sent.
 */
export function withDay(state: LiveState, day: string): LiveState {
  if (state.day === day) return state
  const keep = (d: string | null | undefined) => (d ? d === day : state.day === null)
  const orders = state.orders.filter((o) => keep(o.trading_day))
  const ids = new Set(orders.map((o) => String(o.order_id)))
  const orderSeqs: Record<string, number> = {}
  for (const [id, seq] of Object.entries(state.orderSeqs)) if (ids.has(id)) orderSeqs[id] = seq
  return { lastSeq: state.lastSeq, orders, orderSeqs, trades: state.trades.filter((t) => keep(t.trading_day)), day }
}

function time(v: string | null | undefined): number {
  const t = v ? Date.parse(v) : NaN
  return Number.isNaN(t) ? 0 : t
}

function byCreatedDesc(a: Order, b: Order): number {
  return time(b.created_at) - time(a.created_at) || (b.order_id > a.order_id ? 1 : b.order_id < a.order_id ? -1 : 0)
}

function byTradedDesc(a: Trade, b: Trade): number {
  return time(b.traded_at) - time(a.traded_at) || (b.trade_id > a.trade_id ? 1 : b.trade_id < a.trade_id ? -1 : 0)
}

/** Is `incoming` a newer picture of the order than `held`? */
export function isNewerOrder(incoming: Order, held: Order): boolean {
  const ti = time(incoming.updated_at)
  const th = time(held.updated_at)
  if (ti !== th) return ti > th
  // Same timestamp: never move a finished order back to an open state; otherwise take more fills.
  if (isTerminal(held.status) && !isTerminal(incoming.status)) return false
  return (incoming.filled_quantity ?? 0) >= (held.filled_quantity ?? 0)
}

/** Merge one order (from the `orders` stream when `seq` is given, else from REST). */
export function upsertOrder(state: LiveState, order: Order, seq?: number): LiveState {
  const lastSeq = seq !== undefined && seq > state.lastSeq ? seq : state.lastSeq
  if (isOtherDay(state.day, order.trading_day)) return lastSeq === state.lastSeq ? state : { ...state, lastSeq }
  const id = order.order_id
  const heldSeq = state.orderSeqs[id]
  if (seq !== undefined && heldSeq !== undefined && seq <= heldSeq) {
    return lastSeq === state.lastSeq ? state : { ...state, lastSeq }
  }
  const idx = state.orders.findIndex((o) => o.order_id === id)
  if (idx >= 0) {
    const held = state.orders[idx]
    const takesPrecedence = seq !== undefined && heldSeq !== undefined ? true : isNewerOrder(order, held)
    if (!takesPrecedence) return lastSeq === state.lastSeq ? state : { ...state, lastSeq }
    const orders = state.orders.slice()
    orders[idx] = order
    const orderSeqs = seq !== undefined ? { ...state.orderSeqs, [id]: seq } : state.orderSeqs
    return { ...state, lastSeq, orders, orderSeqs }
  }
  const orders = [order, ...state.orders].sort(byCreatedDesc).slice(0, MAX_ITEMS)
  const orderSeqs = seq !== undefined ? { ...state.orderSeqs, [id]: seq } : state.orderSeqs
  return { ...state, lastSeq, orders, orderSeqs }
}

/** Trades are immutable: add once per trade_id. */
export function addTrade(state: LiveState, trade: Trade, seq?: number): LiveState {
  const lastSeq = seq !== undefined && seq > state.lastSeq ? seq : state.lastSeq
  if (isOtherDay(state.day, trade.trading_day)) return lastSeq === state.lastSeq ? state : { ...state, lastSeq }
  if (state.trades.some((t) => t.trade_id === trade.trade_id)) {
    return lastSeq === state.lastSeq ? state : { ...state, lastSeq }
  }
  const trades = [trade, ...state.trades].sort(byTradedDesc).slice(0, MAX_ITEMS)
  return { ...state, lastSeq, trades }
}

export function mergeOrderSnapshot(state: LiveState, orders: Order[]): LiveState {
  return orders.reduce((s, o) => upsertOrder(s, o), state)
}

export function mergeTradeSnapshot(state: LiveState, trades: Trade[]): LiveState {
  return trades.reduce((s, t) => addTrade(s, t), state)
}

/** Apply one server message; messages of other streams leave the state as it is. */
export function applyStreamMessage(state: LiveState, msg: StreamMessage): LiveState {
  if (msg.stream === 'orders') return upsertOrder(state, msg.data, msg.seq)
  if (msg.stream === 'trades') return addTrade(state, msg.data, msg.seq)
  return state
}

export function openOrders(orders: Order[]): Order[] {
  return orders.filter(isOpen)
}
