// One cancel for every button and F3: which order F3 picks, the optional confirmation, one request.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureRequest } from '@/api/request'
import { cancelOrder, describeOrder, orderToCancel } from '@/lib/cancel'
import { usePrefsStore } from '@/stores/prefs'
import { useTradeTokenStore } from '@/stores/tradeToken'
import { installMock, ok, type Call } from './mockAdapter'
import { order } from './helpers'

const confirm = vi.fn()
vi.mock('element-plus', () => ({
  ElMessage: { success: vi.fn(), error: vi.fn(), info: vi.fn() },
  ElMessageBox: { confirm: (...a: unknown[]) => confirm(...a) },
}))

describe('orderToCancel (F3)', () => {
  const open = [
    order({ order_id: 1, stock_code: '600000.SH', created_at: '2026-11-25T10:00:00+08:00', status: 'accepted' }),
    order({ order_id: 2, stock_code: '600000.SH', created_at: '2026-11-25T10:05:00+08:00', status: 'partially_filled' }),
    order({ order_id: 3, stock_code: '000001.SZ', created_at: '2026-11-25T10:09:00+08:00', status: 'accepted' }),
    order({ order_id: 4, stock_code: '600000.SH', created_at: '2026-11-25T10:10:00+08:00', status: 'pending_cancel' }),
  ]

  it("the newest cancelable order of the ticket's stock", () => {
    expect(orderToCancel(open, '600000.SH', null)?.order_id).toBe(2)
    expect(orderToCancel(open, '000001.SZ', null)?.order_id).toBe(3)
  })

  it('the selected row first, while it can be cancelled', () => {
    expect(orderToCancel(open, '600000.SH', '1')?.order_id).toBe(1)
    expect(orderToCancel(open, '600000.SH', 3)?.order_id).toBe(3)
    // a cancel already in flight is not picked again
    expect(orderToCancel(open, '600000.SH', '4')?.order_id).toBe(2)
  })

  it('nothing without a stock or an open order of it', () => {
    expect(orderToCancel(open, null, null)).toBeNull()
    expect(orderToCancel(open, '600036.SH', null)).toBeNull()
  })
})

describe('cancelOrder', () => {
  let calls: Call[] = []
  beforeEach(() => {
    setActivePinia(createPinia())
    localStorage.clear()
    confirm.mockReset()
    configureRequest({ getToken: () => 'jwt', getTradeToken: () => 'tt', getLocale: () => 'zh-CN' })
    useTradeTokenStore().set('tt', 900)
    calls = installMock((c) => (c.url.endsWith('/cancel') ? ok({ order: order({ order_id: 7, status: 'pending_cancel' }) }) : ok({})))
  })

  it('sends one cancel without asking by default', async () => {
    const res = await cancelOrder(order({ order_id: 7, status: 'accepted' }))
    expect(res?.status).toBe('pending_cancel')
    expect(confirm).not.toHaveBeenCalled()
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /trading/orders/7/cancel'])
  })

  it('asks first when the preference is on; "keep it" sends nothing', async () => {
    usePrefsStore().setConfirmCancel(true)
    confirm.mockRejectedValueOnce('cancel')
    expect(await cancelOrder(order({ order_id: 7, status: 'accepted' }))).toBeNull()
    expect(calls).toHaveLength(0)
    expect(String(confirm.mock.calls[0][0])).toContain('买入 浦发银行 600000.SH 100 @ 10.00')
    confirm.mockResolvedValueOnce('confirm')
    expect(await cancelOrder(order({ order_id: 7, status: 'accepted' }))).not.toBeNull()
    expect(calls).toHaveLength(1)
  })

  it('a finished order is not sent', async () => {
    expect(await cancelOrder(order({ order_id: 7, status: 'filled' }))).toBeNull()
    expect(calls).toHaveLength(0)
  })

  it('describeOrder names a partial fill', () => {
    expect(describeOrder(order({ order_id: 1, filled_quantity: 300, quantity: 1000, price: '11.97' }))).toBe('买入 浦发银行 600000.SH 1,000 @ 11.97 (成交量 300)')
  })
})
