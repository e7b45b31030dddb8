import { describe, expect, it } from 'vitest'
import type { OrderStatus } from '@/api/types'
import {
  addTrade,
  applyStreamMessage,
  initialLiveState,
  isCancelable,
  isOpen,
  mergeOrderSnapshot,
  mergeTradeSnapshot,
  openOrders,
  upsertOrder,
  withDay,
} from '@/lib/reducer'
import { frame, order, orderFrame, quote, trade, tradeFrame } from './helpers'

const T = (s: number) => `2025-03-03T09:30:${String(s).padStart(2, '0')}+08:00`

describe('stream reducer: orders', () => {
  it('adds and then updates an order by id, tracking the highest seq', () => {
    let s = initialLiveState()
    s = applyStreamMessage(s, orderFrame(5, order({ order_id: 1, status: 'submitted' })))
    s = applyStreamMessage(s, orderFrame(7, order({ order_id: 1, status: 'accepted', updated_at: T(1) })))
    expect(s.orders).toHaveLength(1)
    expect(s.orders[0].status).toBe('accepted')
    expect(s.lastSeq).toBe(7)
    expect(s.orderSeqs[1]).toBe(7)
  })

  it('ignores an older or duplicate seq for the same order', () => {
    let s = initialLiveState()
    s = upsertOrder(s, order({ order_id: 1, status: 'filled', filled_quantity: 100, updated_at: T(5) }), 10)
    const same = upsertOrder(s, order({ order_id: 1, status: 'accepted', updated_at: T(1) }), 8)
    expect(same.orders[0].status).toBe('filled')
    expect(same).toBe(s) // nothing changed, same object
    const dup = upsertOrder(s, order({ order_id: 1, status: 'filled', filled_quantity: 100, updated_at: T(5) }), 10)
    expect(dup).toBe(s)
  })

  it('still advances lastSeq on an ignored message of a durable stream', () => {
    let s = upsertOrder(initialLiveState(), order({ order_id: 1 }), 10)
    s = upsertOrder(s, order({ order_id: 2 }), 12)
    const replay = upsertOrder(s, order({ order_id: 1 }), 9)
    expect(replay.lastSeq).toBe(12)
  })

  it('keeps newest first by created_at', () => {
    let s = initialLiveState()
    s = upsertOrder(s, order({ order_id: 1, created_at: T(1) }), 1)
    s = upsertOrder(s, order({ order_id: 3, created_at: T(3) }), 2)
    s = upsertOrder(s, order({ order_id: 2, created_at: T(2) }), 3)
    expect(s.orders.map((o) => o.order_id)).toEqual([3, 2, 1])
  })

  it('a REST snapshot never overwrites a newer copy from the stream', () => {
    let s = upsertOrder(initialLiveState(), order({ order_id: 1, status: 'filled', filled_quantity: 100, updated_at: T(9) }), 20)
    s = mergeOrderSnapshot(s, [order({ order_id: 1, status: 'accepted', updated_at: T(2) }), order({ order_id: 2, created_at: T(3) })])
    expect(s.orders.find((o) => o.order_id === 1)!.status).toBe('filled')
    expect(s.orders).toHaveLength(2)
  })

  it('a replayed stream event older than the snapshot copy is ignored', () => {
    let s = mergeOrderSnapshot(initialLiveState(), [order({ order_id: 1, status: 'canceled', updated_at: T(9) })])
    s = upsertOrder(s, order({ order_id: 1, status: 'accepted', updated_at: T(3) }), 4)
    expect(s.orders[0].status).toBe('canceled')
    expect(s.lastSeq).toBe(4)
  })

  it('does not move a terminal order back to open on an equal timestamp', () => {
    let s = mergeOrderSnapshot(initialLiveState(), [order({ order_id: 1, status: 'filled', filled_quantity: 100, updated_at: T(5) })])
    s = mergeOrderSnapshot(s, [order({ order_id: 1, status: 'partially_filled', filled_quantity: 50, updated_at: T(5) })])
    expect(s.orders[0].status).toBe('filled')
  })

  it('ignores other streams', () => {
    const s = initialLiveState()
    expect(applyStreamMessage(s, frame('positions', { items: [] }))).toBe(s)
    expect(applyStreamMessage(s, frame('quotes:600000.SH', quote({ stock_code: '600000.SH' })))).toBe(s)
  })

  it('tells open and cancelable orders', () => {
    const statuses: OrderStatus[] = ['submitted', 'accepted', 'partially_filled', 'pending_cancel', 'filled', 'canceled', 'denied', 'unknown']
    const list = statuses.map((status, i) => order({ order_id: i + 1, status }))
    expect(openOrders(list).map((o) => o.status)).toEqual(['submitted', 'accepted', 'partially_filled', 'pending_cancel', 'unknown'])
    expect(isOpen(order({ order_id: 9, status: 'pending_cancel' }))).toBe(true)
    expect(isCancelable(order({ order_id: 9, status: 'pending_cancel' }))).toBe(false)
    expect(isCancelable(order({ order_id: 9, status: 'partially_filled' }))).toBe(true)
  })
})

