// The one HTTP client of the UI: bearer + language headers, the {code:0,message,data} envelope
// unwrapped, every failure turned into an ApiError carrying the server's stable `error` code and its
// human `message`. No request is ever retried automatically (axios does not, and nothing here does):
// an order POST that timed out is retried only by the user, with the same client_order_id.
import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig, type InternalAxiosRequestConfig } from 'axios'
import type { ErrorBody } from './types'

declare module 'axios' {
  interface AxiosRequestConfig {
    /** send X-Trade-Token (order placement / cancel / signal execution) */
    trade?: boolean
    /** a 401 from this call is a form error, not the end of the session (login) */
    skipAuthRedirect?: boolean
    /** do not add the current account's `account_id` (a call that names its own, or none) */
    noAccount?: boolean
  }
}

export class ApiError extends Error {
  /** HTTP status; 0 when no answer arrived */
  readonly status: number
  /** the server's stable code (`TRADE_LOCKED`, `RISK_MAX_ORDER_VALUE`...), or NETWORK_ERROR / TIMEOUT / HTTP_<status> */
  readonly code: string
  readonly data: unknown

  constructor(status: number, code: string, message: string, data: unknown = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.data = data
  }

  /** The request may or may not have taken effect (no answer, timeout, 5xx). */
  get ambiguous(): boolean {
    return this.status === 0 || (this.status >= 500 && this.code !== 'BROKER_UNAVAILABLE')
  }
}

export interface RequestHooks {
  getToken: () => string | null
  getTradeToken: () => string | null
  getLocale: () => string
  /** the account the UI works on (`account_id` of account-scoped calls); null = the desk's default */
  getAccountId: () => string | null
  /** the session is over (401 on an authenticated call) */
  onUnauthorized: (err: ApiError) => void
  /** the server says the trade token is missing or expired */
  onTradeLocked: (err: ApiError) => void
  /** localized texts of failures that have no server message */
  text: (key: 'network' | 'timeout' | 'http', status?: number) => string
}

const defaultText: RequestHooks['text'] = (key, status) =>
  key === 'network' ? '网络错误，无法连接服务器' : key === 'timeout' ? '请求超时' : `请求失败（HTTP ${status}）`

let hooks: RequestHooks = {
  getToken: () => null,
  getTradeToken: () => null,
  getLocale: () => 'zh-CN',
  getAccountId: () => null,
  onUnauthorized: () => undefined,
  onTradeLocked: () => undefined,
  text: defaultText,
}

export function configureRequest(h: Partial<RequestHooks>): void {
  hooks = { ...hooks, ...h }
}

const SESSION_ENDED = new Set(['AUTH_REQUIRED', 'AUTH_INVALID_TOKEN', 'AUTH_EXPIRED', 'HTTP_401'])

function isErrorBody(v: unknown): v is ErrorBody {
  return !!v && typeof v === 'object' && typeof (v as ErrorBody).error === 'string'
}

/** Map any axios failure to an ApiError, and fire the 401 / TRADE_LOCKED hooks. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const ax = err as AxiosError
  const cfg = (ax?.config ?? {}) as InternalAxiosRequestConfig
  let apiErr: ApiError
  if (ax?.response) {
    const { status, data } = ax.response
    if (isErrorBody(data)) {
      apiErr = new ApiError(status, data.error, data.message || data.error, data.data ?? null)
    } else {
      const msg =
        data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
          ? (data as { message: string }).message
          : hooks.text('http', status)
      apiErr = new ApiError(status, `HTTP_${status}`, msg, data ?? null)
    }
    if (status === 401 && !cfg.skipAuthRedirect && SESSION_ENDED.has(apiErr.code)) hooks.onUnauthorized(apiErr)
    if (apiErr.code === 'TRADE_LOCKED') hooks.onTradeLocked(apiErr)
  } else if (ax?.code === 'ECONNABORTED' || ax?.code === 'ETIMEDOUT') {
    apiErr = new ApiError(0, 'TIMEOUT', hooks.text('timeout'))
  } else if (ax?.code === 'ERR_CANCELED') {
    apiErr = new ApiError(0, 'CANCELED', 'canceled')
  } else {
    apiErr = new ApiError(0, 'NETWORK_ERROR', hooks.text('network'))
  }
  return apiErr
}

// Routes that work on one account (API.md "Accounts"): every /trading, /risk, /signals, /monitor, /ipo
// and /reports route, and the paper reset. The global kill switch (/risk/halt-all, /risk/resume-all)
// acts on every account and names none.
const ACCOUNT_SCOPED = /^\/?(trading|risk|signals|monitor|ipo|reports)(\/|\?|$)|^\/?paper\/reset(\?|$)/
const ALL_ACCOUNTS = /^\/?risk\/(halt-all|resume-all)(\?|$)/
// These also take `account_id` in the body (it wins over the query).
const BODY_ACCOUNT = /^\/?trading\/(order|orders|orders\/cancel-all)(\?|$)/

/** Whether a call (by its URL under /api/v1) is about one account and so carries `account_id`. */
export function isAccountScoped(url: string | undefined): boolean {
  if (!url) return false
  return ACCOUNT_SCOPED.test(url) && !ALL_ACCOUNTS.test(url)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
}

