// Several accounts on one desk (runs last): as admin, add a paper account from the 账户总览 page,
// switch the whole UI to it from the top bar, buy 100 600000.SH there through the trading page (the
// confirmation names the account), see the order and the account's holding in the overview, switch
// back to the default account by clicking its row and find no such order there. A full-page
// screenshot of the overview; then the global kill switch (全部熔断 / 全部恢复) and the removal of the
// added account, both after a confirmation.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { tradeHeaders } from './api'
import { ADMIN, STOCK } from './env'
import { dismissNotifications, fillTicket, login, nav, pickStock, settled, shot, tableRow } from './helpers'

const ACCOUNT = { id: 'E2E2', name: 'E2E 第二账户', cash: '500000' }

function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return errors
}

/** The signed-in page's bearer (localStorage), for server-side checks. */
async function pageAuth(page: Page): Promise<Record<string, string>> {
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('qmtdesk.session') ?? '{}').token as string | undefined)
  expect(token, 'session token in localStorage').toBeTruthy()
  return { Authorization: `Bearer ${token}` }
}

async function orderIds(request: APIRequestContext, headers: Record<string, string>, accountId: string): Promise<string[]> {
  const res = await request.get(`/api/v1/trading/orders?account_id=${accountId}&page_size=200`, { headers })
  expect(res.status(), await res.text()).toBe(200)
  return ((await res.json()).data.items as { order_id: number | string }[]).map((o) => String(o.order_id))
}

/** Picks an account in the top-bar switcher. */
async function switchTo(page: Page, id: string): Promise<void> {
  await page.getByTestId('account-switcher-button').click()
  await page.getByTestId(`account-option-${id}`).filter({ visible: true }).click()
  await expect(page.getByTestId('account-current')).toHaveAttribute('data-account-id', id)
}

