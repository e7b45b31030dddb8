// The live store's held and algo orders: loaded live with `?state=live`, kept current by the
// `conditional_orders` and `algo_orders` streams (other accounts' items dropped), and the trade
// token on every held / algo POST.
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureRequest } from '@/api/request'
import { algoApi, heldApi } from '@/api/endpoints'
import { BASE_STREAMS, useLiveStore, type LiveNotice } from '@/stores/live'
import { useAccountsStore } from '@/stores/accounts'
import { installMock, ok, type Call } from './mockAdapter'
import { algoOrder, frame, heldOrder, order, orderFrame } from './helpers'

let calls: Call[] = []
let liveHeld: unknown[] = []
let liveAlgos: unknown[] = []

beforeEach(() => {
  setActivePinia(createPinia())
  configureRequest({ getToken: () => 'jwt', getTradeToken: () => 'tt', getLocale: () => 'zh-CN', getAccountId: () => 'A1' })
  useAccountsStore().currentId = 'A1'
  liveHeld = [heldOrder({ id: 2 }), heldOrder({ id: 1, state: 'waiting', parent_order_id: 9 })]
  liveAlgos = [algoOrder({ id: 5 })]
  calls = installMock((c) => {
    if (c.url === '/trading/conditional-orders') return ok({ items: liveHeld, total: liveHeld.length, page: 1, page_size: 200 })
    if (c.url === '/trading/algo-orders') return ok({ items: liveAlgos, total: liveAlgos.length, page: 1, page_size: 200 })
    if (c.method === 'POST') return ok({ ...(c.data as object), id: 7 }, 201)
    return ok({})
  })
})

describe('live store: held and algo orders', () => {
  it('subscribes to both streams', () => {
    expect(BASE_STREAMS).toEqual(expect.arrayContaining(['conditional_orders', 'algo_orders']))
  })

  it('loads the live ones with ?state=live', async () => {
    const live = useLiveStore()
    await Promise.all([live.loadHeld(), live.loadAlgos()])
    const q = calls.find((c) => c.url === '/trading/conditional-orders')!.params as Record<string, unknown>
    expect(q.state).toBe('live')
    expect(q.account_id).toBe('A1')
    expect(live.held.map((h) => h.id)).toEqual([2, 1])
    expect(live.liveHeld).toHaveLength(2)
    expect(live.algos.map((a) => a.id)).toEqual([5])
    expect(live.liveAlgos).toHaveLength(1)
  })

  it('a stream item updates its row; one that fired stays shown but is no longer live', async () => {
    const live = useLiveStore()
    await live.loadHeld()
    const tick = live.heldTick
    live.handle(frame('conditional_orders', heldOrder({ id: 2, state: 'fired', order_id: 31, updated_at: '2026-11-25T10:05:00+08:00' })))
    expect(live.held.find((h) => h.id === 2)?.state).toBe('fired')
    expect(live.liveHeld.map((h) => h.id)).toEqual([1])
    expect(live.heldTick).toBe(tick + 1)
    live.handle(frame('conditional_orders', heldOrder({ id: 3, updated_at: '2026-11-25T10:06:00+08:00' })))
    expect(live.held.map((h) => h.id)).toEqual([3, 2, 1])
    // a reload keeps the fired one (shown until the page loads again) and takes the fresh live list
    liveHeld = [heldOrder({ id: 3, updated_at: '2026-11-25T10:06:00+08:00' })]
    await live.loadHeld()
    expect(live.held.map((h) => h.id)).toEqual([3, 2])
  })

  it('tells when a watched held order fires or fails and an algo order ends; its order’s refusal only once', async () => {
    const live = useLiveStore()
    const notices: LiveNotice[] = []
    live.setNoticeHook((n) => notices.push(n))
    await Promise.all([live.loadHeld(), live.loadAlgos()])
    live.handle(frame('conditional_orders', heldOrder({ id: 2, state: 'fired', order_id: 31, updated_at: '2026-11-25T10:05:00+08:00' })))
    // one never seen as live (another page's history) says nothing
    live.handle(frame('conditional_orders', heldOrder({ id: 9, state: 'failed', updated_at: '2026-11-25T10:05:00+08:00' })))
    live.handle(frame('algo_orders', algoOrder({ id: 5, state: 'completed', filled_quantity: 1000, updated_at: '2026-11-25T10:06:00+08:00' })))
    live.handle(orderFrame(1, order({ order_id: 31, client_order_id: 'held-2', status: 'denied', side: 'sell' })))
    live.handle(orderFrame(2, order({ order_id: 32, client_order_id: 'algo-5-3', status: 'denied' })))
    live.handle(orderFrame(3, order({ order_id: 33, client_order_id: 'api-1', status: 'denied' })))
    expect(notices.map((n) => n.kind)).toEqual(['held', 'algo', 'order'])
    live.setNoticeHook(null)
  })

  it("another account's items are dropped", () => {
    const live = useLiveStore()
    live.handle(frame('conditional_orders', heldOrder({ id: 8, account_id: 'B2' })))
    live.handle(frame('algo_orders', algoOrder({ id: 8, account_id: 'B2' })))
    expect(live.held).toEqual([])
    expect(live.algos).toEqual([])
    live.handle(frame('algo_orders', algoOrder({ id: 8, account_id: 'A1', filled_quantity: 300, progress: '0.3000' })))
    expect(live.algos[0].filled_quantity).toBe(300)
  })

  it('an account switch empties both lists and loads the new account’s', async () => {
    const live = useLiveStore()
    await live.loadHeld()
    useAccountsStore().currentId = 'B2'
    liveHeld = []
    await live.switchAccount()
    expect(live.held).toEqual([])
  })

  it('creating, bracketing and cancelling send the trade token', async () => {
    await heldApi.create({ stock_code: '600000.SH', side: 'sell', quantity: 100, price_type: 'latest', trigger: { type: 'price', direction: 'below', price: '11.30' } })
    await heldApi.bracket({ parent_order_id: 9, take_profit: { trigger_price: '12.00' } })
    await heldApi.cancel(2)
    await algoApi.create({ stock_code: '600000.SH', side: 'buy', quantity: 1000, algo: 'twap', end_at: '2026-11-25T10:30:00+08:00' })
    await algoApi.cancel(5)
    const posts = calls.filter((c) => c.method === 'POST')
    expect(posts.map((c) => c.url)).toEqual([
      '/trading/conditional-orders',
      '/trading/conditional-orders/bracket',
      '/trading/conditional-orders/2/cancel',
      '/trading/algo-orders',
      '/trading/algo-orders/5/cancel',
    ])
    for (const p of posts) expect(p.headers['X-Trade-Token']).toBe('tt')
  })
})
