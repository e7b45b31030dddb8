// Live desk state: the WebSocket link, trading status, account, positions, quotes and today's orders
// and trades (merged by the pure reducer in lib/reducer.ts).
//
// "Today" is the server's trading day (`trading_day` of /trading/status or of the status stream).
// When it changes — a paper clock advance, a page left open overnight, a stream item of a newer
// day — the today lists are emptied and reloaded for the new day (`rollDay`). The status is polled
// every SLOW_REFRESH_MS while the page is visible (and on becoming visible), so the roll happens
// even when the stream says nothing about it.
import { defineStore } from 'pinia'
import { authApi, itemsOf, marketApi, riskApi, tradingApi } from '@/api/endpoints'
import type { Account, Order, Position, Quote, RiskStreamEvent, Signal, StreamMessage, Trade, TradingState, TradingStatus } from '@/api/types'
import {
  applyStreamMessage,
  initialLiveState,
  mergeOrderSnapshot,
  mergeTradeSnapshot,
  openOrders,
  upsertByCode,
  upsertOrder,
  withDay,
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
/** the loadToday() in flight, so a second caller for the same day waits for it instead of refetching */
let todayLoad: { day: string | null; promise: Promise<void> } | null = null

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
    lastRisk: null as RiskStreamEvent | null,
    lastSignal: null as Signal | null,
    /** why trading is halted / reduce-only, when the risk stream told us */
    stateReason: '' as string,
  }),
  getters: {
    /** the trading day today's orders and trades belong to */
    loadedDay: (s): string | null => s.live.day,
    /** active | reduce_only | halted */
    tradingState: (s): TradingState => s.status?.trading_state ?? (s.status?.halted ? 'halted' : 'active'),
    halted: (s): boolean => s.status?.trading_state === 'halted' || !!s.status?.halted,
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
      // loadToday() fetches the status (and so the trading day) first
      void this.loadToday()
      void this.refreshAccount()
      void this.refreshPositions()
      slowTimer = setInterval(() => {
        if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
        void this.refreshAccount()
        void this.refreshPositions()
        // also while the stream is up: it does not announce a new trading day
        void this.refreshStatus()
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
      todayLoad = null
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
      this.$reset()
    },
    handle(msg: StreamMessage) {
      const stream = msg.stream
      if (stream === 'orders' || stream === 'trades') {
        // an item of a newer trading day than the lists hold: the day rolled
        const itemDay = (msg.data as { trading_day?: string | null } | null)?.trading_day
        if (itemDay && this.live.day && itemDay > this.live.day) this.rollDay(itemDay)
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
        case 'positions': {
          // the whole list (bare or as {items}), or one position
          const d = msg.data as Position[] | { items?: Position[] } | Position | null
          if (Array.isArray(d)) this.positions = d
          else if (d && Array.isArray((d as { items?: Position[] }).items)) this.positions = (d as { items: Position[] }).items
          else if (d && (d as Position).stock_code) this.positions = upsertByCode(this.positions, d as Position)
          break
        }
        case 'status':
          if (msg.data && typeof msg.data === 'object') this.setStatus({ ...(this.status ?? ({} as TradingStatus)), ...(msg.data as TradingStatus) })
          break
        case 'risk': {
          const d = msg.data as RiskStreamEvent | null
          this.lastRisk = d
          this.riskTick++
          if (d) this.applyRiskEvent(d)
          break
        }
        case 'signals':
          this.lastSignal = (msg.data as Signal) ?? null
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
    /** A halt / resume / reduce-only on the `risk` stream changes the trading state at once. */
    applyRiskEvent(d: RiskStreamEvent) {
      const state: TradingState | undefined =
        d.state === 'active' || d.state === 'reduce_only' || d.state === 'halted'
          ? d.state
          : typeof d.halted === 'boolean'
            ? d.halted
              ? 'halted'
              : 'active'
            : undefined
      if (!state) return
      this.stateReason = state === 'active' ? '' : typeof d.reason === 'string' ? d.reason : ''
      if (this.status) this.status = { ...this.status, trading_state: state, halted: state === 'halted' }
    },
    /** The reason of the current halt / reduce-only: the latest such risk event (after a page load). */
    async loadStateReason() {
      try {
        const page = await riskApi.events({ page: 1, page_size: 20 })
        const ev = itemsOf(page).find((e) => e.kind === 'halt' || e.kind === 'reduce_only' || e.kind === 'resume')
        if (ev && ev.kind !== 'resume' && !this.stateReason) this.stateReason = ev.message ?? ''
      } catch {
        /* the banner shows without a reason */
      }
    },
    /** Take a new status; a different trading day rolls the today lists. */
    setStatus(next: TradingStatus) {
      this.status = next
      if (next.trading_state === 'active' || (next.trading_state === undefined && next.halted === false)) this.stateReason = ''
      const day = next.trading_day
      if (day && this.live.day && day !== this.live.day) this.rollDay(day)
    },
    /** A new trading day: empty today's orders / trades, reload them, and refresh what the day roll changed. */
    rollDay(day: string) {
      if (this.live.day === day) return
      this.live = withDay(this.live, day)
      void this.loadToday(day)
      void this.refreshAccount()
      void this.refreshPositions()
    },
    async refreshAll() {
      // the status first: a new trading day found there rolls the today lists
      await Promise.allSettled([this.refreshStatus(), this.refreshAccount(), this.refreshPositions()])
    },
    async refreshStatus() {
      try {
        this.setStatus(await tradingApi.status())
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
    /**
     * Today's orders and trades (the WebSocket keeps them current afterwards). `day` defaults to the
     * status's trading day (fetched first when unknown). The lists move to that day before the fetch;
     * an answer that arrives after the day moved on again is dropped.
     */
    async loadToday(day?: string | null): Promise<void> {
      if (day === undefined) {
        if (!this.status?.trading_day) await this.refreshStatus()
        day = this.status?.trading_day ?? null
      }
      if (todayLoad && todayLoad.day === day) return todayLoad.promise
      const promise: Promise<void> = this.fetchToday(day).finally(() => {
        if (todayLoad?.promise === promise) todayLoad = null
      })
      todayLoad = { day, promise }
      return promise
    },
    async fetchToday(day: string | null) {
      if (day) this.live = withDay(this.live, day)
      const q = { page: 1, page_size: 200, trading_day: day ?? undefined }
      const [orders, trades] = await Promise.allSettled([tradingApi.orders(q), tradingApi.trades(q)])
      if (day && this.live.day !== day) return // the day rolled meanwhile: that roll reloads
      if (orders.status === 'fulfilled') this.live = mergeOrderSnapshot(this.live, itemsOf(orders.value))
      if (trades.status === 'fulfilled') this.live = mergeTradeSnapshot(this.live, itemsOf(trades.value))
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
