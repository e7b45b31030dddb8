// The live store owns its stream client and timers: start() creates them once, stop() clears every
// interval / timeout, removes the visibility listener and closes the stream, and a new pinia gets a
// store of its own that starts clean.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureRequest } from '@/api/request'
import { useAuthStore } from '@/stores/auth'
import { SLOW_REFRESH_MS, useLiveStore } from '@/stores/live'
import { installMock, ok } from './mockAdapter'
import { accountFigures, frame, order, quote, trade, tradeFrame, tradingStatus, user } from './helpers'

const DAY = '2026-11-25'

class FakeWS {
  static instances: FakeWS[] = []
  readyState = 0
  closed = false
  sent: Record<string, unknown>[] = []
  onopen: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  onclose: ((ev: { code: number }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(public url: string) {
    FakeWS.instances.push(this)
  }
  send(s: string) {
    this.sent.push(JSON.parse(s))
  }
  close() {
    this.readyState = 3
    this.closed = true
  }
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  receive(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) })
  }
}
const openSockets = () => FakeWS.instances.filter((w) => !w.closed)

/** let the mocked HTTP answers (promises only, no timers) settle */
async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

function freshPinia() {
  setActivePinia(createPinia())
  useAuthStore().setSession('jwt', 3600, user())
}

beforeEach(() => {
  vi.useFakeTimers()
  FakeWS.instances = []
  vi.stubGlobal('WebSocket', FakeWS)
  freshPinia()
  configureRequest({ getToken: () => 'jwt', getTradeToken: () => null, getLocale: () => 'zh-CN' })
  installMock((c) => {
    if (c.url === '/trading/status') return ok(tradingStatus({ trading_day: DAY }))
    if (c.url === '/trading/orders') return ok({ items: [order({ order_id: 1, trading_day: DAY })], total: 1, page: 1, page_size: 200 })
    if (c.url === '/trading/trades') return ok({ items: [], total: 0, page: 1, page_size: 200 })
    if (c.url === '/trading/positions') return ok([])
    if (c.url === '/trading/account') return ok(accountFigures({ account_id: 'PAPER', cash: '1000.00' }))
    return ok({ items: [], total: 0, page: 1, page_size: 200 })
  })
})

afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('live store: lifecycle', () => {
  it('start() twice opens one stream and one slow-refresh timer', () => {
    const live = useLiveStore()
    expect(vi.getTimerCount()).toBe(0)
    live.start()
    const timers = vi.getTimerCount()
    live.start()
    expect(FakeWS.instances).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(timers)
    live.stop()
  })

  it('stop() clears every timer, closes the stream and empties the state', async () => {
    const live = useLiveStore()
    const removed = vi.spyOn(document, 'removeEventListener')
    live.start()
    const ws = FakeWS.instances[0]
    ws.open()
    ws.receive({ type: 'auth_ok' }) // the client's ping / watchdog interval
    await settle()
    expect(live.wsState).toBe('open')
    expect(live.orders).toHaveLength(1)
    live.handle(tradeFrame(3, trade({ trade_id: 1, trading_day: DAY }))) // the debounced refresh
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(3) // slow refresh, ping, trade refresh

    live.stop()
    expect(vi.getTimerCount()).toBe(0)
    expect(ws.closed).toBe(true)
    expect(openSockets()).toHaveLength(0)
    expect(removed).toHaveBeenCalledWith('visibilitychange', expect.any(Function))
    expect(live.wsState).toBe('idle')
    expect(live.orders).toEqual([])
    expect(live.status).toBeNull()

    // nothing left behind fires later: no reconnect, no refresh
    vi.advanceTimersByTime(SLOW_REFRESH_MS * 4)
    expect(FakeWS.instances).toHaveLength(1)
    removed.mockRestore()
  })

  it('stop() then start() (logout / login) runs exactly one stream and one set of timers', async () => {
    const live = useLiveStore()
    live.start()
    const timers = vi.getTimerCount()
    live.stop()
    live.stop() // a second stop is harmless
    live.start()
    expect(FakeWS.instances).toHaveLength(2)
    expect(openSockets()).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(timers)
    live.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a new pinia starts clean: its own stream, no state of the old one', async () => {
    const first = useLiveStore()
    first.start()
    FakeWS.instances[0].open()
    FakeWS.instances[0].receive({ type: 'auth_ok' })
    await settle()
    first.watchQuotes('page', ['600000.SH'])
    first.handle(frame('quotes:600000.SH', quote({ stock_code: '600000.SH', last_price: '11.50' })))
    expect(first.orders).toHaveLength(1)

    freshPinia()
    const second = useLiveStore()
    expect(second).not.toBe(first)
    expect(second.wsState).toBe('idle')
    expect(second.orders).toEqual([])
    expect(second.quotes).toEqual({})
    expect(second.live.lastSeq).toBe(0)
    // the old store's running stream does not keep the new one from starting its own
    second.start()
    expect(FakeWS.instances).toHaveLength(2)
    const sub = () => FakeWS.instances[1].sent.find((m) => m.action === 'subscribe') as { streams: string[] } | undefined
    FakeWS.instances[1].open()
    FakeWS.instances[1].receive({ type: 'auth_ok' })
    // the old store's quote watchers are not the new one's
    expect(sub()?.streams.some((s) => s.startsWith('quotes:'))).toBe(false)

    first.stop()
    expect(FakeWS.instances[0].closed).toBe(true)
    expect(FakeWS.instances[1].closed).toBe(false)
    second.stop()
    expect(vi.getTimerCount()).toBe(0)
  })
})
