// Live desk state: the WebSocket link, trading status, account, positions, quotes, today's orders
// and trades (merged by the pure reducer in lib/reducer.ts), and the live held orders (条件单) and
// algo orders (TWAP, iceberg): loaded with `?state=live`, kept current by the `conditional_orders`
// and `algo_orders` streams (one that goes final while shown stays in the list until the next load).
//
// "Today" is the server's trading day (`trading_day` of /trading/status; the `status` stream only
// tells the broker link's changes). When it changes — a paper clock advance, a page left open
// overnight, a stream item of a newer day — the today lists are emptied and reloaded for the new day
// (`rollDay`). The status is polled every SLOW_REFRESH_MS while the page is visible (and on becoming
// visible), so the roll happens even when the stream says nothing about it.
//
// All of it is one account's: the current one of the accounts store. `switchAccount()` empties the
// account data, subscribes the WebSocket again with the new account_id and reloads status, account,
// positions and today's orders and trades. Answers and stream items still under way for the account
// left behind are dropped (an epoch counter for HTTP answers; for the stream, everything but quotes
// until the server's `subscribed` ack names the new account).
//
// The store owns everything that runs on its behalf — the stream client, the slow-refresh interval,
// the debounced trade refresh, the visibility listener — inside its own closure: `start()` creates
// them (once: a second call is a no-op), `stop()` clears every timer, closes the stream and empties
// the state, so a logout / login or a new pinia never leaves a second stream or timer running.
import { computed, ref } from 'vue'
import { defineStore } from 'pinia'
import { algoApi, authApi, heldApi, itemsOf, marketApi, riskApi, tradingApi } from '@/api/endpoints'
import type {
  Account,
  AlgoOrder,
  HeldOrder,
  Order,
  Position,
  Quote,
  QuoteFrame,
  RiskStreamEvent,
  SignalStreamItem,
  StreamMessage,
  Trade,
  TradingState,
  TradingStateEvent,
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

function isQuoteFrame(m: StreamMessage): m is QuoteFrame {
  return m.stream.startsWith('quotes:')
}

function currentAccountId(): string | null {
  return useAccountsStore().currentId
}

export const useLiveStore = defineStore('live', () => {
  // ---------------------------------------------------------------- state
  const wsState = ref<StreamState>('idle')
  /** true once the link was up at least once (so "down" is shown only when it matters) */
  const wsEverOpen = ref(false)
  const status = ref<TradingStatus | null>(null)
  const account = ref<Account | null>(null)
  const positions = ref<Position[]>([])
  const positionsLoaded = ref(false)
  const quotes = ref<Record<string, Quote>>({})
  const live = ref(initialLiveState())
  /** held orders: the live ones, plus those that went final while shown */
  const held = ref<HeldOrder[]>([])
  const heldLoaded = ref(false)
  /** algo orders: the running ones, plus those that finished while shown */
  const algos = ref<AlgoOrder[]>([])
  const algosLoaded = ref(false)
  /** bumped on every held / algo order change (pages listing all of them reload on it) */
  const heldTick = ref(0)
  const algoTick = ref(0)
  /** when `status.server_time` arrived (Date.now()): the desk's clock is that plus the time since */
  const statusAt = ref(0)
  /** counters that pages watch to reload their lists */
  const riskTick = ref(0)
  const signalTick = ref(0)
  const lastRisk = ref<RiskStreamEvent | null>(null)
  const lastSignal = ref<SignalStreamItem | null>(null)
  /** why trading is halted / reduce-only, when the risk stream told us */
  const stateReason = ref('')

  // ---------------------------------------------------------------- what the store owns (not state)
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

  // ---------------------------------------------------------------- getters
  /** the trading day today's orders and trades belong to */
  const loadedDay = computed((): string | null => live.value.day)
  /** active | reduce_only | halted */
  const tradingState = computed((): TradingState => status.value?.trading_state ?? (status.value?.halted ? 'halted' : 'active'))
  const halted = computed((): boolean => status.value?.trading_state === 'halted' || !!status.value?.halted)
  const orders = computed((): Order[] => live.value.orders)
  const trades = computed((): Trade[] => live.value.trades)
  const openOrdersList = computed((): Order[] => openOrders(live.value.orders))
  const liveHeld = computed((): HeldOrder[] => held.value.filter(isHeldLive))
  const liveAlgos = computed((): AlgoOrder[] => algos.value.filter(isAlgoLive))
  const wsOpen = computed(() => wsState.value === 'open')
  const wsDown = computed(() => wsState.value !== 'open' && wsState.value !== 'idle')
  const positionByCode = computed(() => (code: string) => positions.value.find((p) => p.stock_code === code) ?? null)
  /** the account all of this is for (null: the desk's default) */
  const accountId = computed((): string | null => currentAccountId())

  /** Empty every piece of state (what a fresh store holds). */
  function resetState() {
    wsState.value = 'idle'
    wsEverOpen.value = false
    status.value = null
    account.value = null
    positions.value = []
    positionsLoaded.value = false
    quotes.value = {}
    live.value = initialLiveState()
    held.value = []
    heldLoaded.value = false
    algos.value = []
    algosLoaded.value = false
    heldTick.value = 0
    algoTick.value = 0
    statusAt.value = 0
    riskTick.value = 0
    signalTick.value = 0
    lastRisk.value = null
    lastSignal.value = null
    stateReason.value = ''
  }

  function quoteStreams(): string[] {
    const codes = new Set<string>()
    for (const list of quoteWatchers.values()) list.forEach((c) => codes.add(c))
    return [...codes].sort().map((c) => `quotes:${c}`)
  }

  function onVisible() {
    if (document.visibilityState !== 'visible' || !client) return
    if (client.state !== 'open') client.reconnectNow()
    void refreshAll()
  }

  function clearTradeRefresh() {
    if (tradeRefreshTimer) clearTimeout(tradeRefreshTimer)
    tradeRefreshTimer = null
  }

  // ---------------------------------------------------------------- actions
  function markOwnOrder(clientOrderId: string) {
    ownClientIds.add(clientOrderId)
  }

  function setNoticeHook(fn: ((n: LiveNotice) => void) | null) {
    noticeHook = fn
  }

  function start() {
    const auth = useAuthStore()
    if (client) return
    client = new StreamClient({
      url: defaultWsUrl,
      getToken: () => auth.token,
      getSinceSeq: () => live.value.lastSeq,
      getAccountId: currentAccountId,
      onMessage: (m) => handle(m),
      onControl: (m) => handleControl(m),
      onStateChange: (s) => {
        const wasDown = wsEverOpen.value && wsState.value !== 'open'
        wsState.value = s
        if (s === 'open') {
          // a fresh connection subscribes for the current account from the start
          pendingAccount = null
          if (wasDown) void refreshAll()
          wsEverOpen.value = true
        }
      },
      // A refused token: ask the API who we are; a 401 there ends the session via the request hook.
      onAuthFailed: () => void authApi.me().catch(() => undefined),
    })
    client.start([...BASE_STREAMS, ...quoteStreams()])
    // loadToday() fetches the status (and so the trading day) first
    void loadToday()
    void refreshAccount()
    void refreshPositions()
    void loadHeld()
    void loadAlgos()
    slowTimer = setInterval(() => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return
      void refreshAccount()
      void refreshPositions()
      // also while the stream is up: it does not announce a new trading day
      void refreshStatus()
      // the stream sends a held order when its state changes; its mark, distance and why it has
      // not fired move in between
      if (held.value.some(isHeldLive)) void loadHeld()
    }, SLOW_REFRESH_MS)
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible)
  }

  /** Tear down everything start() created and empty the state; safe to call when not started. */
  function stop() {
    const c = client
    client = null
    c?.stop()
    if (slowTimer) clearInterval(slowTimer)
    slowTimer = null
    clearTradeRefresh()
    quoteWatchers.clear()
    ownClientIds.clear()
    todayLoad = null
    pendingAccount = null
    epoch++
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
    resetState()
  }

  /**
   * The account changed (accounts store): forget the old account's data, move the WebSocket
   * subscription to the new one and reload. Quotes are every account's and stay.
   */
  async function switchAccount(): Promise<void> {
    epoch++
    todayLoad = null
    clearTradeRefresh()
    status.value = null
    account.value = null
    positions.value = []
    positionsLoaded.value = false
    live.value = initialLiveState()
    held.value = []
    heldLoaded.value = false
    algos.value = []
    algosLoaded.value = false
    heldTick.value++
    algoTick.value++
    lastRisk.value = null
    lastSignal.value = null
    stateReason.value = ''
    // pages that watch these reload their lists
    riskTick.value++
    signalTick.value++
    // not started yet: start() subscribes and loads for the current account
    if (!client) return
    pendingAccount = client.state === 'open' ? currentAccountId() : null
    client.resubscribe()
    // loadToday() fetches the status (and so the trading day) first
    await Promise.allSettled([loadToday(), refreshAccount(), refreshPositions(), loadHeld(), loadAlgos()])
  }

  /** `subscribed` acks and errors of the WebSocket. */
  function handleControl(msg: Record<string, unknown>) {
    if (msg.type === 'subscribed') {
      if (pendingAccount !== null && msg.account_id === pendingAccount) pendingAccount = null
    } else if (msg.type === 'error' && msg.error === 'ACCOUNT_NOT_FOUND') {
      // the account is gone (removed, or no longer this user's): the list falls back to the default
      void useAccountsStore()
        .load()
        .catch(() => undefined)
    }
  }

  function handle(msg: StreamMessage) {
    // until the server confirmed the switch, account streams may still carry the old account's items
    if (isQuoteFrame(msg)) {
      quotes.value[msg.data.stock_code] = msg.data
      return
    }
    if (pendingAccount !== null) return
    const itemAccount = 'account_id' in msg.data ? msg.data.account_id : null
    const current = currentAccountId()
    if (current && typeof itemAccount === 'string' && itemAccount !== current && ACCOUNT_ITEM_STREAMS.has(msg.stream)) return
    switch (msg.stream) {
      case 'orders':
      case 'trades': {
        // an item of a newer trading day than the lists hold: the day rolled
        const itemDay = msg.data.trading_day
        if (itemDay && live.value.day && itemDay > live.value.day) rollDay(itemDay)
        const before = live.value
        live.value = applyStreamMessage(live.value, msg)
        if (live.value === before) break
        if (msg.stream === 'trades') {
          noticeHook?.({ kind: 'trade', trade: msg.data })
          scheduleTradeRefresh()
        } else {
          // a held order's or an algo child's refusal is told by the held / algo notice
          const cid = msg.data.client_order_id ?? ''
          if (!ownClientIds.has(cid) && !/^(held|algo)-/.test(cid)) noticeHook?.({ kind: 'order', order: msg.data })
        }
        break
      }
      case 'account':
        account.value = msg.data
        break
      case 'positions':
        positions.value = msg.data.items
        break
      case 'status':
        // the broker link changed; the rest of the status comes from GET /trading/status
        if (status.value) setStatus({ ...status.value, ...msg.data })
        break
      case 'risk':
        lastRisk.value = msg.data
        riskTick.value++
        if ('state' in msg.data) applyRiskEvent(msg.data)
        break
      case 'signals':
        lastSignal.value = msg.data
        signalTick.value++
        break
      case 'conditional_orders': {
        const h = msg.data
        const before = held.value.find((x) => x.id === h.id)
        mergeHeld(h)
        if (before && isHeldLive(before) && (h.state === 'fired' || h.state === 'failed')) noticeHook?.({ kind: 'held', held: h })
        break
      }
      case 'algo_orders': {
        const a = msg.data
        const before = algos.value.find((x) => x.id === a.id)
        mergeAlgo(a)
        if (before && isAlgoLive(before) && !isAlgoLive(a) && a.state !== 'canceled') noticeHook?.({ kind: 'algo', algo: a })
        break
      }
    }
  }

  function scheduleTradeRefresh() {
    if (tradeRefreshTimer) return
    tradeRefreshTimer = setTimeout(() => {
      tradeRefreshTimer = null
      void refreshAccount()
      void refreshPositions()
    }, 800)
  }

  /** A trading state change: a `risk` stream event, or the answer of a halt / resume / reduce-only. */
  function applyRiskEvent(d: Pick<TradingStateEvent, 'state' | 'reason'>) {
    stateReason.value = d.state === 'active' ? '' : d.reason
    if (status.value) status.value = { ...status.value, trading_state: d.state, halted: d.state === 'halted' }
  }

  /** The reason of the current halt / reduce-only: the latest such risk event (after a page load). */
  async function loadStateReason() {
    const e = epoch
    try {
      const page = await riskApi.events({ page: 1, page_size: 20 })
      if (e !== epoch) return
      const ev = itemsOf(page).find((e) => e.kind === 'halt' || e.kind === 'reduce_only' || e.kind === 'resume')
      if (ev && ev.kind !== 'resume' && !stateReason.value) stateReason.value = ev.message ?? ''
    } catch {
      /* the banner shows without a reason */
    }
  }

  /** Take a new status; a different trading day rolls the today lists. */
  function setStatus(next: TradingStatus) {
    if (next.server_time && next.server_time !== status.value?.server_time) statusAt.value = Date.now()
    status.value = next
    if (next.trading_state === 'active') stateReason.value = ''
    const day = next.trading_day
    if (day && live.value.day && day !== live.value.day) rollDay(day)
  }

  /** A new trading day: empty today's orders / trades, reload them, and refresh what the day roll changed. */
  function rollDay(day: string) {
    if (live.value.day === day) return
    live.value = withDay(live.value, day)
    void loadToday(day)
    void refreshAccount()
    void refreshPositions()
    // the close expired what was good for the day
    void loadHeld()
    void loadAlgos()
  }

  async function refreshAll() {
    // the status first: a new trading day found there rolls the today lists
    await Promise.allSettled([refreshStatus(), refreshAccount(), refreshPositions(), loadHeld(), loadAlgos()])
  }

  /** The live held orders (GET /trading/conditional-orders?state=live); the stream keeps them current. */
  async function loadHeld() {
    const e = epoch
    try {
      const page = await heldApi.list({ state: 'live', page: 1, page_size: 200 })
      if (e !== epoch) return
      held.value = mergeLiveSnapshot(held.value, itemsOf(page), isHeldLive)
      heldLoaded.value = true
      heldTick.value++
    } catch {
      /* keep what is shown */
    }
  }

  /** The running algo orders (GET /trading/algo-orders?state=live); the stream keeps them current. */
  async function loadAlgos() {
    const e = epoch
    try {
      const page = await algoApi.list({ state: 'live', page: 1, page_size: 200 })
      if (e !== epoch) return
      algos.value = mergeLiveSnapshot(algos.value, itemsOf(page), isAlgoLive)
      algosLoaded.value = true
      algoTick.value++
    } catch {
      /* keep what is shown */
    }
  }

  /** A held order from the stream or a REST answer. */
  function mergeHeld(h: HeldOrder) {
    held.value = upsertNewer(held.value, h)
    heldTick.value++
  }

  /** An algo order from the stream or a REST answer. */
  function mergeAlgo(a: AlgoOrder) {
    algos.value = upsertNewer(algos.value, a)
    algoTick.value++
  }

  async function refreshStatus() {
    const e = epoch
    try {
      const next = await tradingApi.status()
      if (e === epoch) setStatus(next)
    } catch {
      /* shown by the badge */
    }
  }

  async function refreshAccount() {
    const e = epoch
    try {
      const next = await tradingApi.account()
      if (e === epoch) account.value = next
    } catch {
      /* keep the last known values */
    }
  }

  async function refreshPositions() {
    const e = epoch
    try {
      const next = await tradingApi.positions()
      if (e !== epoch) return
      positions.value = next
      positionsLoaded.value = true
    } catch {
      /* keep */
    }
  }

  /**
   * Today's orders and trades (the WebSocket keeps them current afterwards). `day` defaults to the
   * status's trading day (fetched first when unknown). The lists move to that day before the fetch;
   * an answer that arrives after the day moved on again is dropped.
   */
  async function loadToday(day?: string | null): Promise<void> {
    if (day === undefined) {
      if (!status.value?.trading_day) await refreshStatus()
      day = status.value?.trading_day ?? null
    }
    if (todayLoad && todayLoad.day === day) return todayLoad.promise
    const promise: Promise<void> = fetchToday(day).finally(() => {
      if (todayLoad?.promise === promise) todayLoad = null
    })
    todayLoad = { day, promise }
    return promise
  }

  async function fetchToday(day: string | null) {
    const e = epoch
    if (day) live.value = withDay(live.value, day)
    const q = { page: 1, page_size: 200, trading_day: day ?? undefined }
    const [o, t] = await Promise.allSettled([tradingApi.orders(q), tradingApi.trades(q)])
    if (e !== epoch) return // another account meanwhile: its own load fills the lists
    if (day && live.value.day !== day) return // the day rolled meanwhile: that roll reloads
    if (o.status === 'fulfilled') live.value = mergeOrderSnapshot(live.value, itemsOf(o.value))
    if (t.status === 'fulfilled') live.value = mergeTradeSnapshot(live.value, itemsOf(t.value))
  }

  /** Put an order we just got from a REST answer into the list at once. */
  function mergeOrder(order: Order) {
    live.value = upsertOrder(live.value, order)
  }

  async function fetchQuote(code: string) {
    const q = await marketApi.quote(code)
    quotes.value[q.stock_code] = q
    return q
  }

  /** Subscribe `quotes:CODE` for an owner (a page); several owners share the subscriptions. */
  function watchQuotes(owner: string, codes: string[]) {
    quoteWatchers.set(owner, [...new Set(codes.filter(Boolean))])
    client?.setStreams('quotes:', quoteStreams())
  }

  function unwatchQuotes(owner: string) {
    quoteWatchers.delete(owner)
    client?.setStreams('quotes:', quoteStreams())
  }

  return {
    // state
    wsState,
    wsEverOpen,
    status,
    account,
    positions,
    positionsLoaded,
    quotes,
    live,
    held,
    heldLoaded,
    algos,
    algosLoaded,
    heldTick,
    algoTick,
    statusAt,
    riskTick,
    signalTick,
    lastRisk,
    lastSignal,
    stateReason,
    // getters
    loadedDay,
    tradingState,
    halted,
    orders,
    trades,
    openOrders: openOrdersList,
    liveHeld,
    liveAlgos,
    wsOpen,
    wsDown,
    positionByCode,
    accountId,
    // actions
    markOwnOrder,
    setNoticeHook,
    start,
    stop,
    switchAccount,
    handleControl,
    handle,
    scheduleTradeRefresh,
    applyRiskEvent,
    loadStateReason,
    setStatus,
    rollDay,
    refreshAll,
    loadHeld,
    loadAlgos,
    mergeHeld,
    mergeAlgo,
    refreshStatus,
    refreshAccount,
    refreshPositions,
    loadToday,
    fetchToday,
    mergeOrder,
    fetchQuote,
    watchQuotes,
    unwatchQuotes,
  }
})
