// Typed calls of API.md (prefix /api/v1 is the client's baseURL).
import { api } from './request'
import type {
  Account,
  AccountInfo,
  AccountsOverview,
  AlgoOrder,
  AlgoOrderRequest,
  AllAccountsStateResult,
  ApiToken,
  AuditEntry,
  Bar,
  BarPeriod,
  BracketRequest,
  BracketResult,
  EquityPoint,
  HeldOrder,
  HeldOrderRequest,
  Id,
  Instrument,
  LoginResult,
  MiniqmtConfig,
  MonitoredStock,
  MonitoredStockBody,
  Order,
  OrderRequest,
  Page,
  PaperClock,
  Performance,
  PerformanceQuery,
  Position,
  Quote,
  RiskEvent,
  RiskMetrics,
  RiskRule,
  RiskRuleUpdate,
  Role,
  Signal,
  Statement,
  StatementFileFormat,
  StatementQuery,
  StrategyDef,
  Trade,
  TradeUnlock,
  TradingStatus,
  User,
} from './types'

const enc = encodeURIComponent

export interface PageQuery {
  page?: number
  page_size?: number
  [k: string]: unknown
}

export const authApi = {
  login: (username: string, password: string) =>
    api.post<LoginResult>('/auth/login', { username, password }, { skipAuthRedirect: true }),
  me: () => api.get<User>('/auth/me'),
  /** May answer a fresh session ({access_token, expires_in, user}): a password change revokes the old tokens. */
  changePassword: (old_password: string, new_password: string) =>
    api.post<Partial<LoginResult> | null>('/auth/password', { old_password, new_password }, { skipAuthRedirect: true }),
  setTradingPassword: (password: string, new_trading_password: string) =>
    api.post<unknown>('/auth/trading-password', { password, new_trading_password }, { skipAuthRedirect: true }),
  tradeUnlock: (trading_password: string) => api.post<TradeUnlock>('/auth/trade-unlock', { trading_password }),
  tradeLock: () => api.post<unknown>('/auth/trade-lock'),
  listTokens: () => api.get<ApiToken[]>('/auth/api-tokens'),
  createToken: (body: { name: string; scopes: string[]; expires_at?: string | null; trading_password?: string }) =>
    api.post<ApiToken>('/auth/api-tokens', body),
  deleteToken: (id: number | string) => api.delete<unknown>(`/auth/api-tokens/${enc(String(id))}`),
}

export const usersApi = {
  list: () => api.get<User[] | Page<User>>('/users'),
  create: (body: { username: string; password: string; role: Role; trading_password?: string }) =>
    api.post<User>('/users', body),
  update: (
    id: number | string,
    body: Partial<{ role: Role; active: boolean; password: string; trading_password: string; must_change_password: boolean }>,
  ) =>
    api.patch<User>(`/users/${enc(String(id))}`, body),
}

export const accountsApi = {
  /** the accounts the signed-in user may use, the default first */
  list: () => api.get<AccountInfo[]>('/accounts'),
  overview: () => api.get<AccountsOverview>('/accounts/overview'),
  /** admin: a new paper account, started at once; 409 ACCOUNT_EXISTS */
  create: (body: { account_id: string; broker: 'paper'; name?: string; cash?: string }) =>
    api.post<AccountInfo>('/admin/accounts', body),
  rename: (id: string, name: string) => api.patch<AccountInfo>(`/admin/accounts/${enc(id)}`, { name }),
  /** 409 ACCOUNT_IS_DEFAULT / ACCOUNT_HAS_OPEN_ORDERS (data.open_orders) */
  remove: (id: string) => api.delete<{ account_id: string; removed: boolean }>(`/admin/accounts/${enc(id)}`),
}

export const tradingApi = {
  status: () => api.get<TradingStatus>('/trading/status'),
  connect: () => api.post<Partial<TradingStatus>>('/trading/connect', undefined, { timeout: 60_000 }),
  disconnect: () => api.post<Partial<TradingStatus>>('/trading/disconnect'),
  account: () => api.get<Account>('/trading/account'),
  positions: () => api.get<Position[]>('/trading/positions'),
  position: (code: string) => api.get<Position>(`/trading/positions/${enc(code)}`),
  // Never retried automatically; the caller keeps client_order_id for a user-initiated retry.
  placeOrder: (body: OrderRequest) => api.post<Order | { order: Order }>('/trading/order', body, { trade: true }),
  orders: (q: PageQuery) => api.get<Page<Order>>('/trading/orders', q),
  order: (id: Id) => api.get<Order | { order: Order }>(`/trading/orders/${enc(String(id))}`),
  orderByClientId: (cid: string) => api.get<Order | { order: Order }>(`/trading/orders/by-client-id/${enc(cid)}`),
  cancel: (id: Id) => api.post<Order | { order: Order }>(`/trading/orders/${enc(String(id))}/cancel`, undefined, { trade: true }),
  cancelAll: (body: { stock_code?: string; side?: string } = {}) =>
    api.post<{ requested: number; orders: Order[] }>('/trading/orders/cancel-all', body, { trade: true }),
  trades: (q: PageQuery) => api.get<Page<Trade>>('/trading/trades', q),
  equity: (q: { from?: string; to?: string } = {}) => api.get<EquityPoint[]>('/trading/equity', q),
}

