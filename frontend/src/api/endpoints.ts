// Typed calls of API.md (prefix /api/v1 is the client's baseURL). Each call's answer is the `data` of
// its route's success envelope as the generated OpenAPI types describe it (`AnswerOf<route, method>`),
// and each request body a generated request model (types.ts), so a call cannot drift from the API.
import { api } from './request'
import type {
  AccountPatch,
  AdvanceBody,
  AlgoOrderRequest,
  AnswerOf,
  ApiTokenBody,
  BarPeriod,
  BracketRequest,
  CancelAllBody,
  HaltBody,
  HeldOrderRequest,
  Id,
  LoginBody,
  MethodOf,
  MiniqmtBody,
  MonitoredStockBody,
  MonitoredStockPatch,
  NewAccountBody,
  NewUserBody,
  OrderRequest,
  Page,
  PasswordBody,
  PerformanceQuery,
  ResetBody,
  ResumeBody,
  Route,
  RiskRuleUpdate,
  StatementFileFormat,
  StatementQuery,
  TradeUnlockBody,
  TradingPasswordBody,
  UserPatchBody,
} from './types'

/** The answer of route R (method M). */
type A<R extends Route, M extends MethodOf<R>> = AnswerOf<R, M>

const enc = encodeURIComponent

export interface PageQuery {
  page?: number
  page_size?: number
  [k: string]: unknown
}

export const authApi = {
  login: (username: string, password: string) =>
    api.post<A<'/auth/login', 'post'>>('/auth/login', { username, password } satisfies LoginBody, { skipAuthRedirect: true }),
  me: () => api.get<A<'/auth/me', 'get'>>('/auth/me'),
  /** Answers a fresh session ({access_token, expires_in, user}): a password change revokes the old tokens. */
  changePassword: (old_password: string, new_password: string) =>
    api.post<A<'/auth/password', 'post'>>('/auth/password', { old_password, new_password } satisfies PasswordBody, {
      skipAuthRedirect: true,
    }),
  setTradingPassword: (password: string, new_trading_password: string) =>
    api.post<A<'/auth/trading-password', 'post'>>(
      '/auth/trading-password',
      { password, new_trading_password } satisfies TradingPasswordBody,
      { skipAuthRedirect: true },
    ),
  tradeUnlock: (trading_password: string) =>
    api.post<A<'/auth/trade-unlock', 'post'>>('/auth/trade-unlock', { trading_password } satisfies TradeUnlockBody),
  tradeLock: () => api.post<A<'/auth/trade-lock', 'post'>>('/auth/trade-lock'),
  listTokens: () => api.get<A<'/auth/api-tokens', 'get'>>('/auth/api-tokens'),
  /** the answer carries the secret (`token`), shown this once */
  createToken: (body: ApiTokenBody) => api.post<A<'/auth/api-tokens', 'post'>>('/auth/api-tokens', body),
  deleteToken: (id: Id) => api.delete<A<'/auth/api-tokens/{token_id}', 'delete'>>(`/auth/api-tokens/${enc(String(id))}`),
}

export const usersApi = {
  list: () => api.get<A<'/users', 'get'>>('/users'),
  create: (body: NewUserBody) => api.post<A<'/users', 'post'>>('/users', body),
  update: (id: Id, body: UserPatchBody) => api.patch<A<'/users/{user_id}', 'patch'>>(`/users/${enc(String(id))}`, body),
}

export const accountsApi = {
  /** the accounts the signed-in user may use, the default first */
  list: () => api.get<A<'/accounts', 'get'>>('/accounts'),
  overview: () => api.get<A<'/accounts/overview', 'get'>>('/accounts/overview'),
  /** admin: a new paper account, started at once; 409 ACCOUNT_EXISTS */
  create: (body: NewAccountBody) => api.post<A<'/admin/accounts', 'post'>>('/admin/accounts', body),
  rename: (id: string, name: string) =>
    api.patch<A<'/admin/accounts/{account_id}', 'patch'>>(`/admin/accounts/${enc(id)}`, { name } satisfies AccountPatch),
  /** 409 ACCOUNT_IS_DEFAULT / ACCOUNT_HAS_OPEN_ORDERS (data.open_orders) */
  remove: (id: string) => api.delete<A<'/admin/accounts/{account_id}', 'delete'>>(`/admin/accounts/${enc(id)}`),
}

