// Known UI bugs, written as the behaviour a trader expects. While a bug is there its test is marked
// `test.fail` (it passes while the bug is there and turns red once it is fixed); the marker goes with
// the fix, and the test stays as a regression test. Both bugs below are fixed.
import { expect, test } from '@playwright/test'
import { placeOrder, tradeHeaders } from './api'
import { STOCK } from './env'
import { login, nav } from './helpers'

test("the trading page's today lists start empty after the trading day changes", async ({ page, request }) => {
  // Was: frontend/src/stores/live.ts `loadToday()` only merged the new day's orders/trades into the
  // lists it already held (and SettingsView.advance() ran it alongside refreshAll(), so it could
  // still read the old status.trading_day): yesterday's orders and trades stayed under 当日委托 /
  // 当日成交 until the page was reloaded. Now a new trading_day empties and reloads the lists.
  const headers = await tradeHeaders(request)
  const order = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy })
  expect(order.status).toBe(201)

  await login(page)
  await nav(page, 'trading', /\/trading/)
  await expect(page.getByRole('tab', { name: /当日委托 \([1-9]\d*\)/ })).toBeVisible()

  await nav(page, 'settings', /\/settings/)
  await page.getByRole('tab', { name: '模拟盘' }).click()
  const panel = page.locator('#pane-paper')
  const before = (await panel.locator('.el-descriptions').innerText()).match(/\d{4}-\d{2}-\d{2}/)?.[0]
  await page.getByTestId('paper-advance').click()
  await expect(page.locator('.el-message--success').filter({ hasText: '时钟已推进' }).first()).toBeVisible()
  await expect(panel.locator('.el-descriptions')).not.toContainText(before ?? '----')

  await nav(page, 'trading', /\/trading/)
  await expect(page.getByRole('tab', { name: /当日委托 \(0\)/ })).toBeVisible({ timeout: 5000 })
  await expect(page.getByRole('tab', { name: /当日成交 \(0\)/ })).toBeVisible({ timeout: 5000 })
})

test('the audit log shows who did each action', async ({ page }) => {
  // Was: GET /api/v1/audit returns the user as `actor`; frontend/src/views/AuditView.vue read
  // `row.username ?? row.user_id`, so the 用户名 column was empty on every row.
  await login(page)
  await page.goto('/audit')
  const row = page.getByTestId('audit-table').locator('.el-table__body tr').filter({ hasText: 'auth.login' }).first()
  await expect(row).toBeVisible()
  await expect(row.locator('td').nth(1)).toHaveText('admin', { timeout: 3000 })
})
