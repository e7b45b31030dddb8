// The order detail's timeline as a person reads it, and the 说明 column's message.
import { describe, expect, it } from 'vitest'
import type { Order, OrderEvent, Trade } from '@/api/types'
import { errorCodeText, orderMessage, orderTimeline } from '@/lib/orderTimeline'
import { order as orderFixture, trade } from './helpers'

const T = '2026-11-25T10:00:17+08:00'
/** the order as a change left it (the `data` of an `orders` entry) */
const order = (p: Partial<Order>) => orderFixture({ order_id: 1, price: '11.97', quantity: 1000, status: 'pending_new', ...p })
/** one entry of GET /trading/orders/{id}'s `events` */
const ev = (seq: number, event: string, data: Order | Trade): OrderEvent => ({
  seq,
  stream: 'status' in data ? 'orders' : 'trades',
  event,
  status: 'status' in data ? data.status : null,
  time: T,
  data,
})

describe('orderTimeline', () => {
  // as GET /trading/orders/{id} returns it: a partial fill, a cancel, the rest cancelled
  const events: OrderEvent[] = [
    ev(1, 'created', order({ status: 'pending_new' })),
    ev(2, 'submitted', order({ status: 'submitted' })),
    ev(3, 'broker_status', order({ status: 'submitted', status_msg: '未报' })),
    ev(4, 'accepted', order({ status: 'accepted', status_msg: '已报' })),
    ev(5, 'trade', trade({ trade_id: 9, order_id: 1, price: '11.97', quantity: 300, amount: '3591.00', side: 'buy' })),
    ev(6, 'filled_quantity', order({ status: 'accepted', filled_quantity: 300, avg_fill_price: '11.9700' })),
    ev(7, 'partially_filled', order({ status: 'partially_filled', filled_quantity: 300, avg_fill_price: '11.9700', status_msg: '部成' })),
    ev(8, 'cancel_requested', order({ status: 'partially_filled', filled_quantity: 300 })),
    ev(9, 'pending_cancel', order({ status: 'pending_cancel', filled_quantity: 300, status_msg: '部成待撤' })),
    ev(10, 'partially_canceled', order({ status: 'partially_canceled', filled_quantity: 300, avg_fill_price: '11.9700', status_msg: '部撤' })),
  ]

  it('reads as events, not field dumps', () => {
    const tl = orderTimeline(events)
    expect(tl.map((e) => e.title)).toEqual([
      '委托创建',
      '已提交券商',
      '已报',
      '成交 300 @ 11.97',
      '部成 300 @ 11.97',
      '撤单请求',
      '待撤',
      '部撤',
    ])
    expect(tl[0].detail).toBe('买入 1,000 @ 11.97')
    expect(tl[3].detail).toBe('成交金额 3,591.00')
    expect(tl[7].detail).toBe('已成交 300，撤销 700')
    expect(tl.every((e) => !/[a-z_]+=/.test(`${e.title} ${e.detail}`))).toBe(true)
  })

  it('tones: fills green, cancels amber', () => {
    const tl = orderTimeline(events)
    expect(tl[3].tone).toBe('success')
    expect(tl[5].tone).toBe('warning')
  })

  it('a denied order: its Chinese message, the code kept aside', () => {
    const tl = orderTimeline([
      ev(1, 'created', order({ status: 'pending_new', quantity: 150 })),
      ev(2, 'denied', order({ status: 'denied', error: 'LOT_SIZE', error_message: '买入数量应为100的整数倍', status_msg: '买入数量应为100的整数倍' })),
    ])
    expect(tl[1]).toMatchObject({ title: '已拒绝（未发送）', detail: '买入数量应为100的整数倍', tone: 'danger', code: 'LOT_SIZE' })
  })

  it('a fully filled order without trade events shows the running total', () => {
    const tl = orderTimeline([
      ev(1, 'filled_quantity', order({ status: 'accepted', filled_quantity: 1000, avg_fill_price: '11.9700' })),
      ev(2, 'filled', order({ status: 'filled', filled_quantity: 1000, avg_fill_price: '11.9700', status_msg: '已成' })),
      ev(3, 'canceled', order({ status: 'canceled', status_msg: '撤单成功' })),
    ])
    expect(tl.map((e) => e.title)).toEqual(['累计成交 1,000 / 1,000', '已成 1,000 @ 11.97', '已撤'])
    expect(tl[2].detail).toBe('')
  })

  it('market orders, unknown events, broker messages worth showing', () => {
    const tl = orderTimeline([
      ev(1, 'created', order({ price_type: 'market', price: '12.65' })),
      ev(2, 'broker_status', order({ status_msg: '交易所繁忙，稍后重报' })),
      ev(3, 'something_new', order({ status: 'accepted' })),
      ev(4, 'expired', order({ status: 'expired' })),
    ])
    expect(tl[0].detail).toBe('买入 1,000 @ 市价 12.65')
    expect(tl[1].title).toBe('券商回报：交易所繁忙，稍后重报')
    expect(tl[2].title).toBe('已报')
    expect(tl[3]).toMatchObject({ title: '已过期', detail: '收盘时仍未成交，自动失效' })
  })

  it('sorted by seq, nothing for no events', () => {
    expect(orderTimeline([ev(2, 'accepted', order({})), ev(1, 'created', order({}))]).map((e) => e.title)).toEqual(['委托创建', '已报'])
    expect(orderTimeline(undefined)).toEqual([])
  })
})

describe('orderMessage (the 说明 column)', () => {
  it("the server's message, never the bare code", () => {
    expect(orderMessage({ error: 'LOT_SIZE', error_message: '买入数量应为100的整数倍', status_msg: '买入数量应为100的整数倍' })).toBe('买入数量应为100的整数倍')
    expect(orderMessage({ error: null, status_msg: '已成' })).toBe('已成')
    expect(orderMessage({ error: 'LOT_SIZE', error_message: null, status_msg: null })).toBe('委托数量不符合整手规则')
    expect(orderMessage({ error: 'LOT_SIZE', error_message: 'LOT_SIZE' })).toBe('委托数量不符合整手规则')
    expect(orderMessage({ error: 'RISK_MAX_ORDER_VALUE' })).toBe('风控拒绝：单笔委托金额上限')
    expect(orderMessage({ error: 'SOMETHING_ELSE' })).toBe('委托被拒绝')
    expect(orderMessage({})).toBe('')
  })

  it('errorCodeText', () => {
    expect(errorCodeText('PRICE_CAGE')).toBe('价格超出价格笼子')
    expect(errorCodeText('RISK_HALTED')).toBe('交易已熔断')
    expect(errorCodeText('RISK_SYMBOL_BLOCKED')).toBe('风控拒绝：该证券在禁止交易名单中')
    expect(errorCodeText('RISK_MAX_ORDER_VALUE')).toBe('风控拒绝：单笔委托金额上限')
    expect(errorCodeText(null)).toBe('')
  })
})
