// Live desk state: the WebSocket link, trading status, account, positions, quotes, today's orders
// and trades (merged by the pure reducer in lib/reducer.ts), and the live held orders (条件单) and
// algo orders (TWAP, iceberg): loaded with `?state=live`, kept current by the `conditional_orders`
// and `algo_orders` streams (one that goes final while shown stays in the list until the next load).
//
// "Today" is the server's trading day (`trading_day` of /trading/status or of the status stream).
// When it changes — a paper clock advance, a page left open overnight, a stream item of a newer
// day — the today lists are emptied and reloaded for the new day (`rollDay`). The status is polled
// every SLOW_REFRESH_MS while the page is visible (and on becoming visible), so the roll happens
// even when the stream says nothing about it.
//
// All of it is one account's: the current one of the accounts store. `switchAccount()` empties the
// account data, subscribes the WebSocket again with the new account_id and reloads status, account,
// positions and today's orders and trades. Answers and stream items still under way for the account
// left behind are dropped (an epoch counter for HTTP answers; for the stream, everything but quotes
// until the server's `subscribed` ack names the new account).
import { defineStore } from 'pinia'
import { algoApi, authApi, heldApi, itemsOf, marketApi, riskApi, tradingApi } from '@/api/endpoints'
import type {
  Account,
  AlgoOrder,
  HeldOrder,
  Order,
  Position,
  Quote,
  RiskStreamEvent,
  Signal,
  StreamMessage,
  Trade,
  TradingState,
  TradingStatus,
} from '@/api/types'
import { isHeldLive, mergeLiveSnapshot, upsertNewer } from '@/lib/heldOrders'
import { isAlgoLive } from '@/lib/algoOrders'
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
import { useAccountsStore } from './accounts'

export const BASE_STREAMS = ['orders', 'trades', 'account', 'positions', 'status', 'risk', 'signals', 'conditional_orders', 'algo_orders']
/** streams whose items name their account: an item of another account is dropped */
const ACCOUNT_ITEM_STREAMS = new Set(['orders', 'trades', 'account', 'conditional_orders', 'algo_orders'])
export const SLOW_REFRESH_MS = 15_000

export type LiveNotice =
  | { kind: 'trade'; trade: Trade }
  | { kind: 'order'; order: Order }
  /** a held order fired or failed, an algo order ended, while the page watched it */
  | { kind: 'held'; held: HeldOrder }
  | { kind: 'algo'; algo: AlgoOrder }

let client: StreamClient | null = null
let slowTimer: ReturnType<typeof setInterval> | null = null
let tradeRefreshTimer: ReturnType<typeof setTimeout> | null = null
const quoteWatchers = new Map<string, string[]>()
let noticeHook: ((n: LiveNotice) => void) | null = null
/** client_order_ids sent from this page: their refusals are already shown by the ticket */
const ownClientIds = new Set<string>()
/** the loadToday() in flight, so a second caller for the same day waits for it instead of refetching */
let todayLoad: { day: string | null; promise: Promise<void> } | null = null
/** bumped by an account switch (and stop): an HTTP answer of an older epoch is for another account */
let epoch = 0
/** the account a re-subscribe asked for, until the server's ack names it (stream items meanwhile are dropped) */
let pendingAccount: string | null = null

