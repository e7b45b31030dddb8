// Types of the qmtdesk HTTP + WebSocket contract (shared/API.md). Money and prices are decimal
// strings, quantities integers, ratios decimal strings of fractions, times ISO 8601 with offset.

export type Dec = string
export type Role = 'admin' | 'trader' | 'viewer'
export type Side = 'buy' | 'sell'

export interface Envelope<T> {
  code: number
  message: string
  data: T
}

export interface ErrorBody {
  code: number
  error: string
  message: string
  data: unknown
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

export interface User {
  id: number | string
  username: string
  role: Role
  trading_password_set?: boolean
  /** Not in API.md: when true the UI forces POST /auth/password before anything else. */
  must_change_password?: boolean
  /** false = disabled account */
  active?: boolean
  created_at?: string
  updated_at?: string
  last_login_at?: string | null
}

export interface LoginResult {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  user: User
}

export interface TradeUnlock {
  trade_token: string
  expires_in: number
}

export type ApiScope = 'read' | 'trade'

export interface ApiToken {
  id: number | string
  name: string
  scopes: ApiScope[]
  expires_at?: string | null
  created_at?: string
  last_used_at?: string | null
  revoked_at?: string | null
  /** first characters of the secret, to recognise it */
  prefix?: string
  /** Only in the POST answer: the secret, shown once. */
  token?: string
  secret?: string
}

export type ConnState = 'connected' | 'connecting' | 'reconnecting' | 'disconnected'
export type MarketPhase =
  | 'closed'
  | 'pre_open'
  | 'opening_auction'
  | 'continuous'
  | 'lunch_break'
  | 'closing_auction'
  | 'after_hours'

export interface TradingStatus {
  broker: string
  connected: boolean
  state: ConnState
  account_id: string | null
  account_type: string | null
  trading_day: string | null
  market_phase: MarketPhase
  server_time: string
  halted: boolean
  /** active | reduce_only | halted (risk trading state) */
  trading_state?: TradingState
}

export type TradingState = 'active' | 'reduce_only' | 'halted'

export type BrokerKind = 'paper' | 'xtquant'

/** GET /accounts item: one account the desk serves (the default first). */
export interface AccountInfo {
  account_id: string
  name: string
  broker: BrokerKind | string
  account_type: string | null
  enabled: boolean
  default: boolean
  state: ConnState
  connected: boolean
  message: string | null
  halted: boolean
  trading_state?: TradingState
}

/** GET /accounts/overview item: the account plus its money (decimal strings) and counts. */
export interface AccountOverviewItem extends AccountInfo {
  /** false (with `error`) when its broker could not answer */
  available: boolean
  error?: string | null
  cash?: Dec | null
  frozen_cash?: Dec | null
  market_value?: Dec | null
  total_asset?: Dec | null
  total_profit?: Dec | null
  today_profit?: Dec | null
  realized_profit?: Dec | null
  floating_profit?: Dec | null
  /** market value / total asset, a fraction string */
  exposure?: Dec | null
  holdings?: number | null
  open_orders?: number | null
  /** how long the broker took to answer the account query */
  rtt_ms?: number | null
}

export interface AccountsOverview {
  items: AccountOverviewItem[]
  totals: { cash: Dec; market_value: Dec; total_asset: Dec; total_profit: Dec; today_profit: Dec }
}

/** POST /risk/halt-all and /risk/resume-all answer: one entry per account reached. */
export interface AllAccountsStateResult {
  accounts: { account_id: string; state?: TradingState | string; reason?: string; cancelled?: unknown; [k: string]: unknown }[]
}

export interface Account {
  account_id: string
  account_type: string
  cash: Dec
  frozen_cash: Dec
  market_value: Dec
  total_asset: Dec
  withdrawable: Dec
  /** realised + floating since the account started, fees included */
  total_profit: Dec
  /** null when the broker reports no realised P&L (MiniQMT) */
  realized_profit?: Dec | null
  floating_profit?: Dec
  today_profit: Dec | null
  today_realized_profit?: Dec | null
  today_floating_profit?: Dec | null
  updated_at: string
}

export interface Position {
  stock_code: string
  stock_name: string
  volume: number
  can_use_volume: number
  frozen_volume: number
  yesterday_volume: number
  avg_price: Dec
  last_price: Dec
  market_value: Dec
  profit: Dec
  profit_rate: Dec
  /** the previous close the day's change is measured from (null when no quote) */
  prev_close?: Dec | null
  /** today's price change, last / prev_close − 1, a fraction string ("0.0123" = 1.23%) */
  change_pct?: Dec | null
  /** 当日盈亏: market value − yesterday's value − today's buys + today's sells, fees included */
  today_profit?: Dec | null
  holding_days: number
  opened_at: string | null
}

export type OrderStatus =
  | 'pending_new'
  | 'submitted'
  | 'accepted'
  | 'partially_filled'
  | 'pending_cancel'
  | 'filled'
  | 'canceled'
  | 'partially_canceled'
  | 'rejected'
  | 'denied'
  | 'expired'
  | 'unknown'

export type PriceType =
  | 'limit'
  | 'latest'
  | 'market'
  | 'best5_cancel'
  | 'best5_limit'
  | 'counterparty_best'
  | 'own_best'
  | 'ioc'
  | 'fok'

export interface OrderEvent {
  seq?: number
  time?: string
  created_at?: string
  type?: string
  event?: string
  status?: OrderStatus | string
  from_status?: string | null
  to_status?: string | null
  message?: string | null
  detail?: unknown
  [k: string]: unknown
}

/** Integer ids on the server; strings accepted too. */
export type Id = string | number

export interface Order {
  order_id: Id
  client_order_id: string | null
  broker_order_id: string | null
  broker_sysid: string | null
  account_id: string
  stock_code: string
  stock_name: string
  side: Side
  price_type: PriceType
  price: Dec | null
  quantity: number
  filled_quantity: number
  avg_fill_price: Dec | null
  status: OrderStatus
  status_code: number | null
  status_msg: string | null
  error: string | null
  /** human text of `error` */
  error_message?: string | null
  filled_amount?: Dec | null
  strategy_name: string | null
  remark: string | null
  /** `conditional`: placed by a held order (client_order_id `held-<id>`); `algo`: a child of an algo
   * order; `ipo`: a new-share subscription (新股申购); `repo`: a reverse-repo loan (逆回购) */
  source: 'api' | 'ui' | 'signal' | 'strategy' | 'external' | 'conditional' | 'algo' | 'ipo' | 'repo'
  fees: Dec | null
  frozen_amount: Dec | null
  /** Not in API.md, sent by the server: the trading day the order belongs to (YYYY-MM-DD). */
  trading_day?: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
  /** Optional on GET /trading/orders/{id}: the order's event timeline. */
  events?: OrderEvent[]
}

export interface OrderRequest {
  stock_code: string
  side: Side
  quantity: number
  price_type: PriceType
  price?: Dec
  client_order_id?: string
  strategy_name?: string
  remark?: string
  /** the account the order goes to (wins over ?account_id=); the current account when omitted */
  account_id?: string
}

export interface Trade {
  trade_id: Id
  broker_trade_id: string | null
  order_id: Id
  broker_order_id?: string | null
  stock_code: string
  stock_name: string
  side: Side
  price: Dec
  quantity: number
  amount: Dec
  commission: Dec
  stamp_duty: Dec
  transfer_fee: Dec
  fees: Dec
  traded_at: string
  /** Not in API.md, sent by the server: the trading day of the fill (YYYY-MM-DD). */
  trading_day?: string | null
  strategy_name: string | null
}

export interface EquityPoint {
  time: string
  total_asset: Dec
  cash: Dec
  market_value: Dec
}

export interface BookLevel {
  /** null on an empty level (the server pads each side to five) */
  price: Dec | null
  volume: number
}

export interface Quote {
  stock_code: string
  stock_name: string
  last_price: Dec
  prev_close: Dec
  /** null before the first trade of the day */
  open: Dec | null
  high: Dec | null
  low: Dec | null
  volume: number
  amount: Dec
  bid: BookLevel[]
  ask: BookLevel[]
  limit_up: Dec | null
  limit_down: Dec | null
  /** the price cage (价格笼子) the exchange accepts now, inside the limits; null when none applies */
  cage?: PriceCage | null
  time: string
  source: 'paper' | 'xtdata'
}

export interface PriceCage {
  /** highest buy limit price accepted now */
  buy_max: Dec
  /** lowest sell limit price accepted now */
  sell_min: Dec
}

export type BarPeriod = '1m' | '1d'

/** GET /market/bars/{code}: oldest first. `time`: the minute's start (ISO datetime) or the day (YYYY-MM-DD). */
export interface Bar {
  time: string
  open: Dec
  high: Dec
  low: Dec
  close: Dec
  volume: number
  amount: Dec
}

export interface Instrument {
  stock_code: string
  stock_name: string
  board: string
  kind: string
  lot_size: number
  price_tick: Dec
  is_st: boolean
  limit_pct: Dec | null
}

export interface ConfigValue {
  value: string | number | boolean | null
  source: 'env' | 'db' | 'default'
}
export type MiniqmtConfig = Record<string, ConfigValue>

export interface PaperClock {
  now: string
  trading_day: string
  market_phase: MarketPhase
  simulated: boolean
}

export type RiskParamType = 'money' | 'fraction' | 'count' | 'seconds' | 'codes' | 'bool'

/** One rule in one scope (`account` or `strategy:<name>`), as GET /risk/rules lists it. */
export interface RiskRule {
  rule: string
  /** denial code, RISK_<RULE> */
  code: string
  /** zh-CN title */
  title: string
  description: string
  scope: string
  enabled: boolean
  params: Record<string, unknown>
  defaults: Record<string, unknown>
  param_types: Record<string, RiskParamType>
  buy_side_only: boolean
  /** false = the built-in defaults, never saved */
  customised: boolean
}

export interface RiskRuleUpdate {
  enabled?: boolean
  params?: Record<string, unknown>
  scope: string
}

/** GET /risk/metrics: ratios are fraction strings, money decimal strings. */
export interface RiskMetrics {
  time?: string
  trading_day?: string
  trading_state?: TradingState
  halted?: boolean
  total_asset?: Dec
  cash?: Dec
  cash_ratio?: Dec | null
  market_value?: Dec
  exposure?: Dec | null
  largest_position_code?: string | null
  largest_position_pct?: Dec | null
  holdings_count?: number
  today_pnl?: Dec
  today_pnl_pct?: Dec | null
  current_drawdown?: Dec
  max_drawdown?: Dec
  turnover_today?: Dec
  orders_today?: number
  denied_today?: number
  cancels_today?: number
  active_orders?: number
  [k: string]: unknown
}

export type RiskEventKind = 'denial' | 'halt' | 'resume' | 'reduce_only' | 'rule_change'

export interface RiskEvent {
  id: number | string
  time: string
  kind: RiskEventKind | string
  rule: string | null
  code: string | null
  scope: string | null
  order_id: Id | null
  stock_code: string | null
  side: Side | null
  strategy_name: string | null
  message: string
  detail: Record<string, unknown> | null
}

/** What the WebSocket `risk` stream carries. */
export interface RiskStreamEvent {
  kind: RiskEventKind | string
  state?: TradingState
  halted?: boolean
  reason?: string
  time?: string
  [k: string]: unknown
}

export type SizingMethod = 'quantity' | 'amount' | 'equity_pct' | 'target_pct' | 'position_pct'

/** value: integer shares for quantity, CNY string for amount, fraction string for the *_pct ones */
export type Sizing = {
  method: SizingMethod
  value: number | string
}

export type StrategyType = 'ma_cross' | 'grid' | 'stop_loss_take_profit'

export interface StrategyParamDef {
  name: string
  /** int | decimal | sizing (others shown as text) */
  type: string
  default: unknown
  description: string
  required?: boolean
  nullable?: boolean
}

/** GET /monitor/strategies */
export interface StrategyDef {
  type: StrategyType | string
  name_zh: string
  description?: string
  params: StrategyParamDef[]
}

export type MonitorState = 'idle' | 'running' | 'error'

export interface MonitoredStock {
  stock_code: string
  stock_name?: string
  enabled: boolean
  auto_trade: boolean
  strategy: { type: StrategyType | string; params: Record<string, unknown> } | null
  sizing: Sizing | null
  strategy_name?: string | null
  status?: { state: MonitorState | string; error?: string | null; last_signal_at?: string | null } | null
  created_at?: string
  updated_at?: string
}

export interface MonitoredStockBody {
  stock_code: string
  enabled: boolean
  auto_trade: boolean
  strategy: { type: string; params: Record<string, unknown> } | null
  sizing: Sizing | null
  /** the strategy_name its signals and orders carry (server default `<type>-<code digits>`) */
  strategy_name?: string | null
}

export type SignalDecision = 'executed' | 'skipped' | 'denied' | 'expired' | 'duplicate'

export interface Signal {
  signal_id: string
  stock_code: string
  stock_name?: string
  action: 'buy' | 'sell' | 'close'
  strategy_name: string
  decision: SignalDecision | 'pending' | null
  reason: string | null
  error?: string | null
  order_id?: Id | null
  source?: string | null
  created_at: string
  decided_at?: string | null
  /** extra fields the server may send */
  decision_reason?: string | null
  decision_reason_en?: string | null
  confidence?: string | number | null
  price?: Dec | null
  sizing?: Sizing | null
  quantity?: number | null
}

/** GET /audit item */
export interface AuditEntry {
  id: number | string
  time: string
  /** who did it: a username, or `risk` / `system` for the desk itself */
  actor: string | null
  action: string
  target: string | null
  detail: unknown
  ip: string | null
}

// ---------------------------------------------------------------- held orders (条件单)

/** waiting (a bracket leg until its entry is final), armed (watching quotes), triggered (its order
 * being placed), fired (`order_id` set), canceled, expired, failed (the order was refused) */
export type HeldState = 'waiting' | 'armed' | 'triggered' | 'fired' | 'canceled' | 'expired' | 'failed'

export type TriggerDirection = 'above' | 'below'

/** What a held order waits for. `percent` is a fraction string ("0.05" = 5%), `amount` CNY per share. */
export type HeldTrigger =
  | { type: 'price'; direction: TriggerDirection; price: Dec }
  | { type: 'trailing'; percent?: Dec | null; amount?: Dec | null }
  | { type: 'time'; at: string }
  | { type: 'limit_open'; which: 'up' | 'down' }

export type TriggerType = HeldTrigger['type']

export interface HeldOrder {
  id: number
  account_id: string
  stock_code: string
  stock_name: string
  side: Side
  /** 0 on a bracket leg until its entry is final (then what the entry filled) */
  quantity: number
  price_type: PriceType
  /** limit price of the order placed (stop-limit), or the protective price of an SH/BJ market order */
  price: Dec | null
  trigger: HeldTrigger
  state: HeldState
  /** zh-CN words of `state` */
  state_label: string
  /** trailing: the best price since armed */
  mark: Dec | null
  /** trailing: the level that fires it now */
  stop_price: Dec | null
  last_price: Dec | null
  /** how far the last price is from firing, a fraction string ("0.0174" = 1.74%) */
  distance_pct: Dec | null
  /** why the last quote did not fire it (stale quote, auction, not live before active_from) */
  skipped_reason: string | null
  parent_order_id: number | null
  oco_group: string | null
  /** the trading day it becomes live (a T+1 bracket sell leg: the next one) */
  active_from: string
  /** good till this trading day's close */
  expires: string
  order_id: Id | null
  client_order_id: string | null
  error: string | null
  message: string | null
  strategy_name: string | null
  remark: string | null
  created_at: string
  updated_at: string
  triggered_at: string | null
  notional: Dec | null
}

export interface HeldOrderRequest {
  stock_code: string
  side: Side
  quantity: number
  price_type: PriceType
  price?: Dec
  trigger: HeldTrigger
  /** YYYY-MM-DD; default today's close */
  expires?: string
  parent_order_id?: number
  oco_group?: string
  strategy_name?: string
  remark?: string
  account_id?: string
}

export interface BracketLeg {
  trigger_price: Dec
  price_type?: PriceType
  price?: Dec
}

export interface BracketRequest {
  parent_order_id: number
  take_profit?: BracketLeg
  stop_loss?: BracketLeg
  expires?: string
  account_id?: string
}

export interface BracketResult {
  oco_group: string
  legs: HeldOrder[]
}

// ---------------------------------------------------------------- algo orders (TWAP, iceberg)

export type AlgoKind = 'twap' | 'iceberg'
export type AlgoState = 'running' | 'completed' | 'canceled' | 'expired' | 'failed'

export interface AlgoOrder {
  id: number
  account_id: string
  stock_code: string
  stock_name: string
  side: Side
  algo: AlgoKind
  quantity: number
  price: Dec | null
  display_quantity: number | null
  start_at: string | null
  end_at: string | null
  interval_seconds: number | null
  state: AlgoState
  state_label: string
  filled_quantity: number
  working_quantity: number
  /** filled / quantity, a fraction string ("0.4500") */
  progress: Dec
  arrival_price: Dec | null
  avg_price: Dec | null
  /** worse (positive) or better (negative) than arrival, in basis points */
  slippage_bps: Dec | null
  child_count: number
  paused_reason: string | null
  error: string | null
  message: string | null
  strategy_name: string | null
  remark: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
  /** GET /trading/algo-orders/{id} only */
  children?: Order[]
}

export interface AlgoOrderRequest {
  stock_code: string
  side: Side
  quantity: number
  algo: AlgoKind
  price?: Dec
  start_at?: string
  end_at?: string
  interval_seconds?: number
  display_quantity?: number
  strategy_name?: string
  remark?: string
  account_id?: string
}

// ---------------------------------------------------------------- reports (交割单, performance)

/** GET /reports/statement: `trading_day` (one day) or `from`/`to` (a range of at most 400 days). */
export interface StatementQuery {
  trading_day?: string
  from?: string
  to?: string
}

export type StatementFileFormat = 'csv' | 'xlsx'

/** A fill on the statement: the trade plus its 买卖标志 and the cash it moved. */
export interface StatementFill extends Trade {
  /** 证券买入 / 证券卖出 */
  side_label: string
  /** a buy −(amount + fees), a sale amount − fees */
  net_amount: Dec
}

export interface StatementSums {
  buy_amount: Dec
  sell_amount: Dec
  commission: Dec
  stamp_duty: Dec
  transfer_fee: Dec
  fees: Dec
  net_amount: Dec
}

export interface StatementDay extends StatementSums {
  trading_day: string
}

/** 持仓核对: opening + bought − sold = closing, or not (shares the desk never saw bought). */
export interface StatementPosition {
  stock_code: string
  stock_name: string
  opening: number
  bought: number
  sold: number
  closing: number
  balanced: boolean
}

export interface Statement {
  account_id: string
  from: string
  to: string
  fills: StatementFill[]
  days: StatementDay[]
  positions: StatementPosition[]
  totals: StatementSums
  /** every position balanced */
  balanced: boolean
}

export interface PerformanceQuery {
  from?: string
  to?: string
}

export interface PerformanceEquityPoint {
  trading_day: string
  total_asset: Dec
}

export interface PerformanceReturn {
  trading_day: string
  /** the day's return, a fraction string */
  return: Dec | null
}

export interface StrategyHolding {
  stock_code: string
  shares: number
  /** what the shares held cost, buy fees included */
  cost: Dec
  /** at the last price (the cost when no price is known) */
  value: Dec
}

export interface StrategyDailyPnl {
  trading_day: string
  realized_profit: Dec
  cumulative: Dec
}

/** One strategy's figures (the fills without a strategy_name together as `manual`, listed last). */
export interface StrategyPerformance {
  strategy_name: string
  manual: boolean
  fills: number
  sales: number
  wins: number
  /** wins / sales, a fraction string; null before the first sale */
  win_rate: Dec | null
  realized_profit: Dec
  floating_profit: Dec
  total_profit: Dec
  fees: Dec
  turnover: Dec
  holdings: StrategyHolding[]
  daily: StrategyDailyPnl[]
}

export interface Performance {
  account_id: string
  from: string | null
  to: string | null
  equity: PerformanceEquityPoint[]
  returns: PerformanceReturn[]
  /** fraction strings; total_return null with fewer than two days */
  total_return: Dec | null
  max_drawdown: Dec | null
  fees: Dec
  turnover: Dec
  strategies: StrategyPerformance[]
}

export interface StreamMessage<T = unknown> {
  stream: string
  seq?: number
  time?: string
  data: T
}
