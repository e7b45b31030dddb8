// Reports (runs after 07, or alone: it reads the server's simulated clock and makes what it needs): a
// buy with a strategy name fills over the API; the 交割单 page shows it on the desk's trading day with
// its fees and the cash it moved, the totals, 平 in 持仓核对, and downloads the statement as CSV
// through the session (the file URL alone is refused); the 绩效分析 page lists the strategy with its
// holding and draws the equity curve. Both fit 1366×768. Screenshots go to test-results/screenshots/.
import { readFileSync } from 'node:fs'
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { placeOrder, tradeHeaders, type Headers } from './api'
import { STOCK } from './env'
import { dismissNotifications, field, login, nav, settled, shot, tableFit } from './helpers'

function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

async function apiGet(request: APIRequestContext, headers: Headers, path: string) {
  const res = await request.get(`/api/v1${path}`, { headers })
  return { status: res.status(), body: await res.json() }
}

/** Minutes since midnight of the desk's wall clock ("2026-11-25T10:00:03+08:00"). */
function minutesOf(iso: string): number {
  const m = /T(\d{2}):(\d{2})/.exec(iso)
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1
}

/** A limit buy at the best ask fills at once in a continuous session with room before its end. */
function roomToTrade(clock: { now: string; market_phase: string }): boolean {
  const m = minutesOf(clock.now)
  return clock.market_phase === 'continuous' && ((m >= 9 * 60 + 30 && m < 11 * 60 + 20) || (m >= 13 * 60 && m < 14 * 60 + 50))
}

/** Money as the pages show it: "2,302.00", "-2,307.02". */
const money = (v: string | number) => Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

const STRATEGY = 'e2e-report'

type Fill = {
  trade_id: number
  order_id: number
  broker_trade_id: string
  stock_code: string
  side_label: string
  amount: string
  commission: string
  stamp_duty: string
  transfer_fee: string
  fees: string
  net_amount: string
  strategy_name: string
}

