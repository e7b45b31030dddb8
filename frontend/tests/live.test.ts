// The live store's "today": the lists follow the server's trading day (status, stream items), reload in order after a clock advance, and drop answers for a day that is already past.
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios'
import { configureRequest, http } from '@/api/request'
import { useLiveStore } from '@/stores/live'
import { installMock, ok, type Call } from './mockAdapter'
import { frame, order, orderFrame, position, signalRecord, trade, tradingStatus } from './helpers'

const D1 = '2026-11-25'
const D2 = '2026-11-26'

let day = D1
let calls: Call[] = []
/** what the server holds, per trading day */
const orders: Record<string, unknown[]> = {}
const trades: Record<string, unknown[]> = {}


beforeEach(() => {
  setActivePinia(createPinia())
  configureRequest({ getToken: () => 'jwt', getTradeToken: () => null, getLocale: () => 'zh-CN' })
  day = D1
  orders[D1] = [order({ order_id: 1, trading_day: D1, status: 'accepted' })]
  trades[D1] = [trade({ trade_id: 1, order_id: 10, trading_day: D1 })]
  orders[D2] = []
  trades[D2] = []
  calls = installMock((c) => {
    const q = (c.params ?? {}) as { trading_day?: string }
    if (c.url === '/trading/status') return ok(tradingStatus({ trading_day: day }))
    if (c.url === '/trading/orders') return ok({ items: orders[q.trading_day ?? day] ?? [], total: 0, page: 1, page_size: 200 })
    if (c.url === '/trading/trades') return ok({ items: trades[q.trading_day ?? day] ?? [], total: 0, page: 1, page_size: 200 })
    if (c.url === '/trading/positions') return ok([])
    return ok({})
  })
})

const listCalls = () => calls.filter((c) => c.url === '/trading/orders').map((c) => (c.params as { trading_day?: string }).trading_day)

describe('live store: today', () => {
  it('loads the status first, then the orders and trades of its trading day', async () => {
    const live = useLiveStore()
    await live.loadToday()
    expect(calls[0].url).toBe('/trading/status')
    expect(listCalls()).toEqual([D1])
    expect(live.loadedDay).toBe(D1)
    expect(live.orders.map((o) => o.order_id)).toEqual([1])
    expect(live.trades).toHaveLength(1)
  })

  it('empties and reloads the lists when the trading day changes (clock advance: refreshAll, then loadToday)', async () => {
    const live = useLiveStore()
    await live.loadToday()
    orders[D2] = [order({ order_id: 2, trading_day: D2 })]
    day = D2
    await live.refreshAll()
    await live.loadToday()
    expect(live.loadedDay).toBe(D2)
    expect(live.orders.map((o) => o.order_id)).toEqual([2])
    expect(live.trades).toEqual([])
    // one load per day: the roll's reload and the explicit call share the request
    expect(listCalls()).toEqual([D1, D2])
  })

  it('rolls when the status poll (a page left open overnight) brings a new day', async () => {
    const live = useLiveStore()
    await live.loadToday()
    day = D2
    await live.refreshStatus()
    await live.loadToday()
    expect(live.loadedDay).toBe(D2)
    expect(live.orders).toEqual([])

    // the status stream tells a change of the broker link; the rest of the status stays
    live.handle(frame('status', { state: 'reconnecting', connected: false, message: '连接中断' }))
    expect(live.status).toMatchObject({ state: 'reconnecting', connected: false, broker: 'paper', trading_day: D2 })
    expect(live.loadedDay).toBe(D2)
  })

  it('ignores stream items of the old day and rolls on an item of a newer day', async () => {
    const live = useLiveStore()
    await live.loadToday()
    live.handle(orderFrame(5, order({ order_id: 1, trading_day: D1, status: 'expired', updated_at: '2026-11-25T15:00:00+08:00' })))
    expect(live.orders[0].status).toBe('expired')

    live.handle(orderFrame(6, order({ order_id: 9, trading_day: D2 })))
    expect(live.loadedDay).toBe(D2)
    expect(live.orders.map((o) => o.order_id)).toEqual([9])
    // a late update of yesterday's order stays out
    live.handle(orderFrame(7, order({ order_id: 1, trading_day: D1, status: 'canceled', updated_at: '2026-11-25T15:00:01+08:00' })))
    expect(live.orders.map((o) => o.order_id)).toEqual([9])
    expect(live.live.lastSeq).toBe(7)
  })

  it('drops an answer for a day that is already past', async () => {
    const live = useLiveStore()
    await live.loadToday()
    // the next D1 answer is held back until released; meanwhile the day rolls to D2
    const inner = http.defaults.adapter as AxiosAdapter
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    http.defaults.adapter = async (config: InternalAxiosRequestConfig) => {
      if ((config.params as { trading_day?: string } | undefined)?.trading_day === D1) await gate
      return inner(config)
    }
    orders[D1] = [order({ order_id: 5, trading_day: D1 })]
    const first = live.fetchToday(D1)
    live.rollDay(D2)
    await live.loadToday(D2)
    release()
    await first
    expect(live.loadedDay).toBe(D2)
    expect(live.orders).toEqual([])
    expect(live.trades).toEqual([])
  })

  it('takes the positions stream ({items}: the whole list)', () => {
    const live = useLiveStore()
    live.handle(frame('positions', { items: [position({ stock_code: '600000.SH' }), position({ stock_code: '000001.SZ' })] }))
    expect(live.positions.map((x) => x.stock_code)).toEqual(['600000.SH', '000001.SZ'])
    live.handle(frame('positions', { items: [position({ stock_code: '600000.SH' })] }))
    expect(live.positions).toHaveLength(1)
    live.handle(frame('positions', { items: [] }))
    expect(live.positions).toHaveLength(0)
  })
})

describe('live store: trading state', () => {
  it('follows halt / reduce-only / resume from the risk stream', async () => {
    const live = useLiveStore()
    await live.refreshStatus()
    expect(live.tradingState).toBe('active')
    const time = '2026-11-25T10:00:00+08:00'
    live.handle(frame('risk', { kind: 'halt', state: 'halted', halted: true, reason: '盘中异常', time }))
    expect(live.tradingState).toBe('halted')
    expect(live.halted).toBe(true)
    expect(live.status?.halted).toBe(true)
    expect(live.stateReason).toBe('盘中异常')
    expect(live.riskTick).toBe(1)
    live.handle(frame('risk', { kind: 'reduce_only', state: 'reduce_only', halted: false, reason: 'x', time }))
    expect(live.tradingState).toBe('reduce_only')
    expect(live.halted).toBe(false)
    live.handle(
      frame('risk', {
        kind: 'denial',
        code: 'RISK_MAX_ORDER_VALUE',
        rule: 'max_order_value',
        scope: 'account',
        order_id: 7,
        stock_code: '600000.SH',
        side: 'buy',
        message: '单笔委托金额超限',
        time,
      }),
    )
    expect(live.tradingState).toBe('reduce_only') // a denial does not change the state
    live.handle(frame('risk', { kind: 'resume', state: 'active', halted: false, reason: 'ok', time }))
    expect(live.tradingState).toBe('active')
    expect(live.stateReason).toBe('')
  })

  it('keeps the last signal of the signals stream', () => {
    const live = useLiveStore()
    live.handle(frame('signals', signalRecord({ signal_id: 's1', decision: 'executed' })))
    expect(live.lastSignal?.signal_id).toBe('s1')
    expect(live.signalTick).toBe(1)
  })
})
