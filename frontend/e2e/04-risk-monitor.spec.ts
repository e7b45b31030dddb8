// Risk and monitoring pages against the real server (runs after 03, on the next trading day):
// fill / refusal notices never block the cancel buttons; risk metrics in Chinese; a strategy-scoped
// copy of a rule with a fraction edited as a percentage; the kill switch: halt from the risk page,
// the banner across the app, resume from the banner; the watchlist: add with a strategy, the
// auto-trade confirmation, delete. Trading is resumed at the end whatever happens.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { placeOrder, tradeHeaders, type Headers } from './api'
import { ADMIN, STOCK } from './env'
import { login, nav, pickStock, settled, tableRow } from './helpers'

async function apiGet(request: APIRequestContext, headers: Headers, path: string) {
  const res = await request.get(`/api/v1${path}`, { headers })
  return { status: res.status(), body: await res.json() }
}

function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

test('fill and refusal notices never cover the cancel buttons', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const resting = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy })
  expect(resting.status).toBe(201)
  const orderId = String(resting.body.data.order.order_id)

  await login(page)
  await nav(page, 'trading', /\/trading/)
  await pickStock(page, STOCK.code)
  const row = page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`)
  await expect(row).toBeVisible()

  // an order refused elsewhere (not from this page): a refusal notice shows here
  const denied = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'sell', quantity: 999_900, price_type: 'limit', price: STOCK.bestBid })
  expect(denied.status).toBe(422)
  const note = page.locator('.el-notification').filter({ hasText: '委托被拒绝' })
  await expect(note).toBeVisible()

  // top-right, clear of the order's cancel button, which still takes the click
  const cancel = row.getByTestId('cancel-order')
  const [n, c] = [await note.boundingBox(), await cancel.boundingBox()]
  expect(n && c).toBeTruthy()
  expect(n!.x + n!.width).toBeGreaterThan(page.viewportSize()!.width - 40)
  const overlaps = n!.x < c!.x + c!.width && c!.x < n!.x + n!.width && n!.y < c!.y + c!.height && c!.y < n!.y + n!.height
  expect(overlaps, 'the notice sits over the cancel button').toBe(false)
  const hit = await page.evaluate(
    ([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-testid="cancel-order"]'),
    [c!.x + c!.width / 2, c!.y + c!.height / 2],
  )
  expect(hit).toBe(true)
  await expect(note).toBeVisible() // still there: nothing waited for it to go

  // clean up over the API (this page has no trade unlock)
  const res = await request.post(`/api/v1/trading/orders/${orderId}/cancel`, { headers })
  expect(res.status()).toBe(200)
  await expect(row).toHaveCount(0)
  expect(errors).toEqual([])
})

test('risk rules: a strategy-scoped copy, its limit edited as a percentage', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  await login(page)
  await nav(page, 'risk', /\/risk/)
  await settled(page)

  const account = tableRow(page, 'risk-rules', 'RISK_MAX_POSITION_PCT').filter({ hasText: '账户' })
  await expect(account).toHaveCount(1)
  await expect(account).toContainText('单票持仓占比上限')
  await expect(account).toContainText('20.00%') // the default 0.2
  await account.getByTestId('rule-add-scope').click()

  const dialog = page.getByTestId('rule-dialog')
  await expect(dialog).toBeVisible()
  await dialog.getByTestId('rule-strategy-name').fill('e2e_grid')
  await expect(dialog.getByTestId('param-limit')).toHaveValue('20')
  await dialog.getByTestId('param-limit').fill('150')
  await dialog.getByTestId('rule-save').click()
  await expect(dialog.getByTestId('rule-error')).toContainText('0–100')
  await dialog.getByTestId('param-limit').fill('15')
  await dialog.getByTestId('rule-save').click()
  await expect(dialog).toBeHidden()

  const scoped = tableRow(page, 'risk-rules', 'RISK_MAX_POSITION_PCT').filter({ hasText: '策略 e2e_grid' })
  await expect(scoped).toHaveCount(1)
  await expect(scoped).toContainText('15.00%')

  // stored as a fraction string in scope strategy:e2e_grid
  const headers = await tradeHeaders(request)
  const rules = await apiGet(request, headers, '/risk/rules')
  const rule = rules.body.data.find((r: { rule: string; scope: string }) => r.rule === 'max_position_pct' && r.scope === 'strategy:e2e_grid')
  expect(rule?.params?.limit).toBe('0.15')
  // and the change is a risk event
  await expect(page.getByTestId('risk-events')).toContainText('规则修改')
  expect(errors).toEqual([])
})

test('kill switch: halt from the risk page, banner across the app, resume from the banner', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  try {
    await login(page)
    await nav(page, 'risk', /\/risk/)

    await test.step('metrics are labelled in Chinese, ratios shown as percentages', async () => {
      const metrics = page.getByTestId('risk-metrics')
      await expect(metrics.locator('[data-metric="trading_state"]')).toContainText('交易状态')
      await expect(metrics.locator('[data-metric="trading_state"]')).toContainText('正常')
      await expect(metrics.locator('[data-metric="total_asset"]')).toContainText(/总资产\s*[\d,]+\.\d{2}/)
      await expect(metrics.locator('[data-metric="cash_ratio"]')).toContainText(/现金占比\s*\d+\.\d{2}%/)
      await expect(metrics.locator('[data-metric="max_drawdown"]')).toContainText(/最大回撤\s*\d+\.\d{2}%/)
      await expect(metrics).not.toContainText('cash_ratio')
      await expect(metrics).not.toContainText('total_asset')
    })

    await test.step('halt, with a reason', async () => {
      await page.getByTestId('risk-halt').click()
      const dialog = page.getByTestId('halt-dialog')
      await expect(dialog).toBeVisible()
      await dialog.getByTestId('state-reason').fill('e2e 演练')
      await page.getByTestId('halt-confirm').click()
      await expect(dialog).toBeHidden()
      await expect(page.getByTestId('trading-state')).toHaveAttribute('data-state', 'halted')
      const banner = page.getByTestId('halted-banner')
      await expect(banner).toBeVisible()
      await expect(banner).toContainText('交易已熔断')
      await expect(banner).toContainText('e2e 演练')
      await expect(page.getByTestId('halted-badge')).toBeVisible()
      await expect(page.getByTestId('risk-events')).toContainText('熔断')
    })

    await test.step('the server refuses orders (RISK_HALTED); the banner stays on every page', async () => {
      const res = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy })
      expect(res.status).toBe(422)
      expect(res.body.error).toBe('RISK_HALTED')
      await nav(page, 'trading', /\/trading/)
      await expect(page.getByTestId('halted-banner')).toBeVisible()
      await page.reload()
      await expect(page.getByTestId('halted-banner')).toBeVisible() // from /trading/status after a reload
    })

    await test.step('resume from the banner, after a confirmation', async () => {
      await page.getByTestId('banner-resume').click()
      const dialog = page.getByTestId('resume-dialog')
      await expect(dialog).toBeVisible()
      await page.getByTestId('resume-confirm').click()
      await expect(dialog).toBeHidden()
      await expect(page.getByTestId('halted-banner')).toHaveCount(0)
      await expect(page.getByTestId('halted-badge')).toHaveCount(0)
      const status = await apiGet(request, headers, '/trading/status')
      expect(status.body.data.trading_state).toBe('active')
    })
  } finally {
    await request.post('/api/v1/risk/resume', { headers, data: { reason: 'e2e cleanup' } })
  }
  expect(errors).toEqual([])
})

test('watchlist: add with a strategy, auto trading needs a confirmation, delete', async ({ page, request }) => {
  const headers = await tradeHeaders(request)
  const probe = await request.get('/api/v1/monitor/strategies', { headers })
  test.skip(probe.status() === 404, 'the monitoring API is not built yet')
  const errors = watchPageErrors(page)
  try {
    await login(page)
    await nav(page, 'monitor', /\/monitor/)
    await settled(page)

    await test.step('add 600000.SH with a grid strategy (step as a percentage) and a fixed quantity', async () => {
      await page.getByTestId('monitor-add').click()
      const dialog = page.getByTestId('monitor-dialog')
      await expect(dialog).toBeVisible()
      await dialog.getByTestId('stock-search').fill(STOCK.code.slice(0, 6))
      await page.getByTestId(`stock-option-${STOCK.code}`).filter({ visible: true }).click()
      await expect(dialog.getByTestId('monitor-picked')).toContainText(STOCK.code)
      await dialog.getByTestId('monitor-strategy').click()
      await page.locator('.el-select-dropdown__item').filter({ visible: true }).filter({ hasText: '网格' }).click()
      await expect(dialog.getByTestId('sparam-step_pct')).toHaveValue('2')
      await dialog.getByTestId('monitor-save').click()
      await expect(dialog.getByTestId('monitor-error')).toBeVisible() // base_price is required
      await dialog.getByTestId('sparam-base_price').fill(STOCK.last)
      await dialog.getByTestId('sparam-step_pct').fill('3')
      await dialog.getByTestId('monitor-sizing-value').fill('200')
      await dialog.getByTestId('monitor-save').click()
      await expect(dialog).toBeHidden()
      const row = tableRow(page, 'monitor-table', STOCK.code)
      await expect(row).toContainText('网格')
      await expect(row).toContainText('step_pct 3.00%')
      await expect(row).toContainText('固定股数 200 股')
      const list = await apiGet(request, headers, '/monitor/stocks')
      const entry = list.body.data.find((e: { stock_code: string }) => e.stock_code === STOCK.code)
      expect(entry.strategy).toMatchObject({ type: 'grid', params: { base_price: STOCK.last, step_pct: '0.03' } })
      expect(entry.auto_trade).toBe(false)
    })

    await test.step('adding it again: already watched', async () => {
      await page.getByTestId('monitor-add').click()
      const dialog = page.getByTestId('monitor-dialog')
      await dialog.getByTestId('stock-search').fill(STOCK.code.slice(0, 6))
      await page.getByTestId(`stock-option-${STOCK.code}`).filter({ visible: true }).click()
      await expect(dialog.getByTestId('monitor-picked')).toContainText(STOCK.code)
      await dialog.getByTestId('monitor-save').click() // the default strategy (均线交叉) and sizing
      await expect(dialog.getByTestId('monitor-error')).toContainText('已在监测列表中')
      await dialog.getByRole('button', { name: '取消' }).click()
      await expect(dialog).toBeHidden()
    })

    await test.step('auto trading asks first; without an unlocked session it asks for the trading password', async () => {
      const row = tableRow(page, 'monitor-table', STOCK.code)
      const box = page.locator('.el-message-box')
      const autoTrade = async (): Promise<boolean> => {
        const list = await apiGet(request, headers, '/monitor/stocks')
        return list.body.data.find((e: { stock_code: string }) => e.stock_code === STOCK.code).auto_trade
      }
      await row.getByTestId('monitor-auto-trade').click()
      await expect(box).toContainText('自动交易将按策略自动下单')
      await box.getByRole('button', { name: '取消' }).click()
      await expect(row.getByTestId('monitor-auto-trade')).not.toHaveClass(/is-checked/)
      // Letting a strategy trade is trading: the desk refuses it without an unlocked trading session, and
      // the page offers the unlock dialog; cancelling it leaves auto trading off.
      const unlock = page.getByTestId('unlock-dialog')
      await row.getByTestId('monitor-auto-trade').click()
      await box.getByRole('button', { name: '开启自动交易' }).click()
      await expect(unlock).toBeVisible()
      await unlock.getByRole('button', { name: '取消' }).click()
      await expect(unlock).toBeHidden()
      await expect(page.getByText('未解锁交易，自动交易未开启').first()).toBeVisible()
      await expect(row.getByTestId('monitor-auto-trade')).not.toHaveClass(/is-checked/)
      expect(await autoTrade()).toBe(false)
      // Unlocking sends the same change again: auto trading is on.
      await row.getByTestId('monitor-auto-trade').click()
      await box.getByRole('button', { name: '开启自动交易' }).click()
      await expect(unlock).toBeVisible()
      await page.getByTestId('unlock-password').fill(ADMIN.tradingPassword)
      await page.getByTestId('unlock-submit').click()
      await expect(unlock).toBeHidden()
      await expect(row.getByTestId('monitor-auto-trade')).toHaveClass(/is-checked/)
      expect(await autoTrade()).toBe(true)
      // And off again (no question asked for switching it off).
      await row.getByTestId('monitor-auto-trade').click()
      await expect(row.getByTestId('monitor-auto-trade')).not.toHaveClass(/is-checked/)
      await expect.poll(autoTrade).toBe(false)
    })

    await test.step('delete', async () => {
      const row = tableRow(page, 'monitor-table', STOCK.code)
      await row.getByRole('button', { name: '删除' }).click()
      await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click()
      await expect(tableRow(page, 'monitor-table', STOCK.code)).toHaveCount(0)
    })
  } finally {
    await request.delete(`/api/v1/monitor/stocks/${STOCK.code}`, { headers })
  }
  expect(errors).toEqual([])
})
