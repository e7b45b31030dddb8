// Types of the qmtdesk HTTP + WebSocket contract (docs/API.md).
//
// Every HTTP answer and request body here is an alias of the server's own models: `schema.d.ts` is
// generated from the server's OpenAPI description by scripts/api-types.sh (never edit it by hand;
// `scripts/api-types.sh --check` fails when it is stale). `AnswerOf` / `BodyOf` / `QueryOf` read a
// route's success `data`, request body and query straight from `paths`; the names below keep what
// the UI has always imported (Order, Position, HeldOrder…).
//
// Hand-written, because OpenAPI cannot describe them:
// - the WebSocket frames (`StreamMessage` and the payloads only the stream sends: the `status`
//   change, the `risk` event, the `signals` item); their payloads use the generated models;
// - request bodies where the server fills a default: openapi-typescript turns a defaulted field into
//   a required one, so `WithDefaults` makes exactly those optional again (the keys are checked
//   against the generated model);
// - generic helpers (Envelope<T>, Page<T>, Dec, Id) and UI-only view types.
// Money and prices are decimal strings, quantities integers, ratios decimal strings of fractions,
// times ISO 8601 with offset.
import type { components, paths } from './schema'

type S = components['schemas']

// ---------------------------------------------------------------- helpers over the generated paths

/** A route as the client names it (the axios baseURL is /api/v1), e.g. `/trading/orders/{order_id}`. */
export type Route = keyof paths extends infer K ? (K extends `/api/v1${infer R}` ? R : never) : never
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

type PathItem<R extends Route> = paths[`/api/v1${R}` & keyof paths]
/** The methods route `R` answers. */
export type MethodOf<R extends Route> = {
  [M in HttpMethod]: [NonNullable<PathItem<R>[M]>] extends [never] ? never : M
}[HttpMethod]
type Operation<R extends Route, M extends MethodOf<R>> = NonNullable<PathItem<R>[M]>
type Json<X> = X extends { content: { 'application/json': infer B } } ? B : never
type Responses<R extends Route, M extends MethodOf<R>> = Operation<R, M> extends { responses: infer Rs } ? Rs : never
type SuccessBody<Rs> = Json<Rs[Extract<keyof Rs, 200 | 201>]>

/** The `data` of route R's success envelope (`{code: 0, message, data}`). */
export type AnswerOf<R extends Route, M extends MethodOf<R>> = SuccessBody<Responses<R, M>> extends { data: infer D } ? D : never
/** Route R's JSON request body, exactly as generated (see WithDefaults for what the server fills in). */
export type BodyOf<R extends Route, M extends MethodOf<R>> = Operation<R, M> extends { requestBody?: infer B } ? Json<NonNullable<B>> : never
/** Route R's query parameters. */
export type QueryOf<R extends Route, M extends MethodOf<R>> = Operation<R, M> extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never

/**
 * A request model with the fields the server defaults made optional: openapi-typescript generates a
 * field that has a default as required, but the server fills it in when it is absent.
 */
export type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>

// ---------------------------------------------------------------- generic shapes

export type Dec = string
/** Ids are integers on the server; a route parameter may come as a string (router params). */
export type Id = string | number

/** The success envelope every route answers (the client unwraps it). */
export interface Envelope<T> {
  code: number
  message: string
  data: T
}

export type ErrorBody = S['ErrorBody']

type Flat<T> = { [K in keyof T]: T[K] }

/** A page of a list route (PageOf[…] on the server): its items and total, page and page_size. */
export type Page<T> = Flat<Omit<S['PageOf_Order_'], 'items'> & { items: T[] }>

// ---------------------------------------------------------------- enums