/** Adds the current account to an account-scoped call: `?account_id=` and, for order POSTs, the body. */
export function withAccount<C extends AxiosRequestConfig>(config: C, accountId: string | null): C {
  if (!accountId || config.noAccount || !isAccountScoped(config.url)) return config
  const params = (config.params ?? {}) as Record<string, unknown>
  if (params.account_id === undefined || params.account_id === null || params.account_id === '') {
    config.params = { ...params, account_id: accountId }
  }
  const method = (config.method ?? 'get').toLowerCase()
  if (method === 'post' && BODY_ACCOUNT.test(config.url ?? '')) {
    if (config.data === undefined || config.data === null) config.data = { account_id: accountId }
    else if (isPlainObject(config.data) && !config.data.account_id) config.data = { ...config.data, account_id: accountId }
  }
  return config
}

export function createHttp(): AxiosInstance {
  const instance = axios.create({ baseURL: '/api/v1', timeout: 15_000 })
  instance.interceptors.request.use((config) => {
    const token = hooks.getToken()
    if (token) config.headers.set('Authorization', `Bearer ${token}`)
    config.headers.set('Accept-Language', hooks.getLocale())
    // marks orders placed here as source "ui"
    config.headers.set('X-Client', 'ui')
    if (config.trade) {
      const tt = hooks.getTradeToken()
      if (tt) config.headers.set('X-Trade-Token', tt)
    }
    return withAccount(config, hooks.getAccountId())
  })
  instance.interceptors.response.use(
    (res) => res,
    (err) => Promise.reject(toApiError(err)),
  )
  return instance
}

export const http = createHttp()

/** Unwrap `{code: 0, message, data}`; a body with a non-zero code is an error even on HTTP 2xx. */
export function unwrap<T>(status: number, body: unknown): T {
  if (body && typeof body === 'object' && 'code' in body) {
    const env = body as { code: number; message?: string; error?: string; data?: unknown }
    if (env.code !== 0) {
      throw new ApiError(status, env.error ?? `API_${env.code}`, env.message ?? hooks.text('http', status), env.data ?? null)
    }
    return env.data as T
  }
  return body as T
}

export async function request<T>(config: AxiosRequestConfig): Promise<T> {
  const res = await http.request(config)
  return unwrap<T>(res.status, res.data)
}

/** A file the server sent: its bytes, and the headers that name it. */
export interface FileResponse {
  blob: Blob
  /** the Content-Disposition header (its `filename`), null when absent */
  disposition: string | null
  contentType: string | null
}

function header(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>
  const v = typeof h.get === 'function' ? h.get(name) : (h[name] ?? h[name.toLowerCase()])
  return typeof v === 'string' && v ? v : null
}

/**
 * A download through the same client as every call (bearer, account, language), as a Blob. A
 * refusal arrives as a Blob too: its JSON error body is read back into the ApiError.
 */
export async function requestFile(config: AxiosRequestConfig): Promise<FileResponse> {
  try {
    const res = await http.request<Blob>({ ...config, responseType: 'blob' })
    const blob = res.data instanceof Blob ? res.data : new Blob([res.data as BlobPart])
    return { blob, disposition: header(res.headers, 'content-disposition'), contentType: header(res.headers, 'content-type') }
  } catch (e) {
    throw await blobError(e)
  }
}

/** An ApiError whose body is still a Blob (a `responseType: 'blob'` call) with the body's own code and message. */
export async function blobError(e: unknown): Promise<unknown> {
  if (!(e instanceof ApiError) || typeof Blob === 'undefined' || !(e.data instanceof Blob)) return e
  let body: unknown = null
  try {
    body = JSON.parse(await e.data.text())
  } catch {
    return new ApiError(e.status, e.code, e.message, null)
  }
  if (isErrorBody(body)) return new ApiError(e.status, body.error, body.message || body.error, body.data ?? null)
  return new ApiError(e.status, e.code, e.message, body)
}

export const api = {
  get: <T>(url: string, params?: Record<string, unknown>, config: AxiosRequestConfig = {}) =>
    request<T>({ ...config, method: 'GET', url, params: cleanParams(params) }),
  post: <T>(url: string, data?: unknown, config: AxiosRequestConfig = {}) =>
    request<T>({ ...config, method: 'POST', url, data }),
  put: <T>(url: string, data?: unknown, config: AxiosRequestConfig = {}) =>
    request<T>({ ...config, method: 'PUT', url, data }),
  patch: <T>(url: string, data?: unknown, config: AxiosRequestConfig = {}) =>
    request<T>({ ...config, method: 'PATCH', url, data }),
  delete: <T>(url: string, config: AxiosRequestConfig = {}) => request<T>({ ...config, method: 'DELETE', url }),
  /** GET a file (CSV, Excel) as a Blob with the session's headers */
  file: (url: string, params?: Record<string, unknown>, config: AxiosRequestConfig = {}) =>
    requestFile({ ...config, method: 'GET', url, params: cleanParams(params), timeout: config.timeout ?? 60_000 }),
}

/** Drop empty filters so `?status=&side=` is never sent. */
export function cleanParams(params?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!params) return undefined
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue
    out[k] = Array.isArray(v) ? v.join(',') : v
  }
  return out
}

/** A human message for anything thrown (ApiError or not). */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}