test('交割单 and 绩效分析: a fill with its fees, 平, the CSV download, the strategies and the equity curve', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  const headers = await tradeHeaders(request)

  // ------------------------------------------------------------------ a buy that fills, with a strategy name
  let clock = (await apiGet(request, headers, '/paper/clock')).body.data
  test.skip(!clock.simulated, 'the e2e server runs a simulated clock')
  if (!roomToTrade(clock)) {
    const moved = await request.post('/api/v1/paper/clock/advance', { headers, data: { days: 1, at: '10:00' } })
    expect(moved.status(), await moved.text()).toBe(200)
    clock = (await apiGet(request, headers, '/paper/clock')).body.data
  }
  const day = clock.trading_day as string
  const quote = (await apiGet(request, headers, `/market/quote/${STOCK.code}`)).body.data
  const buy = await placeOrder(request, headers, {
    stock_code: STOCK.code,
    side: 'buy',
    quantity: 200,
    price_type: 'limit',
    price: quote.ask[0].price,
    strategy_name: STRATEGY,
  })
  expect(buy.status, JSON.stringify(buy.body)).toBe(201)
  expect(buy.body.data.order.status).toBe('filled')
  const orderId = buy.body.data.order.order_id

  // the fill as GET /reports/statement gives it: a buy moves −(amount + fees)
  const statement = await apiGet(request, headers, `/reports/statement?trading_day=${day}`)
  expect(statement.status, JSON.stringify(statement.body)).toBe(200)
  const st = statement.body.data
  const fill = (st.fills as Fill[]).find((f) => f.order_id === orderId)
  expect(fill, JSON.stringify(st.fills)).toBeTruthy()
  expect(fill!.side_label).toBe('证券买入')
  expect(Number(fill!.fees)).toBeGreaterThan(0)
  expect(Number(fill!.net_amount)).toBeCloseTo(-(Number(fill!.amount) + Number(fill!.fees)), 2)
  const compact = day.replace(/-/g, '')

  await login(page)

  await test.step('交割单: today on the desk’s clock, the fill with its fees and net amount, totals', async () => {
    await nav(page, 'statement', /\/statement$/)
    await expect(page.getByTestId('nav-statement')).toHaveClass(/is-active/)
    await expect(field(page, 'statement-day')).toHaveValue(day)
    await expect(page.getByTestId('statement-period')).toContainText(day)
    const row = page.getByTestId('statement-table').locator('.el-table__body tr').filter({ has: page.locator(`[data-trade-id="${fill!.trade_id}"]`) })
    await expect(row).toHaveCount(1)
    await expect(row).toContainText(STOCK.code)
    await expect(row).toContainText(quote.stock_name)
    await expect(row.getByTestId('fill-side')).toHaveText('证券买入')
    await expect(row.getByTestId('fill-commission')).toHaveText(money(fill!.commission))
    await expect(row.getByTestId('fill-stamp')).toHaveText(money(fill!.stamp_duty))
    await expect(row.getByTestId('fill-transfer')).toHaveText(money(fill!.transfer_fee))
    await expect(row.getByTestId('fill-fees')).toHaveText(money(fill!.fees))
    const net = row.getByTestId('fill-net')
    await expect(net).toHaveText(money(fill!.net_amount))
    // cash out: the falling colour (green in the A-share convention)
    await expect(net).toHaveClass(/q-down/)
    // the grand totals: the summary strip and the table's footer, as the server sums them
    await expect(page.getByTestId('statement-total-fees')).toHaveText(money(st.totals.fees))
    await expect(page.getByTestId('statement-total-net')).toHaveText(money(st.totals.net_amount))
    await expect(page.getByTestId('statement-footer-net')).toHaveText(money(st.totals.net_amount))
    await expect(page.getByTestId('statement-days').locator('.el-table__body tr').filter({ hasText: day })).toContainText(money(st.days.at(-1).fees))
  })

  await test.step('持仓核对: the stock bought balances (期初 + 买入 − 卖出 = 期末): 平', async () => {
    const position = (st.positions as Array<{ stock_code: string; opening: number; bought: number; sold: number; closing: number; balanced: boolean }>).find(
      (p) => p.stock_code === STOCK.code,
    )!
    expect(position.balanced).toBe(true)
    expect(position.opening + position.bought - position.sold).toBe(position.closing)
    const row = page.getByTestId('statement-positions').locator('.el-table__body tr').filter({ hasText: STOCK.code })
    await expect(row).toHaveCount(1)
    await expect(row).toContainText(position.bought.toLocaleString('en-US'))
    await expect(row).toContainText(position.closing.toLocaleString('en-US'))
    const check = row.getByTestId('position-check')
    await expect(check).toHaveText('平')
    await expect(check).toHaveAttribute('data-balanced', 'true')
    await expect(check).toHaveClass(/el-tag--success/)
    if (st.balanced) await expect(page.getByTestId('statement-balanced')).toHaveText('持仓全部核平')
  })

  await test.step('1366×768: the statement table fits', async () => {
    const fit = await tableFit(page, 'statement-table')
    expect.soft(fit.overflow, 'statement-table: body wider than the table').toBeLessThanOrEqual(1)
    expect.soft(fit.truncated, 'statement-table: header labels cut').toEqual([])
    expect.soft(fit.hidden, 'statement-table: headers outside the table').toEqual([])
    await dismissNotifications(page)
    await settled(page)
    await shot(page, 'statement')
  })

  await test.step('导出 CSV: downloaded through the session, named by the server, the fill inside', async () => {
    // the file URL alone (no bearer token) is refused: the page must fetch it with the session
    const bare = await request.get(`/api/v1/reports/statement?trading_day=${day}&format=csv`)
    expect(bare.status()).toBe(401)

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()])
    expect(download.suggestedFilename()).toBe(`statement-${st.account_id}-${compact}-${compact}.csv`)
    const text = readFileSync(await download.path(), 'utf8')
    expect(text.charCodeAt(0), 'UTF-8 with BOM, for Excel').toBe(0xfeff)
    const lines = text.slice(1).split(/\r?\n/)
    expect(lines[0]).toContain('成交日期')
    expect(lines[0]).toContain('发生金额')
    const line = lines.find((l) => l.includes(fill!.broker_trade_id))
    expect(line, text).toBeTruthy()
    expect(line).toContain(STOCK.code)
    expect(line).toContain('证券买入')
    expect(line).toContain(fill!.net_amount)
    expect(line).toContain(STRATEGY)
    // then the holdings check: the stock bought balances (平)
    const header = lines.findIndex((l) => l.includes('期初数量'))
    expect(header, text).toBeGreaterThan(0)
    expect(lines.slice(header).find((l) => l.startsWith(`${STOCK.code},`))).toMatch(/,平$/)
    await expect(page.locator('.el-message--success').filter({ hasText: `已导出 statement-${st.account_id}-${compact}-${compact}.csv` }).first()).toBeVisible()
  })

  await test.step('区间: from the first of the month to the day, the fill still listed', async () => {
    await page.getByTestId('statement-mode-range').click()
    const first = `${day.slice(0, 8)}01`
    const inputs = page.getByTestId('statement-range').locator('input')
    await expect(inputs.nth(0)).toHaveValue(first)
    await expect(inputs.nth(1)).toHaveValue(day)
    await expect(page.getByTestId('statement-period')).toContainText(first === day ? day : `${first} 至 ${day}`)
    await expect(page.getByTestId('statement-table').locator(`[data-trade-id="${fill!.trade_id}"]`)).toBeVisible()
  })

  await test.step('绩效分析: the strategy with its fills and holding, the equity curve on a canvas', async () => {
    const perf = (await apiGet(request, headers, '/reports/performance')).body.data
    const mine = (perf.strategies as Array<{ strategy_name: string; manual: boolean; fills: number; holdings: { stock_code: string; shares: number }[] }>).find(
      (s) => s.strategy_name === STRATEGY,
    )!
    expect(mine, JSON.stringify(perf.strategies)).toBeTruthy()
    expect(mine.manual).toBe(false)

    await nav(page, 'performance', /\/performance$/)
    await settled(page)
    const table = page.getByTestId('strategies-table')
    const row = table.locator('.el-table__body tr').filter({ has: page.locator(`[data-strategy="${STRATEGY}"]`) })
    await expect(row).toHaveCount(1)
    await expect(row.getByTestId('strategy-name')).toHaveAttribute('data-manual', 'false')
    await expect(row).toContainText(String(mine.fills))
    await expect(row.getByTestId('strategy-total')).toHaveText(/^[+-]?[\d,]+\.\d{2}$/)
    // the manual fills (none named) in their own row, last, tagged 手动
    if ((perf.strategies as Array<{ manual: boolean }>).some((s) => s.manual)) {
      await expect(table.locator('[data-manual="true"]')).toHaveText('手动')
    }
    await expect(page.getByTestId('perf-fees')).toContainText(money(perf.fees))
    await expect(page.getByTestId('perf-turnover')).toContainText(money(perf.turnover))
    await expect(page.getByTestId('perf-max-drawdown')).toContainText('%')

    // its holding, in the expanded row
    await row.locator('.el-table__expand-icon').click()
    const holdings = table.getByTestId('strategy-holdings')
    await expect(holdings).toBeVisible()
    const held = mine.holdings.find((h) => h.stock_code === STOCK.code)!
    await expect(holdings.locator('.el-table__body tr').filter({ hasText: STOCK.code })).toContainText(held.shares.toLocaleString('en-US'))

    // the equity curve (and its drawdown) drawn on a canvas
    expect(perf.equity.length, JSON.stringify(perf.equity)).toBeGreaterThan(0)
    const chart = page.getByTestId('perf-equity-chart').locator('canvas')
    await expect(chart.first()).toBeVisible()
    const box = await chart.first().boundingBox()
    expect(box!.width).toBeGreaterThan(300)
    expect(box!.height).toBeGreaterThan(200)
    // each strategy's cumulative realised P&L: a chart once anything was sold, else a note
    const sold = (perf.strategies as Array<{ daily: unknown[] }>).some((s) => s.daily.length)
    if (sold) await expect(page.getByTestId('perf-strategy-chart').locator('canvas').first()).toBeVisible()
    else await expect(page.getByText('尚无卖出，暂无已实现盈亏')).toBeVisible()

    const fit = await tableFit(page, 'strategies-table')
    expect.soft(fit.overflow, 'strategies-table: body wider than the table').toBeLessThanOrEqual(1)
    expect.soft(fit.truncated, 'strategies-table: header labels cut').toEqual([])
    expect.soft(fit.hidden, 'strategies-table: headers outside the table').toEqual([])
    await settled(page)
    // the export's notice gone first
    await expect(page.locator('.el-message')).toHaveCount(0)
    await shot(page, 'performance')
  })

  expect(errors).toEqual([])
})