export type Side = S['Side']
export type Role = S['UserView']['role']
export type OrderStatus = S['OrderStatus']
export type PriceType = S['PriceType']
export type ConnState = S['TradingStatus']['state']
export type MarketPhase = S['TradingStatus']['market_phase']
/** Finer than MarketPhase: the auction's no-cancel part and the break before the open too. */
export type PhaseDetail = S['Phase']
export type TradingState = S['TradingStatus']['trading_state']
export type BrokerKind = S['DeskAccount']['broker']
export type ApiScope = S['ApiTokenView']['scopes'][number]
export type SizingMethod = S['SizingMethod']
export type SignalAction = S['SignalAction']
/** What POST /signals answers (`duplicate` on a replay of a known signal_id). */
export type SignalDecision = S['SignalResult']['decision']
/** What GET /signals lists (`pending` while being decided). */
export type SignalRecordDecision = S['SignalRecord']['decision']
export type RiskEventKind = S['RiskEvent']['kind']
export type RiskRuleId = S['RiskRule']['rule']
export type RiskParamType = S['RiskRule']['param_types'][string]
export type MonitorState = S['WatchStatus']['state']
export type HeldState = S['HeldOrder']['state']
export type TriggerType = S['TriggerKind']
export type TriggerDirection = NonNullable<S['Trigger']['direction']>
export type AlgoKind = S['AlgoKind']
export type AlgoState = S['AlgoOrder']['state']
export type BarPeriod = NonNullable<QueryOf<'/market/bars/{stock_code}', 'get'>['period']>
export type StatementFileFormat = Exclude<NonNullable<QueryOf<'/reports/statement', 'get'>['format']>, 'json'>

// ---------------------------------------------------------------- auth, users, tokens

/** A user as /users and the login answer show it. */
export type User = S['UserView']
/** GET /auth/me: the user, and how the credentials proved it (`via`) and their scopes. */
export type CurrentUser = S['CurrentUser']
export type LoginResult = S['LoginAnswer']
export type LoginBody = S['LoginBody']
export type PasswordBody = S['PasswordBody']
export type TradingPasswordBody = S['TradingPasswordBody']
export type TradeUnlock = S['TradeUnlocked']
export type TradeUnlockBody = S['TradeUnlockBody']
export type TradeLocked = S['TradeLocked']
/** An API token as listed (its secret never again). */
export type ApiToken = S['ApiTokenView']
/** POST /auth/api-tokens: the token with its secret (`token`, the same as `secret`), shown once. */
export type NewApiToken = S['NewApiToken']
export type ApiTokenBody = S['ApiTokenBody']
export type ApiTokenRevoked = S['ApiTokenRevoked']
export type NewUserBody = WithDefaults<S['NewUserBody'], 'role'>
export type UserPatchBody = S['UserPatchBody']

// ---------------------------------------------------------------- accounts, status

export type TradingStatus = S['TradingStatus']
/** The broker link after POST /trading/connect or /disconnect. */
export type LinkAnswer = S['LinkAnswer']
/** GET /accounts item: one account the desk serves (the default first). */
export type AccountInfo = S['DeskAccount']
/** GET /accounts/overview item: the account plus its money and counts when its broker answered. */
export type AccountOverviewItem = S['AccountOverviewRow']
export type AccountsOverview = S['AccountsOverview']
export type NewAccountBody = WithDefaults<S['NewAccountBody'], 'cash'>
export type AccountPatch = S['AccountPatch']
export type AccountRemoved = S['AccountRemoved']
/** GET /trading/account */
export type Account = S['AccountFigures']

// ---------------------------------------------------------------- trading

export type Position = S['Position']
export type Order = S['Order']
/** GET /trading/orders/{id}: the order and its timeline. */
export type OrderWithEvents = S['OrderWithEvents']
/** One step of an order's timeline: `data` is the order as that change left it (orders) or the fill (trades). */
export type OrderEvent = S['OrderEvent']
/** POST /trading/order and /trading/orders/{id}/cancel answer `{order}`. */
export type Placed = S['Placed']
export type OrderRequest = WithDefaults<S['OrderBody'], 'price_type' | 'strategy_name' | 'remark'>
export type CancelAllBody = S['CancelAllBody']
export type CanceledAll = S['CanceledAll']
export type Trade = S['Trade']
/** GET /trading/equity: one point of the intraday equity curve. */
export type EquityPoint = S['EquitySample']

// ---------------------------------------------------------------- market

export type Quote = S['Quote']
/** One level of the book: `price` null on an empty level (the server pads each side to five). */
export type BookLevel = S['Level']
/** The price cage (价格笼子) the exchange accepts now. */
export type PriceCage = S['Cage']
/** GET /market/bars/{code}: oldest first. `time`: the minute's start (ISO datetime) or the day (YYYY-MM-DD). */
export type Bar = S['Bar']
export type Instrument = S['InstrumentInfo']

// ---------------------------------------------------------------- configuration, paper

