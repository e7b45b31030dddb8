import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureRequest } from '@/api/request'
import { SESSION_KEY, useAuthStore } from '@/stores/auth'
import { EXPIRY_MARGIN_MS, useTradeTokenStore } from '@/stores/tradeToken'
import { fail, installMock, ok } from './mockAdapter'
import { user as userFixture } from './helpers'

const user = userFixture({ id: 1, username: 'admin', role: 'admin', trading_password_set: true })

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
  const auth = useAuthStore()
  const trade = useTradeTokenStore()
  configureRequest({
    getToken: () => auth.token,
    getTradeToken: () => trade.validToken(),
    getLocale: () => 'zh-CN',
    onUnauthorized: () => auth.clearSession(),
    onTradeLocked: () => trade.clear(),
  })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('auth store', () => {
  it('logs in, keeps the session in localStorage and loads /auth/me', async () => {
    const calls = installMock((c) =>
      c.url === '/auth/login'
        ? ok({ access_token: 'jwt-1', token_type: 'bearer', expires_in: 3600, user })
        : ok({ ...user, trading_password_set: false }),
    )
    const auth = useAuthStore()
    await auth.login('admin', 'secret')
    expect(calls[0].data).toEqual({ username: 'admin', password: 'secret' })
    expect(calls[1].url).toBe('/auth/me')
    expect(calls[1].headers.Authorization).toBe('Bearer jwt-1')
    expect(auth.isAuthenticated).toBe(true)
    expect(auth.isAdmin).toBe(true)
    expect(auth.user?.trading_password_set).toBe(false)
    const saved = JSON.parse(localStorage.getItem(SESSION_KEY)!)
    expect(saved.token).toBe('jwt-1')
    // a new store (page reload) restores it
    setActivePinia(createPinia())
    expect(useAuthStore().token).toBe('jwt-1')
  })

  it('flags a forced password change and clears it after POST /auth/password', async () => {
    const calls = installMock((c) =>
      c.url === '/auth/login'
        ? ok({ access_token: 'jwt-2', token_type: 'bearer', expires_in: 3600, user: { ...user, must_change_password: true } })
        : ok({ access_token: 'jwt-3', token_type: 'bearer', expires_in: 3600, user: { ...user, must_change_password: false } }),
    )
    const auth = useAuthStore()
    await auth.login('admin', 'initial')
    expect(auth.mustChangePassword).toBe(true)
    expect(calls).toHaveLength(1) // no /auth/me before the password is changed
    await auth.changePassword('initial', 'a-better-one')
    expect(calls[1]).toMatchObject({ url: '/auth/password', data: { old_password: 'initial', new_password: 'a-better-one' } })
    expect(auth.mustChangePassword).toBe(false)
  })

  it('takes the new session a password change answers with (old tokens are revoked)', async () => {
    installMock((c) =>
      c.url === '/auth/login'
        ? ok({ access_token: 'jwt-old', token_type: 'bearer', expires_in: 3600, user: { ...user, must_change_password: true } })
        : ok({ access_token: 'jwt-new', token_type: 'bearer', expires_in: 7200, user: { ...user, must_change_password: false } }),
    )
    const auth = useAuthStore()
    await auth.login('admin', 'initial')
    await auth.changePassword('initial', 'a-better-one')
    expect(auth.token).toBe('jwt-new')
    expect(auth.mustChangePassword).toBe(false)
    expect(JSON.parse(localStorage.getItem(SESSION_KEY)!).token).toBe('jwt-new')
  })

  it('keeps nothing after a failed login', async () => {
    installMock(() => fail(401, 'AUTH_INVALID_CREDENTIALS', '用户名或密码错误'))
    const auth = useAuthStore()
    await expect(auth.login('admin', 'bad')).rejects.toMatchObject({ message: '用户名或密码错误' })
    expect(auth.token).toBeNull()
    expect(localStorage.getItem(SESSION_KEY)).toBeNull()
  })

  it('treats an expired session as signed out', () => {
    const auth = useAuthStore()
    auth.setSession('jwt', 60, user, Date.now() - 61_000)
    expect(auth.isAuthenticated).toBe(false)
    setActivePinia(createPinia())
    expect(useAuthStore().token).toBeNull() // an expired saved session is not restored
  })

  it('a 401 on an authenticated call clears the session and the trade token', async () => {
    const auth = useAuthStore()
    const trade = useTradeTokenStore()
    auth.setSession('jwt', 3600, user)
    trade.set('tt', 900)
    installMock(() => fail(401, 'AUTH_INVALID_TOKEN', 'expired'))
    await auth.fetchMe().catch(() => undefined)
    expect(auth.token).toBeNull()
    expect(trade.token).toBeNull()
    expect(localStorage.getItem(SESSION_KEY)).toBeNull()
  })

  it('logout revokes trade tokens and forgets everything', async () => {
    const calls = installMock(() => ok(null))
    const auth = useAuthStore()
    const trade = useTradeTokenStore()
    auth.setSession('jwt', 3600, user)
    trade.set('tt', 900)
    await auth.logout()
    expect(calls.map((c) => c.url)).toEqual(['/auth/trade-lock'])
    expect(auth.token).toBeNull()
    expect(trade.token).toBeNull()
  })

  it('derives roles', () => {
    const auth = useAuthStore()
    auth.setSession('jwt', 3600, { ...user, role: 'viewer' })
    expect(auth.canTrade).toBe(false)
    expect(auth.isAdmin).toBe(false)
    auth.setSession('jwt', 3600, { ...user, role: 'trader' })
    expect(auth.canTrade).toBe(true)
  })
})

