// The trading screen (runs after 05, or alone: nothing here depends on what the other files left or
// on the wall clock — the server's simulated clock and fixed book are all it reads): the 分时 and 日K
// charts with the user's fills, the ticket's limits and price cage and its price from the book on a
// side switch, the 自选股 board, the keyboard (type a code, F1 / F2 / F3, Esc), the optional
// confirmation before a cancel, a denied order's Chinese message in 委托成交 and the order timeline,
// and the tables at 1366×768 with no column cut off or hidden under a fixed one. Screenshots go to
// test-results/screenshots/.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { placeOrder, tradeHeaders, type Headers } from './api'
import { ADMIN, STOCK } from './env'
import { blurAll, dismissNotifications, field, login, nav, setNumber, settled, shot, tableFit, tableRow } from './helpers'

const OTHER = { code: '000001.SZ', digits: '000001', name: '平安银行' }

function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

async function apiGet(request: APIRequestContext, headers: Headers, path: string) {
  const res = await request.get(`/api/v1${path}`, { headers })
  return { status: res.status(), body: await res.json() }
}

/** The trading page on `code`, its quote shown. */
async function openTrading(page: Page, code = STOCK.code): Promise<void> {
  await page.goto(`/trading?code=${code}`)
  await expect(page.getByTestId('ticket-code')).toContainText(code)
  await expect(page.getByTestId('quote-last')).not.toHaveText('')
}

/** A resting buy of the fixed book's stock (below the best bid: it stays open), over the API. */
async function restingBuy(request: APIRequestContext, headers: Headers): Promise<string> {
  const res = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return String(res.body.data.order.order_id)
}

async function unlockIfAsked(page: Page): Promise<void> {
  const unlock = page.getByTestId('unlock-dialog')
  await expect(unlock).toBeVisible()
  await page.getByTestId('unlock-password').fill(ADMIN.tradingPassword)
  await page.getByTestId('unlock-submit').click()
  await expect(unlock).toBeHidden()
}

test('charts: 分时 and 日K render, the day’s fills marked on both', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const probe = await apiGet(request, headers, `/market/bars/${STOCK.code}?period=1d&count=5`)
  test.skip(probe.status === 404, 'GET /market/bars is not built yet')

  // a fill of today: a buy at the best ask fills at once
  const fill = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.bestAsk })
  expect(fill.status).toBe(201)
  expect(fill.body.data.order.status).toBe('filled')

  await login(page)
  await openTrading(page)

  await test.step('分时: canvas, minute bars, the fill as a marker', async () => {
    const chart = page.getByTestId('intraday-chart')
    await expect(page.getByTestId('market-charts')).toHaveAttribute('data-tab', 'intraday')
    await expect(chart.locator('canvas').first()).toBeVisible()
    await expect.poll(async () => Number(await chart.getAttribute('data-bars'))).toBeGreaterThan(0)
    await expect.poll(async () => Number(await chart.getAttribute('data-markers'))).toBeGreaterThan(0)
    const box = await chart.locator('canvas').first().boundingBox()
    expect(box!.width).toBeGreaterThan(300)
    expect(box!.height).toBeGreaterThan(250)
    await dismissNotifications(page)
    await shot(page, 'trading-chart-intraday')
  })

  await test.step('日K: canvas, the daily history, the fill marked on today', async () => {
    await page.getByTestId('chart-tab-daily').click()
    await expect(page.getByTestId('market-charts')).toHaveAttribute('data-tab', 'daily')
    await expect(page.getByTestId('intraday-chart')).toHaveCount(0)
    const chart = page.getByTestId('kline-chart')
    await expect(chart.locator('canvas').first()).toBeVisible()
    // paper mode fills the days before the desk's first one with a simulated series
    await expect.poll(async () => Number(await chart.getAttribute('data-bars'))).toBeGreaterThan(20)
    await expect.poll(async () => Number(await chart.getAttribute('data-markers'))).toBeGreaterThan(0)
    await shot(page, 'trading-chart-daily')
    await page.getByTestId('chart-tab-intraday').click()
    await expect(page.getByTestId('intraday-chart').locator('canvas').first()).toBeVisible()
  })
  expect(errors).toEqual([])
})