export type ConfigValue = S['ConfigValue']
export type MiniqmtConfig = S['MiniQmtSettings']
export type MiniqmtBody = S['MiniQmtBody']
export type PaperClock = S['PaperClock']
export type PaperReset = S['PaperReset']
export type AdvanceBody = S['AdvanceBody']
export type ResetBody = WithDefaults<S['ResetBody'], 'cash'>

// ---------------------------------------------------------------- risk

/** One rule in one scope (`account` or `strategy:<name>`), as GET /risk/rules lists it. */
export type RiskRule = S['RiskRule']
export type RiskRuleUpdate = WithDefaults<S['RuleBody'], 'scope'>
/** GET /risk/metrics: ratios are fraction strings, money decimal strings. */
export type RiskMetrics = S['RiskMetrics']
export type RiskEvent = S['RiskEvent']
export type HaltBody = WithDefaults<S['HaltBody'], 'reason' | 'cancel_open_orders'>
export type ResumeBody = WithDefaults<S['ResumeBody'], 'reason'>
/** POST /risk/halt: the state, and the cancels when asked for. */
export type HaltAnswer = S['HaltAnswer']
/** POST /risk/resume and /risk/reduce-only. */
export type RiskState = S['RiskState']
/** POST /risk/halt-all: one entry per account reached, with its cancels. */
export type HaltAllResult = S['HaltAllAnswer']
/** POST /risk/resume-all: one entry per account reached. */
export type ResumeAllResult = S['ResumeAllAnswer']
/** Either answer of the global kill switch. */
export type AllAccountsStateResult = HaltAllResult | ResumeAllResult

// ---------------------------------------------------------------- monitoring, signals

/** How much to trade, as sent (shares, CNY, or a fraction; a number or a decimal string). */
export type Sizing = S['SizingBody']
/** How much a watched stock's strategy trades, as the server shows it (value a decimal string). */
export type WatchedSizing = S['WatchedSizing']
/** A built-in strategy's type (ma_cross, grid, stop_loss_take_profit…). */
export type StrategyType = S['StrategyInfo']['type']
export type StrategyParamDef = S['StrategyParamInfo']
/** GET /monitor/strategies */
export type StrategyDef = S['StrategyInfo']
export type MonitoredStock = S['WatchedStock']
export type MonitoredStockBody = WithDefaults<S['WatchBody'], 'enabled' | 'auto_trade'>
export type MonitoredStockPatch = S['WatchPatch']
export type WatchDeleted = S['WatchDeleted']
/** GET /signals item: a stored signal with its decision and order. */
export type Signal = S['SignalRecord']
export type SignalBody = WithDefaults<S['SignalBody'], 'reason'>
export type SignalResult = S['SignalResult']

/** GET /audit item */
export type AuditEntry = S['AuditEntry']

// ---------------------------------------------------------------- held orders (条件单)

/** A held order's trigger as the server shows it: the fields of its `type` set, the others null/absent. */
export type HeldTrigger = S['Trigger']
/** A trigger as sent: `{type: price, direction, price}` | `{type: trailing, percent | amount}` | `{type: time, at}` | `{type: limit_open, which}`. */
export type HeldTriggerBody = S['TriggerBody']
export type HeldOrder = S['HeldOrder']
export type HeldOrderRequest = WithDefaults<S['HeldBody'], 'price_type' | 'strategy_name' | 'remark'>
export type BracketLeg = WithDefaults<S['LegBody'], 'price_type'>
export type BracketRequest = Omit<S['BracketBody'], 'take_profit' | 'stop_loss'> & {
  take_profit?: BracketLeg | null
  stop_loss?: BracketLeg | null
}
export type BracketResult = S['Bracket']

// ---------------------------------------------------------------- algo orders (TWAP, iceberg)

export type AlgoOrder = S['AlgoOrder']
/** GET /trading/algo-orders/{id}: the algo order and its child orders. */
export type AlgoOrderWithChildren = S['AlgoOrderWithChildren']
export type AlgoOrderRequest = WithDefaults<S['AlgoBody'], 'interval_seconds' | 'strategy_name' | 'remark'>

// ---------------------------------------------------------------- reports (交割单, performance)