test('several accounts: add one, trade in it, overview, switch back, kill switch, remove', async ({ page, request }) => {
  const errors = watchPageErrors(page)
  let headers: Record<string, string> = {}
  try {
    await test.step('seed: an order of the default account (placed and cancelled over the API)', async () => {
      const trade = await tradeHeaders(request)
      const res = await request.post('/api/v1/trading/order', {
        headers: trade,
        data: { stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy },
      })
      expect(res.status(), await res.text()).toBe(201)
      const id = String((await res.json()).data.order.order_id)
      expect((await request.post(`/api/v1/trading/orders/${id}/cancel`, { headers: trade })).status()).toBe(200)
    })

    await test.step('log in: the top bar names the default account', async () => {
      await login(page)
      headers = await pageAuth(page)
      const current = page.getByTestId('account-current')
      await expect(current).toHaveAttribute('data-account-id', 'PAPER')
      await expect(current).toContainText('模拟账户')
    })

    await test.step('账户总览 lists the default account', async () => {
      await nav(page, 'accounts', /\/accounts$/)
      await settled(page)
      const row = tableRow(page, 'accounts-table', 'PAPER')
      await expect(row).toHaveCount(1)
      await expect(row).toContainText('当前')
      await expect(row.getByTestId('account-link')).toHaveAttribute('data-state', 'connected')
      await expect(page.getByTestId('accounts-totals')).toContainText('合计')
    })

    await test.step(`add the paper account ${ACCOUNT.id} with ${ACCOUNT.cash}`, async () => {
      await page.getByTestId('account-create').click()
      const dialog = page.getByTestId('account-create-dialog')
      await expect(dialog).toBeVisible()
      await dialog.getByTestId('account-create-id').fill('bad id!')
      await dialog.getByTestId('account-create-submit').click()
      await expect(dialog.getByTestId('account-create-error')).toContainText('账户编号')
      await dialog.getByTestId('account-create-id').fill(ACCOUNT.id)
      await dialog.getByTestId('account-create-name').fill(ACCOUNT.name)
      await dialog.getByTestId('account-create-cash').fill(ACCOUNT.cash)
      await dialog.getByTestId('account-create-submit').click()
      await expect(dialog).toBeHidden()
      await expect(page.locator('.el-message--success').filter({ hasText: `已添加账户 ${ACCOUNT.id}` }).first()).toBeVisible()
      const row = tableRow(page, 'accounts-table', ACCOUNT.id)
      await expect(row).toHaveCount(1)
      await expect(row).toContainText(ACCOUNT.name)
      await expect(row).toContainText('模拟')
      await expect(row.getByTestId('account-total-asset')).toHaveText('500,000.00')
      await expect(row.getByTestId('account-holdings')).toHaveText('0')
    })

    await test.step('adding the same id again: the server refuses it', async () => {
      await page.getByTestId('account-create').click()
      const dialog = page.getByTestId('account-create-dialog')
      await dialog.getByTestId('account-create-id').fill(ACCOUNT.id)
      await dialog.getByTestId('account-create-submit').click()
      await expect(dialog.getByTestId('account-create-error')).toBeVisible()
      await expect(dialog.getByTestId('account-create-error')).toContainText(ACCOUNT.id)
      await dialog.getByRole('button', { name: '取消' }).click()
      await expect(dialog).toBeHidden()
    })

    await test.step('switch to it from the top bar: every page follows', async () => {
      await page.getByTestId('account-switcher-button').click()
      const option = page.getByTestId(`account-option-${ACCOUNT.id}`).filter({ visible: true })
      await expect(option).toContainText(ACCOUNT.name)
      await expect(option).toContainText('已连接')
      await expect(page.getByTestId('account-option-PAPER').filter({ visible: true })).toContainText('默认')
      await option.click()
      await expect(page.getByTestId('account-current')).toHaveAttribute('data-account-id', ACCOUNT.id)
      await expect(page.getByTestId('account-current')).toContainText(ACCOUNT.name)
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id)).toContainText('当前')
      await nav(page, 'dashboard', /\/$/)
      await expect(page.getByTestId('stat-total-asset')).toContainText('500,000.00')
    })

    let orderId = ''
    await test.step(`buy 100 ${STOCK.code} in ${ACCOUNT.id}: the confirmation names the account`, async () => {
      await nav(page, 'trading', /\/trading/)
      await pickStock(page, STOCK.code)
      await expect(page.getByRole('tab', { name: /当日委托 \(0\)/ })).toBeVisible()
      await fillTicket(page, 'buy', STOCK.bestAsk, 100)
      await page.getByTestId('ticket-submit').click()
      const confirm = page.getByTestId('order-confirm-dialog')
      await expect(confirm).toBeVisible()
      await expect(confirm.getByTestId('order-confirm-account')).toHaveAttribute('data-account-id', ACCOUNT.id)
      await expect(confirm.getByTestId('order-confirm-account')).toContainText(`${ACCOUNT.name}（${ACCOUNT.id}）`)
      await expect(confirm).toContainText(STOCK.code)
      await page.getByTestId('order-confirm').click()
      const unlock = page.getByTestId('unlock-dialog')
      await expect(unlock).toBeVisible()
      await page.getByTestId('unlock-password').fill(ADMIN.tradingPassword)
      await page.getByTestId('unlock-submit').click()
      await expect(unlock).toBeHidden()
      await expect(confirm).toBeHidden()
      await expect(page.locator('.el-message--success').filter({ hasText: '委托已提交' }).first()).toBeVisible()

      await page.getByRole('tab', { name: /当日委托 \(1\)/ }).click()
      const row = tableRow(page, 'orders-table', STOCK.code)
      await expect(row).toHaveCount(1)
      await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'filled')
      orderId = (await row.locator('[data-order-id]').getAttribute('data-order-id')) ?? ''
      expect(orderId).toMatch(/^\d+$/)
      // the server has it in E2E2, not in the default account
      expect(await orderIds(request, headers, ACCOUNT.id)).toContain(orderId)
      expect(await orderIds(request, headers, 'PAPER')).not.toContain(orderId)
    })

    await test.step('the overview: 1 holding in the new account', async () => {
      await nav(page, 'accounts', /\/accounts$/)
      const row = tableRow(page, 'accounts-table', ACCOUNT.id)
      await expect(row.getByTestId('account-holdings')).toHaveText('1')
      await expect(row.getByTestId('account-open-orders')).toHaveText('0')
      await expect(row).toContainText('当前')
      // a clean screen: the fill notice and the messages gone
      await dismissNotifications(page)
      await expect(page.locator('.el-message')).toHaveCount(0)
      await settled(page)
      await shot(page, 'accounts')
    })

    await test.step('click the default account row: back on it, and it has no such order', async () => {
      await tableRow(page, 'accounts-table', 'PAPER').click()
      await expect(page.getByTestId('account-current')).toHaveAttribute('data-account-id', 'PAPER')
      await expect(tableRow(page, 'accounts-table', 'PAPER')).toContainText('当前')
      await nav(page, 'orders', /\/orders/)
      await settled(page)
      const table = page.getByTestId('orders-table')
      await expect(table.locator('[data-order-id]').first()).toBeVisible() // the default account's own orders
      await expect(table.locator(`[data-order-id="${orderId}"]`)).toHaveCount(0)
      await nav(page, 'trading', /\/trading/)
      await page.getByRole('tab', { name: /当日委托/ }).click()
      await expect(page.getByTestId('orders-table').locator(`[data-order-id="${orderId}"]`)).toHaveCount(0)
    })

    await test.step('全部熔断 halts every account after a confirmation; 全部恢复 resumes them', async () => {
      await nav(page, 'accounts', /\/accounts$/)
      await page.getByTestId('halt-all').click()
      const dialog = page.getByTestId('halt-all-dialog')
      await expect(dialog).toBeVisible()
      await expect(dialog).toContainText('全部 2 个账户')
      await dialog.getByTestId('all-state-reason').fill('e2e 全局演练')
      await page.getByTestId('halt-all-confirm').click()
      await expect(dialog).toBeHidden()
      await expect(tableRow(page, 'accounts-table', 'PAPER').getByTestId('account-halted')).toBeVisible()
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id).getByTestId('account-halted')).toBeVisible()
      await expect(page.getByTestId('halted-banner')).toBeVisible()

      await page.getByTestId('resume-all').click()
      const resume = page.getByTestId('resume-all-dialog')
      await expect(resume).toBeVisible()
      await page.getByTestId('resume-all-confirm').click()
      await expect(resume).toBeHidden()
      await expect(page.getByTestId('accounts-table').getByTestId('account-halted')).toHaveCount(0)
      await expect(page.getByTestId('halted-banner')).toHaveCount(0)
    })

    await test.step(`removing ${ACCOUNT.id} with an open order: refused with the server's message`, async () => {
      const trade = await tradeHeaders(request, headers.Authorization.slice('Bearer '.length))
      const res = await request.post('/api/v1/trading/order', {
        headers: trade,
        data: { account_id: ACCOUNT.id, stock_code: STOCK.code, side: 'buy', quantity: 100, price_type: 'limit', price: STOCK.restingBuy },
      })
      expect(res.status(), await res.text()).toBe(201)
      const resting = String((await res.json()).data.order.order_id)
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id).getByTestId('account-open-orders')).toHaveText('1')
      await tableRow(page, 'accounts-table', ACCOUNT.id).getByTestId('account-remove').click()
      const box = page.locator('.el-message-box').filter({ visible: true })
      await expect(box).toContainText(ACCOUNT.id)
      await box.getByRole('button', { name: '移除' }).click()
      await expect(page.locator('.el-message--error').filter({ hasText: '未完成委托' }).first()).toBeVisible()
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id)).toHaveCount(1)
      const cancel = await request.post(`/api/v1/trading/orders/${resting}/cancel?account_id=${ACCOUNT.id}`, { headers: trade })
      expect(cancel.status(), await cancel.text()).toBe(200)
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id).getByTestId('account-open-orders')).toHaveText('0')
    })

    await test.step(`remove ${ACCOUNT.id} after a confirmation`, async () => {
      const row = tableRow(page, 'accounts-table', ACCOUNT.id)
      await row.getByTestId('account-remove').click()
      const box = page.locator('.el-message-box').filter({ visible: true })
      await expect(box).toContainText(ACCOUNT.id)
      await box.getByRole('button', { name: '移除' }).click()
      await expect(page.locator('.el-message--success').filter({ hasText: `已移除账户 ${ACCOUNT.id}` }).first()).toBeVisible()
      await expect(tableRow(page, 'accounts-table', ACCOUNT.id)).toHaveCount(0)
      // the default account has no remove button
      await expect(tableRow(page, 'accounts-table', 'PAPER').getByTestId('account-remove')).toHaveCount(0)
    })
  } finally {
    if (headers.Authorization) await request.post('/api/v1/risk/resume-all', { headers, data: { reason: 'e2e cleanup' } })
  }
  expect(errors).toEqual([])
})