test('ticket: limits and price cage beside the price, a side switch takes the price from the book, warnings', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const quote = (await apiGet(request, headers, `/market/quote/${STOCK.code}`)).body.data
  await login(page)
  await openTrading(page)
  const price = field(page, 'ticket-price')
  const warning = page.getByTestId('ticket-price-warning')

  await test.step('涨停 / 跌停 and the cage (买入上限 / 卖出下限) before anything is sent', async () => {
    await expect(page.getByTestId('ticket-limit-up')).toHaveText(quote.limit_up)
    await expect(page.getByTestId('ticket-limit-down')).toHaveText(quote.limit_down)
    if (quote.cage) {
      await expect(page.getByTestId('ticket-cage-buy-max')).toHaveText(quote.cage.buy_max)
      await expect(page.getByTestId('ticket-cage-sell-min')).toHaveText(quote.cage.sell_min)
      await expect(page.getByTestId('ticket-bounds')).toContainText('买入上限')
      await expect(page.getByTestId('ticket-bounds')).toContainText('卖出下限')
    }
    await expect(price).toHaveValue(STOCK.last) // seeded with the last price
    await expect(warning).toHaveCount(0)
  })

  await test.step('卖出 takes the best bid, 买入 the best ask; the estimate follows', async () => {
    await setNumber(field(page, 'ticket-quantity'), '100')
    await page.getByTestId('ticket-side-sell').click()
    await expect(price).toHaveValue(STOCK.bestBid)
    await expect(page.getByTestId('ticket-estimate')).toContainText('1,149.00')
    await page.getByTestId('ticket-side-buy').click()
    await expect(price).toHaveValue(STOCK.bestAsk)
    await expect(page.getByTestId('ticket-estimate')).toContainText('1,151.00')
  })

  await test.step('a price outside the cage or the limits is flagged inline', async () => {
    expect(quote.cage, 'the quote of a main-board stock has a price cage').toBeTruthy()
    const above = (Number(quote.cage.buy_max) + 0.01).toFixed(2)
    await setNumber(price, above)
    await expect(warning).toBeVisible()
    await expect(warning).toHaveAttribute('data-kind', 'aboveCage')
    await expect(warning).toContainText(`买入上限 ${quote.cage.buy_max}`)
    await shot(page, 'trading-ticket-cage')
    // the cage limits buys upwards only: the same price is fine for a sell… which takes the bid anyway
    await page.getByTestId('ticket-side-sell').click()
    await expect(price).toHaveValue(STOCK.bestBid)
    await expect(warning).toHaveCount(0)
    const below = (Number(quote.cage.sell_min) - 0.01).toFixed(2)
    await setNumber(price, below)
    await expect(warning).toHaveAttribute('data-kind', 'belowCage')
    await expect(warning).toContainText(`卖出下限 ${quote.cage.sell_min}`)
    await setNumber(price, (Number(quote.limit_up) + 0.01).toFixed(2))
    await expect(warning).toHaveAttribute('data-kind', 'aboveLimitUp')
    await expect(warning).toContainText('涨停')
    // a click on a bound puts it in the box
    await page.getByTestId('ticket-cage-sell-min').click()
    await expect(price).toHaveValue(quote.cage.sell_min)
    await expect(warning).toHaveCount(0)
  })
  expect(errors).toEqual([])
})