export const tradingApi = {
  status: () => api.get<A<'/trading/status', 'get'>>('/trading/status'),
  /** the link's state after it, and the reconciliation when it came up */
  connect: () => api.post<A<'/trading/connect', 'post'>>('/trading/connect', undefined, { timeout: 60_000 }),
  disconnect: () => api.post<A<'/trading/disconnect', 'post'>>('/trading/disconnect'),
  account: () => api.get<A<'/trading/account', 'get'>>('/trading/account'),
  positions: () => api.get<A<'/trading/positions', 'get'>>('/trading/positions'),
  position: (code: string) => api.get<A<'/trading/positions/{stock_code}', 'get'>>(`/trading/positions/${enc(code)}`),
  // Never retried automatically; the caller keeps client_order_id for a user-initiated retry.
  placeOrder: (body: OrderRequest) => api.post<A<'/trading/order', 'post'>>('/trading/order', body, { trade: true }),
  orders: (q: PageQuery) => api.get<A<'/trading/orders', 'get'>>('/trading/orders', q),
  /** the order with its timeline (`events`) */
  order: (id: Id) => api.get<A<'/trading/orders/{order_id}', 'get'>>(`/trading/orders/${enc(String(id))}`),
  orderByClientId: (cid: string) =>
    api.get<A<'/trading/orders/by-client-id/{client_order_id}', 'get'>>(`/trading/orders/by-client-id/${enc(cid)}`),
  cancel: (id: Id) =>
    api.post<A<'/trading/orders/{order_id}/cancel', 'post'>>(`/trading/orders/${enc(String(id))}/cancel`, undefined, { trade: true }),
  cancelAll: (body: CancelAllBody = {}) =>
    api.post<A<'/trading/orders/cancel-all', 'post'>>('/trading/orders/cancel-all', body, { trade: true }),
  trades: (q: PageQuery) => api.get<A<'/trading/trades', 'get'>>('/trading/trades', q),
  equity: (q: { from?: string; to?: string } = {}) => api.get<A<'/trading/equity', 'get'>>('/trading/equity', q),
}

/** Held orders (条件单): the desk holds them and places an ordinary order when the trigger holds. */
export const heldApi = {
  /** `state`: live | final | a comma list of states */
  list: (q: PageQuery & { state?: string; stock_code?: string } = {}) =>
    api.get<A<'/trading/conditional-orders', 'get'>>('/trading/conditional-orders', q),
  get: (id: Id) => api.get<A<'/trading/conditional-orders/{held_id}', 'get'>>(`/trading/conditional-orders/${enc(String(id))}`),
  create: (body: HeldOrderRequest) =>
    api.post<A<'/trading/conditional-orders', 'post'>>('/trading/conditional-orders', body, { trade: true }),
  /** take-profit and stop-loss on an entry order, one-cancels-other */
  bracket: (body: BracketRequest) =>
    api.post<A<'/trading/conditional-orders/bracket', 'post'>>('/trading/conditional-orders/bracket', body, { trade: true }),
  /** 409 HELD_ORDER_NOT_CANCELABLE once fired or final */
  cancel: (id: Id) =>
    api.post<A<'/trading/conditional-orders/{held_id}/cancel', 'post'>>(
      `/trading/conditional-orders/${enc(String(id))}/cancel`,
      undefined,
      { trade: true },
    ),
}

/** Execution algorithms: TWAP and iceberg orders the desk slices into child orders. */
export const algoApi = {
  list: (q: PageQuery & { state?: string; stock_code?: string } = {}) =>
    api.get<A<'/trading/algo-orders', 'get'>>('/trading/algo-orders', q),
  /** with `children` (its orders) */
  get: (id: Id) => api.get<A<'/trading/algo-orders/{algo_id}', 'get'>>(`/trading/algo-orders/${enc(String(id))}`),
  create: (body: AlgoOrderRequest) => api.post<A<'/trading/algo-orders', 'post'>>('/trading/algo-orders', body, { trade: true }),
  /** cancels the working child; 409 ALGO_ORDER_NOT_CANCELABLE once final */
  cancel: (id: Id) =>
    api.post<A<'/trading/algo-orders/{algo_id}/cancel', 'post'>>(`/trading/algo-orders/${enc(String(id))}/cancel`, undefined, {
      trade: true,
    }),
}

export const marketApi = {
  quote: (code: string) => api.get<A<'/market/quote/{stock_code}', 'get'>>(`/market/quote/${enc(code)}`),
  quotes: (codes: string[]) => api.get<A<'/market/quotes', 'get'>>('/market/quotes', { codes: codes.join(',') }),
  instruments: (q: string, limit = 20) => api.get<A<'/market/instruments', 'get'>>('/market/instruments', { q, limit }),
  /** 1m: today's one-minute bars; 1d: up to `count` daily bars ending with today's forming one */
  bars: (code: string, period: BarPeriod, count?: number) =>
    api.get<A<'/market/bars/{stock_code}', 'get'>>(`/market/bars/${enc(code)}`, count ? { period, count } : { period }),
}