function currentAccountId(): string | null {
  return useAccountsStore().currentId
}

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
    /** held orders: the live ones, plus those that went final while shown */
    held: [] as HeldOrder[],
    heldLoaded: false,
    /** algo orders: the running ones, plus those that finished while shown */
    algos: [] as AlgoOrder[],
    algosLoaded: false,
    /** bumped on every held / algo order change (pages listing all of them reload on it) */
    heldTick: 0,
    algoTick: 0,
    /** when `status.server_time` arrived (Date.now()): the desk's clock is that plus the time since */
    statusAt: 0,
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
    liveHeld: (s): HeldOrder[] => s.held.filter(isHeldLive),
    liveAlgos: (s): AlgoOrder[] => s.algos.filter(isAlgoLive),
    wsOpen: (s) => s.wsState === 'open',
    wsDown: (s) => s.wsState !== 'open' && s.wsState !== 'idle',
    positionByCode: (s) => (code: string) => s.positions.find((p) => p.stock_code === code) ?? null,
    /** the account all of this is for (null: the desk's default) */
    accountId: (): string | null => currentAccountId(),
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
        getAccountId: currentAccountId,
        onMessage: (m) => this.handle(m),
        onControl: (m) => this.handleControl(m),
        onStateChange: (s) => {
          const wasDown = this.wsEverOpen && this.wsState !== 'open'
          this.wsState = s
          if (s === 'open') {
            // a fresh connection subscribes for the current account from the start
            pendingAccount = null
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
      void this.loadHeld()
      void this.loadAlgos()
      slowTimer = setInterval(() => {
        if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
        void this.refreshAccount()
        void this.refreshPositions()
        // also while the stream is up: it does not announce a new trading day
        void this.refreshStatus()
        // the stream sends a held order when its state changes; its mark, distance and why it has
        // not fired move in between
        if (this.held.some(isHeldLive)) void this.loadHeld()
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
      pendingAccount = null
      epoch++
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
      this.$reset()
    },
    /**
     * The account changed (accounts store): forget the old account's data, move the WebSocket
     * subscription to the new one and reload. Quotes are every account's and stay.
     */
    async switchAccount(): Promise<void> {
      epoch++
      todayLoad = null
      if (tradeRefreshTimer) clearTimeout(tradeRefreshTimer)
      tradeRefreshTimer = null
      this.status = null
      this.account = null
      this.positions = []
      this.positionsLoaded = false
      this.live = initialLiveState()
      this.held = []
      this.heldLoaded = false
      this.algos = []
      this.algosLoaded = false
      this.heldTick++
      this.algoTick++
      this.lastRisk = null
      this.lastSignal = null
      this.stateReason = ''
      // pages that watch these reload their lists
      this.riskTick++
      this.signalTick++
      // not started yet: start() subscribes and loads for the current account
      if (!client) return
      pendingAccount = client.state === 'open' ? currentAccountId() : null
      client.resubscribe()
      // loadToday() fetches the status (and so the trading day) first
      await Promise.allSettled([this.loadToday(), this.refreshAccount(), this.refreshPositions(), this.loadHeld(), this.loadAlgos()])
    },
    /** `subscribed` acks and errors of the WebSocket. */
    handleControl(msg: Record<string, unknown>) {
      if (msg.type === 'subscribed') {
        if (pendingAccount !== null && msg.account_id === pendingAccount) pendingAccount = null
      } else if (msg.type === 'error' && msg.error === 'ACCOUNT_NOT_FOUND') {
        // the account is gone (removed, or no longer this user's): the list falls back to the default
        void useAccountsStore()
          .load()
          .catch(() => undefined)
      }
    },
    handle(msg: StreamMessage) {
      const stream = msg.stream
      // until the server confirmed the switch, account streams may still carry the old account's items
      if (pendingAccount !== null && !stream.startsWith('quotes')) return
      const itemAccount = (msg.data as { account_id?: unknown } | null)?.account_id
      const current = currentAccountId()
      if (current && typeof itemAccount === 'string' && itemAccount !== current && ACCOUNT_ITEM_STREAMS.has(stream)) return
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
            // a held order's or an algo child's refusal is told by the held / algo notice
            const cid = o.client_order_id ?? ''
            if (!ownClientIds.has(cid) && !/^(held|algo)-/.test(cid)) noticeHook?.({ kind: 'order', order: o })
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
        case 'conditional_orders': {
          const h = msg.data as HeldOrder | null
          if (!h || typeof h.id !== 'number') break
          const before = this.held.find((x) => x.id === h.id)
          this.mergeHeld(h)
          if (before && isHeldLive(before) && (h.state === 'fired' || h.state === 'failed')) noticeHook?.({ kind: 'held', held: h })
          break
        }
        case 'algo_orders': {
          const a = msg.data as AlgoOrder | null
          if (!a || typeof a.id !== 'number') break
          const before = this.algos.find((x) => x.id === a.id)
          this.mergeAlgo(a)
          if (before && isAlgoLive(before) && !isAlgoLive(a) && a.state !== 'canceled') noticeHook?.({ kind: 'algo', algo: a })
          break
        }
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
      const e = epoch
      try {
        const page = await riskApi.events({ page: 1, page_size: 20 })
        if (e !== epoch) return
        const ev = itemsOf(page).find((e) => e.kind === 'halt' || e.kind === 'reduce_only' || e.kind === 'resume')
        if (ev && ev.kind !== 'resume' && !this.stateReason) this.stateReason = ev.message ?? ''
      } catch {
        /* the banner shows without a reason */
      }
    },
    /** Take a new status; a different trading day rolls the today lists. */
    setStatus(next: TradingStatus) {
      if (next.server_time && next.server_time !== this.status?.server_time) this.statusAt = Date.now()
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
      // the close expired what was good for the day
      void this.loadHeld()
      void this.loadAlgos()
    },
    async refreshAll() {
      // the status first: a new trading day found there rolls the today lists
      await Promise.allSettled([this.refreshStatus(), this.refreshAccount(), this.refreshPositions(), this.loadHeld(), this.loadAlgos()])
    },
    /** The live held orders (GET /trading/conditional-orders?state=live); the stream keeps them current. */
    async loadHeld() {
      const e = epoch
      try {
        const page = await heldApi.list({ state: 'live', page: 1, page_size: 200 })
        if (e !== epoch) return
        this.held = mergeLiveSnapshot(this.held, itemsOf(page), isHeldLive)
        this.heldLoaded = true
        this.heldTick++
      } catch {
        /* keep what is shown */
      }
    },
    /** The running algo orders (GET /trading/algo-orders?state=live); the stream keeps them current. */
    async loadAlgos() {
      const e = epoch
      try {
        const page = await algoApi.list({ state: 'live', page: 1, page_size: 200 })
        if (e !== epoch) return
        this.algos = mergeLiveSnapshot(this.algos, itemsOf(page), isAlgoLive)
        this.algosLoaded = true
        this.algoTick++
      } catch {
        /* keep what is shown */
      }
    },
    /** A held order from the stream or a REST answer. */
    mergeHeld(h: HeldOrder) {
      this.held = upsertNewer(this.held, h)
      this.heldTick++
    },
    /** An algo order from the stream or a REST answer. */
    mergeAlgo(a: AlgoOrder) {
      this.algos = upsertNewer(this.algos, a)
      this.algoTick++
    },
    async refreshStatus() {
      const e = epoch
      try {
        const status = await tradingApi.status()
        if (e === epoch) this.setStatus(status)
      } catch {
        /* shown by the badge */
      }
    },
    async refreshAccount() {
      const e = epoch
      try {
        const account = await tradingApi.account()
        if (e === epoch) this.account = account
      } catch {
        /* keep the last known values */
      }
    },
    async refreshPositions() {
      const e = epoch
      try {
        const positions = await tradingApi.positions()
        if (e !== epoch) return
        this.positions = positions
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
      const e = epoch
      if (day) this.live = withDay(this.live, day)
      const q = { page: 1, page_size: 200, trading_day: day ?? undefined }
      const [orders, trades] = await Promise.allSettled([tradingApi.orders(q), tradingApi.trades(q)])
      if (e !== epoch) return // another account meanwhile: its own load fills the lists
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