test('自选股: add a code, a click switches the ticket, kept per user across a reload, remove', async ({ page }) => {
  const errors = watchPageErrors(page)
  await login(page)
  await openTrading(page)
  const board = page.getByTestId('quote-board')
  await expect(board).toBeVisible()

  await test.step('add both stocks (one may be there already from the holdings)', async () => {
    for (const code of [STOCK.code, OTHER.code]) {
      if (await board.locator(`[data-testid="board-row"][data-code="${code}"]`).count()) continue
      await page.getByTestId('board-search').fill(code.slice(0, 6))
      await page.getByTestId(`stock-option-${code}`).filter({ visible: true }).click()
      await expect(board.locator(`[data-testid="board-row"][data-code="${code}"]`)).toBeVisible()
    }
    const other = board.locator(`[data-testid="board-row"][data-code="${OTHER.code}"]`)
    await expect(other).toContainText(OTHER.name)
    await expect(other).toContainText(/\d+\.\d{2}/) // live last price
    await expect(other).toContainText(/[+-]?\d+\.\d{2}%/) // change
  })

  await test.step('a click on a row puts that stock on the ticket', async () => {
    await board.locator(`[data-testid="board-row"][data-code="${OTHER.code}"]`).click()
    await expect(page.getByTestId('ticket-code')).toContainText(OTHER.code)
    await expect(page).toHaveURL(/code=000001\.SZ/)
    await expect(board.locator(`[data-testid="board-row"][data-code="${OTHER.code}"]`)).toHaveClass(/current/)
    await expect(page.getByTestId('quote-panel')).toContainText(OTHER.name)
    await board.locator(`[data-testid="board-row"][data-code="${STOCK.code}"]`).click()
    await expect(page.getByTestId('ticket-code')).toContainText(STOCK.code)
    await shot(page, 'trading-board')
  })

  await test.step('kept across a reload; removed with ×', async () => {
    await page.reload()
    const row = board.locator(`[data-testid="board-row"][data-code="${OTHER.code}"]`)
    await expect(row).toBeVisible()
    await row.hover()
    await row.getByTestId('board-remove').click()
    await expect(row).toHaveCount(0)
    await page.reload()
    await expect(board.locator(`[data-testid="board-row"][data-code="${STOCK.code}"]`)).toBeVisible()
    await expect(board.locator(`[data-testid="board-row"][data-code="${OTHER.code}"]`)).toHaveCount(0)
  })
  expect(errors).toEqual([])
})

test('keyboard: type a code to jump, F1 / F2 switch the side, F3 cancels the open order, Esc closes', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const orderId = await restingBuy(request, headers)
  await login(page)
  await openTrading(page)
  const jump = page.getByTestId('jump-box')

  await test.step('typing a code outside an input opens the jump box; Enter jumps there', async () => {
    await blurAll(page)
    await page.keyboard.type(OTHER.digits)
    await expect(jump).toBeVisible()
    await expect(page.getByTestId('jump-input')).toHaveValue(OTHER.digits)
    await expect(page.getByTestId('jump-option').first()).toHaveAttribute('data-code', OTHER.code)
    await shot(page, 'trading-jump-box')
    await page.keyboard.press('Enter')
    await expect(jump).toBeHidden()
    await expect(page.getByTestId('ticket-code')).toContainText(OTHER.code)
    await expect(page).toHaveURL(/code=000001\.SZ/)
  })

  await test.step('Esc closes the jump box; typing into an input opens nothing', async () => {
    await blurAll(page)
    await page.keyboard.press('6')
    await expect(jump).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(jump).toBeHidden()
    await expect(page.getByTestId('ticket-code')).toContainText(OTHER.code)
    await field(page, 'ticket-quantity').click()
    await page.keyboard.type('2')
    await expect(jump).toBeHidden()
  })

  await test.step('F2 sell, F1 buy: the side changes and the cursor goes to the quantity', async () => {
    await blurAll(page)
    await page.keyboard.press('F2')
    await expect(page.getByTestId('order-ticket')).toHaveClass(/\bsell\b/)
    await expect(field(page, 'ticket-quantity')).toBeFocused()
    await page.keyboard.press('F1')
    await expect(page.getByTestId('order-ticket')).toHaveClass(/\bbuy\b/)
    await expect(field(page, 'ticket-quantity')).toBeFocused()
  })

  await test.step('Esc closes the order confirmation', async () => {
    await setNumber(field(page, 'ticket-quantity'), '100')
    await page.getByTestId('ticket-submit').click()
    await expect(page.getByTestId('order-confirm-dialog')).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('order-confirm-dialog')).toBeHidden()
  })

  await test.step('back to the stock of the open order by keyboard; F3 cancels it', async () => {
    await blurAll(page)
    await page.keyboard.type(STOCK.code.slice(0, 6))
    await expect(page.getByTestId('jump-input')).toHaveValue(STOCK.code.slice(0, 6))
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('ticket-code')).toContainText(STOCK.code)
    const row = page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`)
    await expect(row).toBeVisible()
    await dismissNotifications(page)
    await blurAll(page)
    await page.keyboard.press('F3')
    await unlockIfAsked(page) // the first trading action of this session asks for the trading password
    await expect(page.locator('.el-message--success').filter({ hasText: '撤单请求已发送' }).first()).toBeVisible()
    await expect(row).toHaveCount(0)
    const after = await apiGet(request, headers, `/trading/orders/${orderId}`)
    expect(after.body.data.status).toBe('canceled')
  })

  await test.step('F3 with nothing to cancel says so', async () => {
    // only the orders of this stock count; other open orders (none expected) are left alone
    const open = (await apiGet(request, headers, `/trading/orders?status=open&stock_code=${STOCK.code}`)).body.data.items
    if (open.length === 0) {
      await blurAll(page)
      await page.keyboard.press('F3')
      await expect(page.locator('.el-message').filter({ hasText: '没有可撤的委托' }).first()).toBeVisible()
    }
  })
  expect(errors).toEqual([])
})

test('撤单前确认 (Settings): every cancel asks first when it is on', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const orderId = await restingBuy(request, headers)
  await login(page)

  await nav(page, 'settings', /\/settings/)
  await page.getByRole('tab', { name: '显示' }).click()
  const toggle = page.getByTestId('pref-confirm-cancel')
  await expect(toggle).not.toHaveClass(/is-checked/) // off by default
  await toggle.click()
  await expect(toggle).toHaveClass(/is-checked/)

  await openTrading(page)
  const row = page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`)
  await expect(row).toBeVisible()
  await dismissNotifications(page)
  const box = page.locator('.el-message-box')

  await test.step('the cancel button asks; 不撤 keeps the order', async () => {
    await row.getByTestId('cancel-order').click()
    await expect(box).toBeVisible()
    await expect(box).toContainText('撤销委托')
    await expect(box).toContainText(STOCK.restingBuy)
    await shot(page, 'trading-cancel-confirm')
    await box.getByRole('button', { name: '不撤' }).click()
    await expect(box).toBeHidden()
    await expect(row).toBeVisible()
  })

  await test.step('F3 asks too; confirming cancels', async () => {
    await row.click() // the selected row is the one F3 cancels
    await expect(row).toHaveClass(/selected/)
    await blurAll(page)
    await page.keyboard.press('F3')
    await expect(box).toBeVisible()
    await box.getByRole('button', { name: '撤单' }).click()
    await unlockIfAsked(page)
    await expect(row).toHaveCount(0)
  })
  expect(errors).toEqual([])
})

