// Direct API calls for setup and for server-side checks (the UI flows go through the browser).
import { expect, type APIRequestContext } from '@playwright/test'
import { ADMIN } from './env'

export type Headers = Record<string, string>

/** Bearer + trade token headers for the admin (logs in and unlocks trading over the API). */
export async function tradeHeaders(request: APIRequestContext, bearer?: string): Promise<Headers> {
  let token = bearer
  if (!token) {
    const res = await request.post('/api/v1/auth/login', { data: { username: ADMIN.username, password: ADMIN.password } })
    expect(res.status(), await res.text()).toBe(200)
    token = (await res.json()).data.access_token as string
  }
  const auth = { Authorization: `Bearer ${token}` }
  const unlock = await request.post('/api/v1/auth/trade-unlock', { headers: auth, data: { trading_password: ADMIN.tradingPassword } })
  expect(unlock.status(), await unlock.text()).toBe(200)
  return { ...auth, 'X-Trade-Token': (await unlock.json()).data.trade_token as string, 'Accept-Language': 'zh-CN' }
}

export type OrderBody = { stock_code: string; side: 'buy' | 'sell'; quantity: number; price_type: string; price?: string; strategy_name?: string }

export async function placeOrder(request: APIRequestContext, headers: Headers, body: OrderBody) {
  const res = await request.post('/api/v1/trading/order', { headers, data: body })
  return { status: res.status(), body: await res.json() }
}
