// Several accounts: the current one is kept (localStorage, default fallback), every account-scoped
// call and the WebSocket subscription name it, and a switch empties the live data, subscribes again
// with the new account_id and reloads — dropping what still arrives for the account left behind.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios'
import { configureRequest, http } from '@/api/request'
import { ACCOUNT_KEY, pickAccount, useAccountsStore } from '@/stores/accounts'
import { useLiveStore } from '@/stores/live'
import { useAuthStore } from '@/stores/auth'
import type { AccountInfo } from '@/api/types'
import { StreamClient } from '@/lib/stream'
import { installMock, ok, type Call } from './mockAdapter'
import { accountFigures, frame, order, orderFrame, position, quote, tradingStatus, user } from './helpers'

class FakeWS {
  static instances: FakeWS[] = []
  readyState = 0
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
  }
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  receive(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) })
  }
}
const ws = () => FakeWS.instances[FakeWS.instances.length - 1]
const subscribes = () => ws().sent.filter((m) => m.action === 'subscribe')

const DAY = '2026-11-25'

function acct(id: string, extra: Partial<AccountInfo> = {}): AccountInfo {
  return {
    account_id: id,
    name: id === 'PAPER' ? '模拟账户' : `模拟账户 ${id}`,
    broker: 'paper',
    account_type: 'STOCK',
    enabled: true,
    default: id === 'PAPER',
    state: 'connected',
    connected: true,
    message: '',
    halted: false,
    trading_state: 'active',
    ...extra,
  }
}

/** what the server holds per account */
const server: Record<string, { cash: string; orders: unknown[]; positions: unknown[] }> = {}
let listed: AccountInfo[] = []
let calls: Call[] = []

const accountOf = (c: Call) => (c.params as { account_id?: string } | undefined)?.account_id
const flush = () => new Promise((r) => setTimeout(r, 0))

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
  FakeWS.instances = []
  vi.stubGlobal('WebSocket', FakeWS)
  useAuthStore().setSession('jwt', 3600, user())
  const accounts = useAccountsStore()
  configureRequest({ getToken: () => 'jwt', getTradeToken: () => null, getLocale: () => 'zh-CN', getAccountId: () => accounts.currentId })
  listed = [acct('PAPER'), acct('P2')]
  server.PAPER = { cash: '1000000.00', orders: [order({ order_id: 101, account_id: 'PAPER', trading_day: DAY })], positions: [position({ stock_code: '000001.SZ' })] }
  server.P2 = { cash: '500000.00', orders: [order({ order_id: 201, account_id: 'P2', trading_day: DAY })], positions: [] }
  calls = installMock((c) => {
    const a = server[accountOf(c) ?? 'PAPER']
    if (c.url === '/accounts') return ok(listed)
    if (c.url === '/trading/status') return ok(tradingStatus({ account_id: accountOf(c) ?? 'PAPER', trading_day: DAY }))
    if (c.url === '/trading/account') return ok(accountFigures({ account_id: accountOf(c) ?? 'PAPER', cash: a.cash, total_asset: a.cash }))
    if (c.url === '/trading/positions') return ok(a.positions)
    if (c.url === '/trading/orders') return ok({ items: a.orders, total: a.orders.length, page: 1, page_size: 200 })
    if (c.url === '/trading/trades') return ok({ items: [], total: 0, page: 1, page_size: 200 })
    return ok({})
  })
})

afterEach(() => {
  useLiveStore().stop()
  vi.unstubAllGlobals()
})

/** accounts listed, live store started, WebSocket authenticated, first loads done */
async function started() {
  const accounts = useAccountsStore()
  const live = useLiveStore()
  await accounts.load()
  live.start()
  ws().open()
  ws().receive({ type: 'auth_ok' })
  await vi.waitFor(() => expect(live.orders).toHaveLength(1))
  await vi.waitFor(() => expect(live.account?.cash).toBeDefined())
  return { accounts, live }
}

describe('accounts store', () => {
  it('starts on the default account and keeps the choice in localStorage', async () => {
    const accounts = useAccountsStore()
    await accounts.load()
    expect(accounts.currentId).toBe('PAPER')
    expect(localStorage.getItem(ACCOUNT_KEY)).toBe('PAPER')
    expect(accounts.current?.name).toBe('模拟账户')
    expect(accounts.label('P2')).toBe('模拟账户 P2（P2）')
    accounts.select('P2')
    expect(localStorage.getItem(ACCOUNT_KEY)).toBe('P2')
    // a reload keeps it
    setActivePinia(createPinia())
    expect(useAccountsStore().currentId).toBe('P2')
  })

  it('falls back to the default when the stored account is no longer listed', async () => {
    localStorage.setItem(ACCOUNT_KEY, 'GONE')
    setActivePinia(createPinia()) // a page load with that choice stored
    const accounts = useAccountsStore()
    expect(accounts.currentId).toBe('GONE')
    await accounts.load()
    expect(accounts.currentId).toBe('PAPER')
    expect(localStorage.getItem(ACCOUNT_KEY)).toBe('PAPER')
    expect(pickAccount([acct('B'), acct('A', { default: true })], null)).toBe('A')
    expect(pickAccount([acct('B')], 'X')).toBe('B')
    expect(pickAccount([], 'X')).toBeNull()
  })
})

