// Live desk state: the WebSocket link, trading status, account, positions, quotes and today's orders
// and trades (merged by the pure reducer in lib/reducer.ts).
import { defineStore } from 'pinia'
import { authApi, itemsOf, tradingApi, marketApi } from '@/api/endpoints'
import type { Account, Order, Position, Quote, StreamMessage, Trade, TradingStatus } from '@/api/types'
import {
  applyStreamMessage,
  initialLiveState,
  mergeOrderSnapshot,
  mergeTradeSnapshot,
  openOrders,
  upsertByCode,
  upsertOrder,
} from '@/lib/reducer'
import { StreamClient, defaultWsUrl, type StreamState } from '@/lib/stream'
import { useAuthStore } from './auth'

export const BASE_STREAMS = ['orders', 'trades', 'account', 'positions', 'status', 'risk', 'signals']
export const SLOW_REFRESH_MS = 15_000

export type LiveNotice =
  | { kind: 'trade'; trade: Trade }
  | { kind: 'order'; order: Order }

let client: StreamClient | null = null
let slowTimer: ReturnType<typeof setInterval> | null = null
let tradeRefreshTimer: ReturnType<typeof setTimeout> | null = null
const quoteWatchers = new Map<string, string[]>()
let noticeHook: ((n: LiveNotice) => void) | null = null
/** client_order_ids sent from this page: their refusals are already shown by the ticket */
const ownClientIds = new Set<string>()