describe('stream reducer: trades', () => {
  it('adds each trade once, newest first', () => {
    let s = initialLiveState()
    s = applyStreamMessage(s, tradeFrame(3, trade({ trade_id: 1, traded_at: T(1) })))
    s = applyStreamMessage(s, tradeFrame(4, trade({ trade_id: 2, traded_at: T(2) })))
    s = applyStreamMessage(s, tradeFrame(5, trade({ trade_id: 1, traded_at: T(1) })))
    expect(s.trades.map((t) => t.trade_id)).toEqual([2, 1])
    expect(s.lastSeq).toBe(5)
  })
  it('merges a snapshot without duplicating streamed trades', () => {
    let s = addTrade(initialLiveState(), trade({ trade_id: 1 }), 1)
    s = mergeTradeSnapshot(s, [trade({ trade_id: 1 }), trade({ trade_id: 5, traded_at: T(0) })])
    expect(s.trades.map((t) => t.trade_id)).toEqual([1, 5])
    expect(s.lastSeq).toBe(1)
  })
})

describe('stream reducer: one trading day', () => {
  const D1 = '2026-11-25'
  const D2 = '2026-11-26'

  it('ignores orders and trades of another day, but still advances lastSeq', () => {
    let s = initialLiveState(D2)
    s = upsertOrder(s, order({ order_id: 1, trading_day: D1, status: 'expired' }), 7)
    s = addTrade(s, trade({ trade_id: 1, trading_day: D1 }), 8)
    expect(s.orders).toHaveLength(0)
    expect(s.trades).toHaveLength(0)
    expect(s.lastSeq).toBe(8)
    s = upsertOrder(s, order({ order_id: 2, trading_day: D2 }), 9)
    expect(s.orders.map((o) => o.order_id)).toEqual([2])
  })

  it('withDay empties the lists of the old day and keeps the seq cursor', () => {
    let s = initialLiveState(D1)
    s = upsertOrder(s, order({ order_id: 1, trading_day: D1 }), 3)
    s = upsertOrder(s, order({ order_id: 2, trading_day: D1 }), 4)
    s = addTrade(s, trade({ trade_id: 1, trading_day: D1 }), 5)
    const next = withDay(s, D2)
    expect(next.day).toBe(D2)
    expect(next.orders).toEqual([])
    expect(next.trades).toEqual([])
    expect(next.orderSeqs).toEqual({})
    expect(next.lastSeq).toBe(5)
    expect(withDay(next, D2)).toBe(next) // same day: unchanged
  })

  it("withDay on a state of unknown day keeps that day's items", () => {
    let s = initialLiveState()
    s = upsertOrder(s, order({ order_id: 1, trading_day: D2 }), 1)
    s = upsertOrder(s, order({ order_id: 2, trading_day: D1 }), 2)
    const next = withDay(s, D2)
    expect(next.orders.map((o) => o.order_id)).toEqual([1])
    expect(Object.keys(next.orderSeqs)).toEqual(['1'])
  })
})
