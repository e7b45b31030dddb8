import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, api, cleanParams, configureRequest, isAccountScoped } from '@/api/request'
import { accountsApi, authApi, marketApi, monitorApi, paperApi, riskApi, tradingApi } from '@/api/endpoints'
import { fail, installMock, ok } from './mockAdapter'

let token: string | null
let tradeToken: string | null
let locale: string
let accountId: string | null
const onUnauthorized = vi.fn()
const onTradeLocked = vi.fn()

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p
  } catch (e) {
    return e as ApiError
  }
  throw new Error('expected a failure')
}

beforeEach(() => {
  token = 'access-1'
  tradeToken = null
  locale = 'zh-CN'
  accountId = null
  onUnauthorized.mockReset()
  onTradeLocked.mockReset()
  configureRequest({
    getToken: () => token,
    getTradeToken: () => tradeToken,
    getLocale: () => locale,
    getAccountId: () => accountId,
    onUnauthorized,
    onTradeLocked,
  })
})

describe('request client', () => {
  it('unwraps the {code:0, message, data} envelope', async () => {
    const calls = installMock(() => ok({ cash: '100.00' }))
    await expect(api.get('/trading/account')).resolves.toEqual({ cash: '100.00' })
    expect(calls[0].url).toBe('/trading/account')
  })

  it('injects Bearer and Accept-Language on every call', async () => {
    const calls = installMock(() => ok(null))
    locale = 'en'
    await api.get('/auth/me')
    expect(calls[0].headers.Authorization).toBe('Bearer access-1')
    expect(calls[0].headers['Accept-Language']).toBe('en')
    expect(calls[0].headers['X-Client']).toBe('ui')
    token = null
    await api.get('/health')
    expect(calls[1].headers.Authorization).toBeUndefined()
  })

  it('sends X-Trade-Token only on trading calls', async () => {
    const calls = installMock(() => ok({ order_id: 'o1' }, 201))
    tradeToken = 'tt-9'
    await tradingApi.placeOrder({ stock_code: '600000.SH', side: 'buy', quantity: 100, price_type: 'limit', price: '10.00', client_order_id: 'ui-1' })
    await tradingApi.cancel('o1')
    await tradingApi.cancelAll()
    await tradingApi.account()
    expect(calls.map((c) => c.headers['X-Trade-Token'])).toEqual(['tt-9', 'tt-9', 'tt-9', undefined])
    expect(calls[0].data).toMatchObject({ client_order_id: 'ui-1', price: '10.00' })
  })

  it('maps an error body to ApiError with code, message and data', async () => {
    const denied = { order: { order_id: 'o7', status: 'denied' } }
    installMock(() => fail(422, 'INSUFFICIENT_FUNDS', '可用资金不足', denied))
    const err = await failure(api.post('/trading/order', {}))
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.code).toBe('INSUFFICIENT_FUNDS')
    expect(err.message).toBe('可用资金不足')
    expect(err.data).toEqual(denied)
    expect(err.ambiguous).toBe(false)
  })

  it('treats a non-zero code inside a 2xx body as an error', async () => {
    installMock(() => ({ status: 200, body: { code: 409, error: 'X', message: 'bad', data: null } }))
    await expect(api.get('/x')).rejects.toMatchObject({ code: 'X', message: 'bad' })
  })

  it('maps bodies without the error shape to HTTP_<status>', async () => {
    installMock(() => ({ status: 502, body: '<html>bad gateway</html>' }))
    const err = await failure(api.get('/x'))
    expect(err.code).toBe('HTTP_502')
    expect(err.message).toContain('502')
    expect(err.ambiguous).toBe(true)
  })

  it('maps network failures and timeouts', async () => {
    installMock(() => ({ network: true }))
    const net = await failure(api.get('/x'))
    expect(net).toMatchObject({ status: 0, code: 'NETWORK_ERROR' })
    expect(net.ambiguous).toBe(true)
    installMock(() => ({ timeout: true }))
    await expect(api.get('/x')).rejects.toMatchObject({ status: 0, code: 'TIMEOUT' })
  })

  it('ends the session on 401 of an authenticated call', async () => {
    installMock(() => fail(401, 'AUTH_INVALID_TOKEN', '登录已失效'))
    await expect(api.get('/trading/account')).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('does not end the session for a wrong password at login or password change', async () => {
    installMock(() => fail(401, 'AUTH_INVALID_CREDENTIALS', '用户名或密码错误'))
    await expect(authApi.login('admin', 'x')).rejects.toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS', message: '用户名或密码错误' })
    await expect(authApi.changePassword('bad', 'newpassword')).rejects.toMatchObject({ code: 'AUTH_INVALID_CREDENTIALS' })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('reports TRADE_LOCKED so the trade token is dropped', async () => {
    installMock(() => fail(403, 'TRADE_LOCKED', '请先解锁交易'))
    await expect(tradingApi.cancel('o1')).rejects.toMatchObject({ code: 'TRADE_LOCKED', status: 403 })
    expect(onTradeLocked).toHaveBeenCalledTimes(1)
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('never retries an order POST, whatever the failure', async () => {
    for (const reply of [{ network: true } as const, { timeout: true } as const, fail(503, 'BROKER_UNAVAILABLE', 'down'), { status: 500, body: null }]) {
      const calls = installMock(() => reply)
      await tradingApi
        .placeOrder({ stock_code: '600000.SH', side: 'buy', quantity: 100, price_type: 'limit', price: '10.00', client_order_id: 'ui-x' })
        .catch(() => undefined)
      await new Promise((r) => setTimeout(r, 5))
      expect(calls).toHaveLength(1)
    }
  })

  it('drops empty query parameters', async () => {
    const calls = installMock(() => ok({ items: [], total: 0, page: 1, page_size: 20 }))
    await tradingApi.orders({ page: 1, page_size: 20, status: '', side: undefined, stock_code: '600000' })
    expect(calls[0].params).toEqual({ page: 1, page_size: 20, stock_code: '600000' })
    expect(cleanParams({ a: [], b: ['x', 'y'], c: null })).toEqual({ b: 'x,y' })
  })
})

describe('request client: the current account', () => {
  const accountOf = (c: { params: unknown }) => (c.params as Record<string, unknown> | undefined)?.account_id

  it('adds ?account_id= to every /trading, /risk, /signals and /monitor call', async () => {
    const calls = installMock(() => ok([]))
    accountId = 'P2'
    await tradingApi.status()
    await tradingApi.account()
    await tradingApi.positions()
    await tradingApi.orders({ page: 1, page_size: 20, status: 'open' })
    await tradingApi.order(7)
    await tradingApi.equity({ from: '2026-01-01' })
    await riskApi.rules()
    await riskApi.metrics()
    await riskApi.halt('x', true)
    await monitorApi.list()
    await monitorApi.signals({ page: 1 })
    await paperApi.reset('500000')
    expect(calls.map((c) => `${c.url} ${accountOf(c)}`)).toEqual([
      '/trading/status P2',
      '/trading/account P2',
      '/trading/positions P2',
      '/trading/orders P2',
      '/trading/orders/7 P2',
      '/trading/equity P2',
      '/risk/rules P2',
      '/risk/metrics P2',
      '/risk/halt P2',
      '/monitor/stocks P2',
      '/signals P2',
      '/paper/reset P2',
    ])
    // the page's own filters stay
    expect(calls[3].params).toEqual({ page: 1, page_size: 20, status: 'open', account_id: 'P2' })
  })

  it('leaves desk-wide calls alone: auth, market, the account list, admin, the global kill switch', async () => {
    const calls = installMock(() => ok({ accounts: [] }))
    accountId = 'P2'
    await authApi.me()
    await marketApi.quote('600000.SH')
    await accountsApi.list()
    await accountsApi.overview()
    await accountsApi.rename('P2', 'x')
    await riskApi.haltAll('all', true)
    await riskApi.resumeAll('')
    await paperApi.clock()
    expect(calls.map((c) => accountOf(c))).toEqual(Array(8).fill(undefined))
    expect(calls[5]).toMatchObject({ url: '/risk/halt-all', data: { reason: 'all', cancel_open_orders: true } })
    expect((calls[5].data as Record<string, unknown>).account_id).toBeUndefined()
  })

  it('puts the account in the body of an order and of cancel-all too; an account named by the caller wins', async () => {
    const calls = installMock(() => ok({ order_id: 'o1' }, 201))
    accountId = 'P2'
    tradeToken = 'tt'
    await tradingApi.placeOrder({ stock_code: '600000.SH', side: 'buy', quantity: 100, price_type: 'limit', price: '10.00', client_order_id: 'ui-1' })
    await tradingApi.cancelAll()
    await tradingApi.cancelAll({ stock_code: '600000.SH' })
    await tradingApi.cancel('o1')
    // the order ticket names the account it showed in the confirmation
    await tradingApi.placeOrder({ stock_code: '600000.SH', side: 'buy', quantity: 100, price_type: 'limit', price: '10.00', account_id: 'PAPER' })
    expect(calls[0].data).toEqual({ stock_code: '600000.SH', side: 'buy', quantity: 100, price_type: 'limit', price: '10.00', client_order_id: 'ui-1', account_id: 'P2' })
    expect(accountOf(calls[0])).toBe('P2')
    expect(calls[1].data).toEqual({ account_id: 'P2' })
    expect(calls[2].data).toEqual({ stock_code: '600000.SH', account_id: 'P2' })
    expect(calls[3]).toMatchObject({ url: '/trading/orders/o1/cancel', data: undefined })
    expect(accountOf(calls[3])).toBe('P2')
    expect((calls[4].data as Record<string, unknown>).account_id).toBe('PAPER')
    expect(calls.map((c) => c.headers['X-Trade-Token'])).toEqual(['tt', 'tt', 'tt', 'tt', 'tt'])
  })

  it('sends no account_id before an account is chosen (the desk default), nor when the call opts out', async () => {
    const calls = installMock(() => ok({}))
    await tradingApi.account()
    accountId = 'P2'
    await api.get('/trading/account', undefined, { noAccount: true })
    await api.get('/trading/account', { account_id: 'P3' })
    expect(calls.map((c) => accountOf(c))).toEqual([undefined, undefined, 'P3'])
  })

  it('knows which paths are account-scoped', () => {
    for (const u of ['/trading/order', 'trading/orders/1', '/risk', '/risk/rules/max_order_value', '/signals', '/signals/s-1', '/monitor/stocks', '/paper/reset', '/reports/statement', '/reports/performance', '/ipo/subscriptions'])
      expect(isAccountScoped(u), u).toBe(true)
    for (const u of ['/tradingx', '/reportsx', '/risk/halt-all', '/risk/resume-all', '/accounts', '/accounts/overview', '/admin/accounts/P2', '/market/quote/600000.SH', '/paper/clock', '/auth/me', undefined])
      expect(isAccountScoped(u), String(u)).toBe(false)
  })
})