export const useLiveStore = defineStore('live', {
  state: () => ({
    wsState: 'idle' as StreamState,
    /** true once the link was up at least once (so "down" is shown only when it matters) */
    wsEverOpen: false,
    status: null as TradingStatus | null,
    account: null as Account | null,
    positions: [] as Position[],
    positionsLoaded: false,
    quotes: {} as Record<string, Quote>,
    live: initialLiveState(),
    /** counters that pages watch to reload their lists */
    riskTick: 0,
    signalTick: 0,
    lastRisk: null as unknown,
    loadedDay: null as string | null,
  }),
  getters: {
    orders: (s): Order[] => s.live.orders,
    trades: (s): Trade[] => s.live.trades,
    openOrders: (s): Order[] => openOrders(s.live.orders),
    wsOpen: (s) => s.wsState === 'open',
    wsDown: (s) => s.wsState !== 'open' && s.wsState !== 'idle',
    positionByCode: (s) => (code: string) => s.positions.find((p) => p.stock_code === code) ?? null,
  },
  actions: {
    markOwnOrder(clientOrderId: string) {
      ownClientIds.add(clientOrderId)
    },
    setNoticeHook(fn: ((n: LiveNotice) => void) | null) {
      noticeHook = fn
    },
    start() {
      const auth = useAuthStore()
      if (client) return
      client = new StreamClient({
        url: defaultWsUrl,
        getToken: () => auth.token,
        getSinceSeq: () => this.live.lastSeq,
        onMessage: (m) => this.handle(m),
        onStateChange: (s) => {
          const wasDown = this.wsEverOpen && this.wsState !== 'open'
          this.wsState = s
          if (s === 'open') {
            if (wasDown) void this.refreshAll()
            this.wsEverOpen = true
          }
        },
        // A refused token: ask the API who we are; a 401 there ends the session via the request hook.
        onAuthFailed: () => void authApi.me().catch(() => undefined),
      })
      client.start([...BASE_STREAMS, ...quoteStreams()])
      void this.refreshAll()
      void this.loadToday()
      slowTimer = setInterval(() => {
        if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
        void this.refreshAccount()
        void this.refreshPositions()
        if (!this.wsOpen) void this.refreshStatus()
      }, SLOW_REFRESH_MS)
      if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible)
    },
    stop() {
      client?.stop()
      client = null
      if (slowTimer) clearInterval(slowTimer)
      if (tradeRefreshTimer) clearTimeout(tradeRefreshTimer)
      slowTimer = tradeRefreshTimer = null
      quoteWatchers.clear()
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
      this.$reset()
    },
    handle(msg: StreamMessage) {
      const stream = msg.stream
      if (stream === 'orders' || stream === 'trades') {
        const before = this.live
        this.live = applyStreamMessage(this.live, msg)
        if (this.live !== before && msg.data) {
          if (stream === 'trades') {
            noticeHook?.({ kind: 'trade', trade: msg.data as Trade })
            this.scheduleTradeRefresh()
          } else {
            const o = msg.data as Order
            if (!o.client_order_id || !ownClientIds.has(o.client_order_id)) noticeHook?.({ kind: 'order', order: o })
          }
        }
        return
      }
      if (stream.startsWith('quotes')) {
        const list = Array.isArray(msg.data) ? (msg.data as Quote[]) : [msg.data as Quote]
        for (const q of list) if (q && q.stock_code) this.quotes[q.stock_code] = q
        return
      }
      switch (stream) {
        case 'account':
          this.account = { ...(this.account ?? {}), ...(msg.data as Account) }
          break
        case 'positions':
          if (Array.isArray(msg.data)) this.positions = msg.data as Position[]
          else if (msg.data) this.positions = upsertByCode(this.positions, msg.data as Position)
          break
        case 'status':
          this.status = { ...(this.status ?? ({} as TradingStatus)), ...(msg.data as TradingStatus) }
          break
        case 'risk': {
          this.lastRisk = msg.data
          this.riskTick++
          const d = msg.data as { halted?: boolean } | null
          if (d && typeof d.halted === 'boolean' && this.status) this.status = { ...this.status, halted: d.halted }
          break
        }
        case 'signals':
          this.signalTick++
          break
      }
    },
    scheduleTradeRefresh() {
      if (tradeRefreshTimer) return
      tradeRefreshTimer = setTimeout(() => {
        tradeRefreshTimer = null
        void this.refreshAccount()
        void this.refreshPositions()
      }, 800)
    },
    async refreshAll() {
      await Promise.allSettled([this.refreshStatus(), this.refreshAccount(), this.refreshPositions()])
    },
    async refreshStatus() {
      try {
        this.status = await tradingApi.status()
      } catch {
        /* shown by the badge */
      }
    },
    async refreshAccount() {
      try {
        this.account = await tradingApi.account()
      } catch {
        /* keep the last known values */
      }
    },
    async refreshPositions() {
      try {
        this.positions = await tradingApi.positions()
        this.positionsLoaded = true
      } catch {
        /* keep */
      }
    },
    /** Today's orders and trades (the WebSocket keeps them current afterwards). */
    async loadToday() {
      if (!this.status) await this.refreshStatus()
      const day = this.status?.trading_day ?? undefined
      const [orders, trades] = await Promise.allSettled([
        tradingApi.orders({ page: 1, page_size: 200, trading_day: day }),
        tradingApi.trades({ page: 1, page_size: 200, trading_day: day }),
      ])
      if (orders.status === 'fulfilled') this.live = mergeOrderSnapshot(this.live, itemsOf(orders.value))
      if (trades.status === 'fulfilled') this.live = mergeTradeSnapshot(this.live, itemsOf(trades.value))
      this.loadedDay = day ?? null
    },
    /** Put an order we just got from a REST answer into the list at once. */
    mergeOrder(order: Order) {
      this.live = upsertOrder(this.live, order)
    },
    async fetchQuote(code: string) {
      const q = await marketApi.quote(code)
      this.quotes[q.stock_code] = q
      return q
    },
    /** Subscribe `quotes:CODE` for an owner (a page); several owners share the subscriptions. */
    watchQuotes(owner: string, codes: string[]) {
      quoteWatchers.set(owner, [...new Set(codes.filter(Boolean))])
      client?.setStreams('quotes:', quoteStreams())
    },
    unwatchQuotes(owner: string) {
      quoteWatchers.delete(owner)
      client?.setStreams('quotes:', quoteStreams())
    },
  },
})

function quoteStreams(): string[] {
  const codes = new Set<string>()
  for (const list of quoteWatchers.values()) list.forEach((c) => codes.add(c))
  return [...codes].sort().map((c) => `quotes:${c}`)
}

function onVisible() {
  if (document.visibilityState !== 'visible' || !client) return
  if (client.state !== 'open') client.reconnectNow()
  void useLiveStore().refreshAll()
}