describe('trade token store', () => {
  it('unlocks with the trading password and keeps the token in memory only', async () => {
    const calls = installMock(() => ok({ trade_token: 'tt-1', expires_in: 900 }))
    const trade = useTradeTokenStore()
    await trade.unlock('123456')
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/auth/trade-unlock', data: { trading_password: '123456' } })
    expect(trade.validToken()).toBe('tt-1')
    const everything = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })
    expect(everything).not.toContain('tt-1')
  })

  it('expires (with a safety margin) and drops the token', () => {
    const trade = useTradeTokenStore()
    const t0 = 1_000_000
    trade.set('tt', 900, t0)
    expect(trade.validToken(t0 + 1000)).toBe('tt')
    expect(trade.remainingSeconds(t0)).toBe(900 - EXPIRY_MARGIN_MS / 1000)
    expect(trade.validToken(t0 + 900_000 - EXPIRY_MARGIN_MS + 1)).toBeNull()
    expect(trade.token).toBeNull()
    expect(trade.remainingSeconds(t0)).toBe(0)
  })

  it('clears itself on a timer at expiry', () => {
    vi.useFakeTimers()
    const trade = useTradeTokenStore()
    trade.set('tt', 60)
    vi.advanceTimersByTime(60_000 - EXPIRY_MARGIN_MS - 1000)
    expect(trade.token).toBe('tt')
    vi.advanceTimersByTime(2000)
    expect(trade.token).toBeNull()
  })

  it('is sent as X-Trade-Token while valid, and dropped on TRADE_LOCKED', async () => {
    const trade = useTradeTokenStore()
    trade.set('tt-2', 900)
    const calls = installMock(() => fail(403, 'TRADE_LOCKED', '交易未解锁'))
    await expect(
      (await import('@/api/endpoints')).tradingApi.cancel('o1'),
    ).rejects.toMatchObject({ code: 'TRADE_LOCKED' })
    expect(calls[0].headers['X-Trade-Token']).toBe('tt-2')
    expect(trade.token).toBeNull()
  })

  it('lock() revokes on the server and clears locally even if that fails', async () => {
    installMock(() => ({ network: true }))
    const trade = useTradeTokenStore()
    trade.set('tt', 900)
    await trade.lock().catch(() => undefined)
    expect(trade.token).toBeNull()
  })
})