/** GET /reports/statement: `trading_day` (one day) or `from`/`to` (a range of at most 400 days). */
export type StatementQuery = Omit<QueryOf<'/reports/statement', 'get'>, 'format' | 'account_id'>
/** A fill on the statement: the trade plus its 买卖标志 and the cash it moved. */
export type StatementFill = S['StatementFill']
export type StatementSums = S['StatementTotals']
export type StatementDay = S['StatementDay']
/** 持仓核对: opening + bought − sold = closing, or not (shares the desk never saw bought). */
export type StatementPosition = S['StatementHolding']
export type Statement = S['Statement']
export type PerformanceQuery = Omit<QueryOf<'/reports/performance', 'get'>, 'account_id'>
export type PerformanceEquityPoint = S['EquityPoint']
export type PerformanceReturn = S['DailyReturn']
export type StrategyHolding = S['StrategyHolding']
export type StrategyDailyPnl = S['StrategyDay']
/** One strategy's figures (the fills without a strategy_name together as `manual`, listed last). */
export type StrategyPerformance = S['StrategyPerformance']
export type Performance = S['Performance']

// ---------------------------------------------------------------- WebSocket /api/v1/ws (hand-written)

/** The `status` stream: the broker link changed (the rest of TradingStatus comes from GET /trading/status). */
export type StatusChange = Pick<TradingStatus, 'state' | 'connected' | 'message'>

/** The `risk` stream's halt / resume / reduce-only: the account's trading state now. */
export interface TradingStateEvent {
  kind: 'halt' | 'resume' | 'reduce_only'
  state: TradingState
  halted: boolean
  reason: string
  time: string
}

/**
 * The `risk` stream: a trading state change, a denial (the risk event's fields), a rule change, or a
 * watched stock's strategy that failed and was switched off (`strategy_error`, sent without `time`).
 */
export type RiskStreamEvent =
  | TradingStateEvent
  | (Pick<RiskEvent, 'code' | 'rule' | 'scope' | 'order_id' | 'stock_code' | 'side' | 'message'> & { kind: 'denial'; time: string })
  | { kind: 'rule_change'; rule: RiskRuleId; scope: string; enabled: boolean; params: RiskRule['params']; time: string }
  | { kind: 'strategy_error'; stock_code: string; strategy_name: string; message: string }

/** The `signals` stream's replay of a known signal_id: the stored signal, `duplicate`, and its first decision. */
export type ReplayedSignal = Omit<Signal, 'decision'> & { decision: 'duplicate'; original_decision: SignalRecordDecision }
type StrategySaid = Pick<Signal, 'signal_id' | 'stock_code' | 'action' | 'strategy_name' | 'reason' | 'created_at'> & { source: 'strategy' }
/** What a watched stock's strategy advised while automatic trading is off: on the stream only, never stored. */
export type AdvisorySignal = StrategySaid & { decision: 'skipped'; advisory: true; price: Dec }
/** A strategy's signal refused before it could be sized (e.g. a watchlist sizing that does not fit a buy): on the stream only. */
export type RefusedSignal = StrategySaid & { decision: 'denied'; error: string }
/**
 * The `signals` stream: a stored signal after its decision (as GET /signals lists it), a replay of a
 * known signal_id, or what a watched stock's strategy said without a stored signal.
 */
export type SignalStreamItem = Signal | ReplayedSignal | AdvisorySignal | RefusedSignal
/** A row of the signal list: the stored signals, and the stream's advice and refusals shown on top. */
export type SignalRow = Exclude<SignalStreamItem, ReplayedSignal>

/** A frame of a plain stream: `seq` is null (only the durable streams number their frames). */
interface Frame<N extends string, T> {
  stream: N
  seq: null
  time: string
  data: T
}

/** `seq` increases across the durable streams (orders, trades); `since_seq` replays what was missed. */
export interface DurableFrame<N extends string, T> {
  stream: N
  seq: number
  time: string
  data: T
}

/** One server message of a stream (control messages — auth_ok, subscribed, pong, errors — are not). */
export type StreamMessage =
  | DurableFrame<'orders', Order>
  | DurableFrame<'trades', Trade>
  | Frame<'account', Account>
  | Frame<'positions', { items: Position[] }>
  | Frame<'status', StatusChange>
  | Frame<'risk', RiskStreamEvent>
  | Frame<'signals', SignalStreamItem>
  | Frame<'conditional_orders', HeldOrder>
  | Frame<'algo_orders', AlgoOrder>
  | QuoteFrame

/** `quotes:<code>`: the quote of one subscribed code, on every change. */
export type QuoteFrame = Frame<`quotes:${string}`, Quote>

export type StreamName = StreamMessage['stream']