describe('live store: switching accounts', () => {
  it('subscribes the WebSocket and loads with the current account_id', async () => {
    await started()
    expect(subscribes()[0]).toMatchObject({ action: 'subscribe', account_id: 'PAPER' })
    expect(subscribes()[0].streams).toEqual(expect.arrayContaining(['orders', 'trades', 'account', 'positions', 'status', 'risk', 'signals']))
    const scoped = calls.filter((c) => c.url.startsWith('/trading/'))
    expect(scoped.length).toBeGreaterThanOrEqual(5)
    expect(scoped.every((c) => accountOf(c) === 'PAPER')).toBe(true)
    // a later quote subscription names the account too (one without it would move the link to the default)
    useLiveStore().watchQuotes('page', ['600000.SH'])
    expect(subscribes()[1]).toEqual({ action: 'subscribe', streams: ['quotes:600000.SH'], account_id: 'PAPER' })
  })

  it('on a switch: clears the account data, resubscribes with the new account_id and reloads account, positions, orders, trades', async () => {
    const { accounts, live } = await started()
    live.handle(frame('quotes:600000.SH', quote({ stock_code: '600000.SH', last_price: '11.50' })))
    expect(live.positions).toHaveLength(1)
    calls.length = 0

    accounts.select('P2')
    // at once: nothing of PAPER is shown any more (quotes are every account's and stay)
    expect(live.account).toBeNull()
    expect(live.positions).toEqual([])
    expect(live.orders).toEqual([])
    expect(live.status).toBeNull()
    expect(live.quotes['600000.SH']).toBeDefined()
    expect(subscribes().at(-1)).toMatchObject({ action: 'subscribe', account_id: 'P2' })
    expect(subscribes().at(-1)?.since_seq).toBeUndefined()

    await vi.waitFor(() => expect(live.orders.map((o) => o.order_id)).toEqual([201]))
    await vi.waitFor(() => expect(live.account?.cash).toBe('500000.00'))
    expect(live.status?.account_id).toBe('P2')
    expect(live.positionsLoaded).toBe(true)
    const urls = calls.map((c) => `${c.url} ${accountOf(c)}`)
    expect(urls).toEqual(
      expect.arrayContaining(['/trading/status P2', '/trading/account P2', '/trading/positions P2', '/trading/orders P2', '/trading/trades P2']),
    )
    expect(calls.every((c) => accountOf(c) === 'P2')).toBe(true)
  })

  it("drops the old account's stream items until the server acknowledges the new account", async () => {
    const { accounts, live } = await started()
    accounts.select('P2')
    await vi.waitFor(() => expect(live.orders.map((o) => o.order_id)).toEqual([201]))
    // still under way from before the switch: ignored
    live.handle(orderFrame(40, order({ order_id: 102, account_id: 'PAPER', trading_day: DAY })))
    live.handle(frame('account', accountFigures({ account_id: 'PAPER', cash: '1.00' })))
    live.handle(frame('positions', { items: [position({ stock_code: '000001.SZ' })] }))
    expect(live.orders.map((o) => o.order_id)).toEqual([201])
    expect(live.account?.cash).toBe('500000.00')
    expect(live.positions).toEqual([])
    // quotes are every account's
    live.handle(frame('quotes:600000.SH', quote({ stock_code: '600000.SH', last_price: '11.60' })))
    expect(live.quotes['600000.SH'].last_price).toBe('11.60')

    ws().receive({ type: 'subscribed', account_id: 'P2', streams: [], replayed: 0, unknown: [] })
    live.handle(orderFrame(41, order({ order_id: 202, account_id: 'P2', trading_day: DAY })))
    expect(live.orders.map((o) => o.order_id).sort()).toEqual([201, 202])
    // an item naming another account never gets in
    live.handle(orderFrame(42, order({ order_id: 103, account_id: 'PAPER', trading_day: DAY })))
    expect(live.orders.map((o) => o.order_id)).not.toContain(103)
  })

  it('drops an HTTP answer for the account left behind', async () => {
    const { accounts, live } = await started()
    const inner = http.defaults.adapter as AxiosAdapter
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    http.defaults.adapter = async (config: InternalAxiosRequestConfig) => {
      if ((config.params as { account_id?: string } | undefined)?.account_id === 'PAPER') await gate
      return inner(config)
    }
    const stale = live.refreshAccount() // PAPER's answer, held back
    accounts.select('P2')
    await vi.waitFor(() => expect(live.account?.cash).toBe('500000.00'))
    release()
    await stale
    expect(live.account?.cash).toBe('500000.00')
  })

  it('a switch while the link is down subscribes for the new account on reconnect', async () => {
    const { accounts, live } = await started()
    ws().readyState = 3
    ws().onclose?.({ code: 1006 })
    expect(live.wsState).toBe('closed')
    accounts.select('P2')
    await vi.waitFor(() => expect(live.account?.cash).toBe('500000.00'))
    // the reconnect (backoff ~1 s)
    await vi.waitFor(() => expect(FakeWS.instances.length).toBe(2), { timeout: 3000 })
    ws().open()
    ws().receive({ type: 'auth_ok' })
    expect(subscribes()[0]).toMatchObject({ action: 'subscribe', account_id: 'P2' })
    // a fresh connection is the new account's from the start: its items are taken
    live.handle(orderFrame(50, order({ order_id: 203, account_id: 'P2', trading_day: DAY })))
    expect(live.orders.map((o) => o.order_id)).toContain(203)
    await flush()
  })

  it('the StreamClient names no account when none is given (single-account desks)', () => {
    const c = new StreamClient({ url: 'ws://x', getToken: () => 'jwt', getSinceSeq: () => 0, onMessage: () => undefined, WebSocketImpl: FakeWS as unknown as typeof WebSocket })
    c.start(['orders'])
    ws().open()
    ws().receive({ type: 'auth_ok' })
    expect(ws().sent[1]).toEqual({ action: 'subscribe', streams: ['orders'] })
    c.resubscribe()
    expect(ws().sent[2]).toEqual({ action: 'subscribe', streams: ['orders'] })
    c.stop()
  })
})