test('委托成交: a denied order says why in Chinese; the detail timeline reads as events', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const denied = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 150, price_type: 'limit', price: STOCK.bestAsk })
  expect(denied.status).toBe(422)
  expect(denied.body.error).toBe('LOT_SIZE')
  const deniedId = String(denied.body.data.order.order_id)
  const message = denied.body.message as string
  const cancelledId = await restingBuy(request, headers)
  expect((await request.post(`/api/v1/trading/orders/${cancelledId}/cancel`, { headers })).status()).toBe(200)

  await login(page)
  await nav(page, 'orders', /\/orders/)
  await settled(page)

  await test.step('说明: the Chinese message, the code only in the tooltip', async () => {
    const row = page.getByTestId('orders-table').locator('.el-table__body tr').filter({ has: page.locator(`[data-order-id="${deniedId}"]`) })
    await expect(row).toHaveCount(1)
    const msg = row.getByTestId('order-message')
    await expect(msg).toHaveText(message)
    await expect(msg).toHaveAttribute('data-error', 'LOT_SIZE')
    await expect(row).not.toContainText('LOT_SIZE')
    await msg.hover()
    await expect(page.locator('.el-popper').filter({ hasText: 'LOT_SIZE' }).first()).toBeVisible()
    await shot(page, 'orders-denied-message')
  })

  await test.step('the timeline of a cancelled order: 已报, 撤单请求, 已撤', async () => {
    await page.getByTestId('orders-table').locator(`[data-order-id="${cancelledId}"]`).click()
    const events = page.getByTestId('order-events')
    await expect(events).toBeVisible()
    await expect(events).toContainText('委托创建')
    await expect(events).toContainText('已报')
    await expect(events).toContainText('撤单请求')
    await expect(events).toContainText('已撤')
    await expect(events).not.toContainText('=')
    await shot(page, 'order-timeline')
    await page.keyboard.press('Escape')
    await expect(events).toBeHidden()
  })
  expect(errors).toEqual([])
})

