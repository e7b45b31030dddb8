// Known UI bugs, written as the behaviour a trader expects and marked `test.fail`: they pass while
// the bug is there and turn red once it is fixed, so the marker gets removed with the fix.
import { expect, test } from '@playwright/test'
import { placeOrder, tradeHeaders } from './api'
import { STOCK } from './env'
import { login, nav } from './helpers'

test.fail("known bug (expected to fail): the trading page's today lists start empty after the trading day changes", async ({ page, request }) => {
  // frontend/src/stores/live.ts `loadToday()` only merges the new day's orders/trades into the
  // lists it already holds (and SettingsView.advance() runs it alongside refreshAll(), so it may
  // still read the old status.trading_day): yesterday's orders and trades stay under 当日委托 /
  // 当日成交 until the page is reloaded.
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

test.fail('known bug (expected to fail): the audit log shows who did each action', async ({ page }) => {
  // GET /api/v1/audit returns the user as `actor`; frontend/src/views/AuditView.vue reads
  // `row.username ?? row.user_id`, so the 用户名 column is empty on every row.
  await login(page)
  await page.goto('/audit')
  const row = page.getByTestId('audit-table').locator('.el-table__body tr').filter({ hasText: 'auth.login' }).first()
  await expect(row).toBeVisible()
  await expect(row.locator('td').nth(1)).toHaveText('admin', { timeout: 3000 })
})
