// The watchlist's auto-trade switch when the session holds no trade token: the server's TRADE_LOCKED
// opens the shared unlock dialog (lib/unlock) and the change is sent again once unlocked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import { createPinia, setActivePinia } from 'pinia'
import { configureRequest } from '@/api/request'
import type { MonitoredStock } from '@/api/types'
import { setMonitorSwitch } from '@/lib/monitor'
import { finishUnlock, unlockState } from '@/lib/unlock'
import { useTradeTokenStore } from '@/stores/tradeToken'
import { fail, installMock, ok, type Call } from './mockAdapter'

function watched(): MonitoredStock {
  return {
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    enabled: true,
    auto_trade: false,
    strategy: { type: 'ma_cross', params: { fast: 5, slow: 20 } },
    sizing: { method: 'quantity', value: '100' },
    strategy_name: 'ma_cross-600000',
    status: { state: 'idle', error: null, last_signal_at: null },
    quote: null,
    created_at: '2026-11-25T09:00:00+08:00',
    updated_at: '2026-11-25T09:00:00+08:00',
  }
}

/** The server: PUT /monitor/stocks needs the token issued by POST /auth/trade-unlock. */
function server() {
  return installMock((c: Call) => {
    if (c.url === '/auth/trade-unlock') return ok({ trade_token: 'tt-1', expires_in: 900 })
    if (c.headers['X-Trade-Token'] !== 'tt-1') return fail(403, 'TRADE_LOCKED', '交易已锁定')
    return ok({ ...watched(), ...(c.data as object) })
  })
}

const puts = (calls: Call[]) => calls.filter((c) => c.method === 'PUT')

beforeEach(() => {
  setActivePinia(createPinia())
  const trade = useTradeTokenStore()
  // as main.ts wires it
  configureRequest({ getToken: () => 'jwt', getTradeToken: () => trade.validToken(), onTradeLocked: () => trade.clear() })
})
afterEach(() => {
  if (unlockState.visible) finishUnlock(false)
})

describe('monitor auto-trade switch and the trade lock', () => {
  it('opens the unlock dialog on TRADE_LOCKED, sends again after unlocking, and ends ON', async () => {
    const calls = server()
    const row = reactive(watched())
    const done = setMonitorSwitch(row, 'auto_trade', true)

    await vi.waitFor(() => expect(unlockState.visible).toBe(true))
    expect(row.auto_trade).toBe(false)
    // what UnlockDialog does on submit
    await useTradeTokenStore().unlock('123456')
    finishUnlock(true)
    await done

    expect(row.auto_trade).toBe(true)
    expect(puts(calls)).toHaveLength(2)
    expect(puts(calls)[1]).toMatchObject({ url: '/monitor/stocks/600000.SH', data: { auto_trade: true } })
    expect(puts(calls)[1].headers['X-Trade-Token']).toBe('tt-1')
  })

  it('leaves the switch OFF when the unlock dialog is cancelled', async () => {
    const calls = server()
    const row = reactive(watched())
    const done = setMonitorSwitch(row, 'auto_trade', true)

    await vi.waitFor(() => expect(unlockState.visible).toBe(true))
    finishUnlock(false)

    await expect(done).rejects.toMatchObject({ code: 'TRADE_LOCKED', status: 403 })
    expect(row.auto_trade).toBe(false)
    expect(puts(calls)).toHaveLength(1)
    expect(calls.some((c) => c.url === '/auth/trade-unlock')).toBe(false)
  })

  it('asks for nothing when the token is valid, and does not retry other errors', async () => {
    const calls = server()
    await useTradeTokenStore().unlock('123456')
    const row = reactive(watched())
    await setMonitorSwitch(row, 'auto_trade', true)
    expect(row.auto_trade).toBe(true)
    expect(unlockState.visible).toBe(false)
    expect(puts(calls)).toHaveLength(1)

    const failing = installMock(() => fail(404, 'MONITOR_NOT_FOUND', '未监测'))
    await expect(setMonitorSwitch(row, 'enabled', false)).rejects.toMatchObject({ code: 'MONITOR_NOT_FOUND' })
    expect(row.enabled).toBe(true)
    expect(unlockState.visible).toBe(false)
    expect(failing).toHaveLength(1)
  })
})