test('positions: 当日盈亏 and 涨跌幅 columns', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  const fill = await placeOrder(request, headers, { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.bestAsk })
  expect(fill.status).toBe(201)
  const server = (await apiGet(request, headers, `/trading/positions/${STOCK.code}`)).body.data
  await login(page)
  await nav(page, 'positions', /\/positions/)
  const row = tableRow(page, 'positions-table', STOCK.code)
  await expect(row.getByTestId('position-change')).toHaveText(/^[+-]?\d+\.\d{2}%$/)
  await expect(row.getByTestId('position-today-profit')).toHaveText(/^[+-]?[\d,]+\.\d{2}$/)
  if (server.today_profit !== undefined) {
    // the fixed book: the live price is the server's, so the figures are the server's
    const shown = (await row.getByTestId('position-today-profit').innerText()).replace(/[,+]/g, '')
    expect(Number(shown)).toBeCloseTo(Number(server.today_profit), 2)
  }
  await expect(page.getByRole('columnheader', { name: '当日盈亏' })).toBeVisible()
  await expect(page.getByRole('columnheader', { name: '涨跌幅' })).toBeVisible()
  expect(errors).toEqual([])
})

test('1366×768: no table column cut off or hidden under a fixed column', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)
  // a watched stock with a strategy and sizing, and a signal, so every column has something in it
  const watched = await request.post('/api/v1/monitor/stocks', {
    headers,
    data: {
      stock_code: OTHER.code,
      enabled: true,
      auto_trade: false,
      strategy: { type: 'grid', params: { base_price: '11.50', step_pct: '0.02', lots_per_step: 1, max_lots: 5 } },
      sizing: { method: 'equity_pct', value: '0.05' },
    },
  })
  test.skip(watched.status() === 404, 'the monitoring API is not built yet')
  try {
    const signal = await request.post('/api/v1/signals', {
      headers,
      data: { signal_id: `e2e-fit-${Date.now()}`, stock_code: STOCK.code, action: 'buy', strategy_name: 'e2e_fit', sizing: { method: 'quantity', value: 100 }, reason: 'e2e 列宽检查' },
    })
    expect(signal.status(), await signal.text()).toBeLessThan(300)
    expect(page.viewportSize()).toEqual({ width: 1366, height: 768 })
    await login(page)

    const check = async (testId: string, withRows = true) => {
      await expect(page.getByTestId(testId).locator('.el-table__header-wrapper th').first()).toBeVisible()
      if (withRows) await expect(page.getByTestId(testId).locator('.el-table__body tr').first()).toBeVisible()
      const fit = await tableFit(page, testId)
      expect.soft(fit.overflow, `${testId}: body wider than the table`).toBeLessThanOrEqual(1)
      expect.soft(fit.truncated, `${testId}: header labels cut`).toEqual([])
      expect.soft(fit.hidden, `${testId}: headers outside the table or under a fixed column`).toEqual([])
      expect.soft(fit.last.right, `${testId}: last column (${fit.last.label}) past the table's edge`).toBeLessThanOrEqual(fit.tableRight + 1)
    }

    await nav(page, 'monitor', /\/monitor/)
    await settled(page)
    await check('monitor-table')
    await check('signals-table')
    await expect(tableRow(page, 'monitor-table', OTHER.code)).toContainText('总资产比例 5.00%')
    await shot(page, 'monitor-1366')

    await nav(page, 'orders', /\/orders/)
    await settled(page)
    await check('orders-table')
    await page.getByRole('tab', { name: '成交' }).click()
    await settled(page)
    await check('trades-table')

    await nav(page, 'positions', /\/positions/)
    await check('positions-table')

    await nav(page, 'risk', /\/risk/)
    await settled(page)
    await check('risk-rules')
    await expect(tableRow(page, 'risk-rules', 'RISK_DAILY_LOSS').getByTestId('rule-default-on')).toBeVisible()
    // empty when this file runs alone: the header still has to fit
    await check('risk-events', false)
  } finally {
    await request.delete(`/api/v1/monitor/stocks/${OTHER.code}`, { headers })
  }
  expect(errors).toEqual([])
})