/** Held orders (条件单): the desk holds them and places an ordinary order when the trigger holds. */
export const heldApi = {
  /** `state`: live | final | a comma list of states */
  list: (q: PageQuery & { state?: string; stock_code?: string } = {}) => api.get<Page<HeldOrder>>('/trading/conditional-orders', q),
  get: (id: Id) => api.get<HeldOrder>(`/trading/conditional-orders/${enc(String(id))}`),
  create: (body: HeldOrderRequest) => api.post<HeldOrder>('/trading/conditional-orders', body, { trade: true }),
  /** take-profit and stop-loss on an entry order, one-cancels-other */
  bracket: (body: BracketRequest) => api.post<BracketResult>('/trading/conditional-orders/bracket', body, { trade: true }),
  /** 409 HELD_ORDER_NOT_CANCELABLE once fired or final */
  cancel: (id: Id) => api.post<HeldOrder>(`/trading/conditional-orders/${enc(String(id))}/cancel`, undefined, { trade: true }),
}

/** Execution algorithms: TWAP and iceberg orders the desk slices into child orders. */
export const algoApi = {
  list: (q: PageQuery & { state?: string; stock_code?: string } = {}) => api.get<Page<AlgoOrder>>('/trading/algo-orders', q),
  /** with `children` (its orders) */
  get: (id: Id) => api.get<AlgoOrder>(`/trading/algo-orders/${enc(String(id))}`),
  create: (body: AlgoOrderRequest) => api.post<AlgoOrder>('/trading/algo-orders', body, { trade: true }),
  /** cancels the working child; 409 ALGO_ORDER_NOT_CANCELABLE once final */
  cancel: (id: Id) => api.post<AlgoOrder>(`/trading/algo-orders/${enc(String(id))}/cancel`, undefined, { trade: true }),
}

/** `{order}` or a bare order: both shapes are accepted. */
export function orderOf(v: Order | { order: Order }): Order {
  return 'order' in v && v.order && typeof v.order === 'object' ? v.order : (v as Order)
}

export const marketApi = {
  quote: (code: string) => api.get<Quote>(`/market/quote/${enc(code)}`),
  quotes: (codes: string[]) => api.get<Quote[]>('/market/quotes', { codes: codes.join(',') }),
  instruments: (q: string, limit = 20) => api.get<Instrument[]>('/market/instruments', { q, limit }),
  /** 1m: today's one-minute bars; 1d: up to `count` daily bars ending with today's forming one */
  bars: (code: string, period: BarPeriod, count?: number) =>
    api.get<Bar[]>(`/market/bars/${enc(code)}`, count ? { period, count } : { period }),
}

export const configApi = {
  miniqmt: () => api.get<MiniqmtConfig>('/config/miniqmt'),
  updateMiniqmt: (values: Record<string, unknown>) => api.put<MiniqmtConfig>('/config/miniqmt', values),
}

export const paperApi = {
  clock: () => api.get<PaperClock>('/paper/clock'),
  advance: (body: { to: string } | { days: number; at?: string }) => api.post<PaperClock>('/paper/clock/advance', body),
  reset: (cash: string) => api.post<unknown>('/paper/reset', { cash }),
}

export const riskApi = {
  rules: () => api.get<RiskRule[]>('/risk/rules'),
  /** admin; omitted fields keep their value; a new strategy scope starts from the account's settings */
  updateRule: (rule: string, body: RiskRuleUpdate) => api.put<RiskRule>(`/risk/rules/${enc(rule)}`, body),
  metrics: () => api.get<RiskMetrics>('/risk/metrics'),
  events: (q: PageQuery = {}) => api.get<Page<RiskEvent>>('/risk/events', q),
  halt: (reason: string, cancel_open_orders: boolean) => api.post<unknown>('/risk/halt', { reason, cancel_open_orders }),
  resume: (reason: string) => api.post<unknown>('/risk/resume', { reason }),
  reduceOnly: (reason: string) => api.post<unknown>('/risk/reduce-only', { reason }),
  /** the global kill switch: every account the caller reaches (no trade token needed) */
  haltAll: (reason: string, cancel_open_orders: boolean) =>
    api.post<AllAccountsStateResult>('/risk/halt-all', { reason, cancel_open_orders }),
  resumeAll: (reason: string) => api.post<AllAccountsStateResult>('/risk/resume-all', { reason }),
}

export const monitorApi = {
  strategies: () => api.get<StrategyDef[]>('/monitor/strategies'),
  list: () => api.get<MonitoredStock[]>('/monitor/stocks'),
  /** 201 with the entry; 409 MONITOR_EXISTS when the stock is already watched */
  // switching automatic trading on needs the trade token, like placing an order
  add: (body: MonitoredStockBody) => api.post<MonitoredStock>('/monitor/stocks', body, { trade: true }),
  update: (code: string, body: Partial<MonitoredStockBody>) =>
    api.put<MonitoredStock>(`/monitor/stocks/${enc(code)}`, body, { trade: true }),
  remove: (code: string) => api.delete<unknown>(`/monitor/stocks/${enc(code)}`),
  signals: (q: PageQuery = {}) => api.get<Page<Signal>>('/signals', q),
}

/** Reports: the statement (交割单) as JSON or a file, and performance by strategy (READ access). */
export const reportsApi = {
  statement: (q: StatementQuery = {}) => api.get<Statement>('/reports/statement', { ...q }),
  /** the same statement as a CSV (UTF-8 with BOM) or Excel download, fetched with the session's token */
  statementFile: (q: StatementQuery, format: StatementFileFormat) => api.file('/reports/statement', { ...q, format }),
  performance: (q: PerformanceQuery = {}) => api.get<Performance>('/reports/performance', { ...q }),
}

export const auditApi = {
  list: (q: PageQuery) => api.get<Page<AuditEntry>>('/audit', q),
}

/** Lists that may come paginated or bare. */
export function itemsOf<T>(v: T[] | Page<T> | null | undefined): T[] {
  if (!v) return []
  return Array.isArray(v) ? v : v.items ?? []
}