export const configApi = {
  miniqmt: () => api.get<A<'/config/miniqmt', 'get'>>('/config/miniqmt'),
  /** null removes a stored value */
  updateMiniqmt: (values: MiniqmtBody) => api.put<A<'/config/miniqmt', 'put'>>('/config/miniqmt', values),
}

export const paperApi = {
  clock: () => api.get<A<'/paper/clock', 'get'>>('/paper/clock'),
  advance: (body: AdvanceBody) => api.post<A<'/paper/clock/advance', 'post'>>('/paper/clock/advance', body),
  reset: (cash: string) => api.post<A<'/paper/reset', 'post'>>('/paper/reset', { cash } satisfies ResetBody),
}

export const riskApi = {
  rules: () => api.get<A<'/risk/rules', 'get'>>('/risk/rules'),
  /** admin; omitted fields keep their value; a new strategy scope starts from the account's settings */
  updateRule: (rule: string, body: RiskRuleUpdate) => api.put<A<'/risk/rules/{rule}', 'put'>>(`/risk/rules/${enc(rule)}`, body),
  metrics: () => api.get<A<'/risk/metrics', 'get'>>('/risk/metrics'),
  events: (q: PageQuery = {}) => api.get<A<'/risk/events', 'get'>>('/risk/events', q),
  halt: (reason: string, cancel_open_orders: boolean) =>
    api.post<A<'/risk/halt', 'post'>>('/risk/halt', { reason, cancel_open_orders } satisfies HaltBody),
  resume: (reason: string) => api.post<A<'/risk/resume', 'post'>>('/risk/resume', { reason } satisfies ResumeBody),
  reduceOnly: (reason: string) => api.post<A<'/risk/reduce-only', 'post'>>('/risk/reduce-only', { reason } satisfies ResumeBody),
  /** the global kill switch: every account the caller reaches (no trade token needed) */
  haltAll: (reason: string, cancel_open_orders: boolean) =>
    api.post<A<'/risk/halt-all', 'post'>>('/risk/halt-all', { reason, cancel_open_orders } satisfies HaltBody),
  resumeAll: (reason: string) => api.post<A<'/risk/resume-all', 'post'>>('/risk/resume-all', { reason } satisfies ResumeBody),
}

export const monitorApi = {
  strategies: () => api.get<A<'/monitor/strategies', 'get'>>('/monitor/strategies'),
  list: () => api.get<A<'/monitor/stocks', 'get'>>('/monitor/stocks'),
  /** 201 with the entry; 409 MONITOR_EXISTS when the stock is already watched */
  // switching automatic trading on needs the trade token, like placing an order
  add: (body: MonitoredStockBody) => api.post<A<'/monitor/stocks', 'post'>>('/monitor/stocks', body, { trade: true }),
  update: (code: string, body: MonitoredStockPatch) =>
    api.put<A<'/monitor/stocks/{stock_code}', 'put'>>(`/monitor/stocks/${enc(code)}`, body, { trade: true }),
  remove: (code: string) => api.delete<A<'/monitor/stocks/{stock_code}', 'delete'>>(`/monitor/stocks/${enc(code)}`),
  signals: (q: PageQuery = {}) => api.get<A<'/signals', 'get'>>('/signals', q),
}

/** Reports: the statement (交割单) as JSON or a file, and performance by strategy (READ access). */
export const reportsApi = {
  statement: (q: StatementQuery = {}) => api.get<A<'/reports/statement', 'get'>>('/reports/statement', { ...q }),
  /** the same statement as a CSV (UTF-8 with BOM) or Excel download, fetched with the session's token */
  statementFile: (q: StatementQuery, format: StatementFileFormat) => api.file('/reports/statement', { ...q, format }),
  performance: (q: PerformanceQuery = {}) => api.get<A<'/reports/performance', 'get'>>('/reports/performance', { ...q }),
}

export const auditApi = {
  list: (q: PageQuery) => api.get<A<'/audit', 'get'>>('/audit', q),
}

/** The items of a page; none when there is no answer (a failed call caught as null). */
export function itemsOf<T>(v: Page<T> | null | undefined): T[] {
  return v ? v.items : []
}
