// Small helpers shared by the specs: log in / out, pick a stock, fill the ticket, screenshots.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, type Locator, type Page } from '@playwright/test'
import { ADMIN, SCREENSHOT_DIR } from './env'

export async function login(page: Page, user = ADMIN): Promise<void> {
  await page.goto('/login')
  await page.getByTestId('login-username').fill(user.username)
  await page.getByTestId('login-password').fill(user.password)
  await page.getByTestId('login-submit').click()
  await expect(page).toHaveURL(/\/$/)
  await expect(page.getByTestId('stat-total-asset')).toBeVisible()
}

export async function logout(page: Page): Promise<void> {
  await page.getByTestId('user-menu').click()
  const item = page.getByTestId('logout').filter({ visible: true })
  await item.click()
  await expect(page).toHaveURL(/\/login/)
  await expect(page.getByTestId('login-username')).toBeVisible()
}

/** Menu navigation, as a trader clicks it (desktop layout). */
export async function nav(page: Page, name: string, path: RegExp): Promise<void> {
  await page.getByTestId(`nav-${name}`).click()
  await expect(page).toHaveURL(path)
}

/** Types into the stock search and picks the suggestion for `code`. */
export async function pickStock(page: Page, code: string): Promise<void> {
  const search = page.getByTestId('stock-search')
  await search.fill(code.slice(0, 6))
  await page.getByTestId(`stock-option-${code}`).filter({ visible: true }).click()
  await expect(page.getByTestId('ticket-code')).toContainText(code)
}

/**
 * The native input behind a testid. Element Plus `el-input` / `el-autocomplete` put the testid on
 * the `<input>` itself, but `el-input-number` (ticket price / quantity) keeps it on its wrapper.
 */
export function field(page: Page, testId: string): Locator {
  return page.locator(`input[data-testid="${testId}"], [data-testid="${testId}"] input`)
}

/** Sets an Element Plus input-number: fill commits on blur. */
export async function setNumber(input: Locator, value: string): Promise<void> {
  await input.fill(value)
  await input.blur()
  await expect(input).toHaveValue(value)
}

export async function fillTicket(page: Page, side: 'buy' | 'sell', price: string, quantity: number): Promise<void> {
  await page.getByTestId(side === 'buy' ? 'ticket-side-buy' : 'ticket-side-sell').click()
  await expect(page.getByTestId('order-ticket')).toHaveClass(new RegExp(`\\b${side}\\b`))
  await setNumber(field(page, 'ticket-price'), price)
  await setNumber(field(page, 'ticket-quantity'), String(quantity))
}

/** The body row of an Element Plus table (by testid) that contains `text`. */
export function tableRow(page: Page, tableTestId: string, text: string | RegExp): Locator {
  return page.getByTestId(tableTestId).locator('.el-table__body tr').filter({ hasText: text })
}

/** Text of the `index`-th cell of an Element Plus table row. */
export function cell(row: Locator, index: number): Locator {
  return row.locator('td').nth(index)
}

/**
 * Closes the fill / rejection notifications (top-right, 3-5 s each) the way a trader would. They
 * let clicks through to what is underneath (04-risk-monitor.spec.ts checks they never cover the
 * cancel buttons), so this is only for a clean screen.
 */
export async function dismissNotifications(page: Page): Promise<void> {
  const notes = page.locator('.el-notification')
  await expect(async () => {
    const close = notes.locator('.el-notification__closeBtn')
    if (await close.count()) await close.first().click({ timeout: 1000 })
    // a notification under the pointer pauses its own timer: keep the pointer off them
    await page.mouse.move(0, 0)
    await expect(notes).toHaveCount(0, { timeout: 1000 })
  }).toPass({ timeout: 15_000 })
}

/** Waits until no Element Plus loading mask is shown. */
export async function settled(page: Page): Promise<void> {
  await expect(page.locator('.el-loading-mask:visible')).toHaveCount(0)
}

/** Polls each visible chart canvas until two consecutive captures are identical (ECharts animates). */
export async function chartsSettled(page: Page): Promise<void> {
  const canvases = page.locator('canvas:visible')
  const n = await canvases.count()
  for (let i = 0; i < n; i++) {
    let prev: Buffer | null = null
    for (let tries = 0; tries < 40; tries++) {
      const buf = await canvases.nth(i).screenshot({ animations: 'disabled' })
      if (prev && buf.equals(prev)) break
      prev = buf
      await page.waitForTimeout(100)
    }
  }
}

/**
 * Full-page screenshot. The layout scrolls inside `.main`, not the document, so the viewport is
 * stretched to the content height for the shot and restored afterwards.
 */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  // pending API calls answered (the WebSocket does not count), charts done animating
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined)
  await chartsSettled(page)
  const path = join(SCREENSHOT_DIR, `${name}.png`)
  const size = page.viewportSize()
  const needed = await page.evaluate(() => {
    const main = document.querySelector<HTMLElement>('.main')
    const doc = document.documentElement.scrollHeight
    if (!main) return doc
    const top = main.getBoundingClientRect().top
    return Math.max(doc, Math.ceil(top + main.scrollHeight))
  })
  if (size && needed > size.height) await page.setViewportSize({ width: size.width, height: Math.min(needed, 6000) })
  try {
    await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' })
  } finally {
    if (size && needed > size.height) await page.setViewportSize(size)
  }
  return path
}

/** Moves the keyboard focus off any input, so typed keys reach the page's own shortcuts. */
export async function blurAll(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur?.())
}

export interface TableFit {
  /** how far the table's body is wider than what it shows (0: nothing to scroll) */
  overflow: number
  /** header cells whose text is cut (ellipsis) or wrapped */
  truncated: string[]
  /** header cells that are outside the table's box or under another element (a fixed column) */
  hidden: string[]
  /** the last header's label and box, and the table's box */
  last: { label: string; right: number }
  tableRight: number
}

/**
 * How an Element Plus table (by testid) fits its box: horizontal overflow of the body, header labels
 * cut by an ellipsis, and header cells outside the visible area or covered by a fixed column (the
 * element at a header's centre is not that header).
 */
export async function tableFit(page: Page, testId: string): Promise<TableFit> {
  const table = page.getByTestId(testId).first()
  await table.evaluate((el) => el.querySelector('.el-table__header-wrapper')?.scrollIntoView({ block: 'center' }))
  return table.evaluate((el) => {
    const box = el.getBoundingClientRect()
    const wrap = el.querySelector<HTMLElement>('.el-table__body-wrapper .el-scrollbar__wrap') ?? el.querySelector<HTMLElement>('.el-table__body-wrapper')
    const overflow = wrap ? wrap.scrollWidth - wrap.clientWidth : 0
    const ths = Array.from(el.querySelectorAll<HTMLElement>('.el-table__header-wrapper th')).filter((th) => th.offsetWidth > 0)
    const truncated: string[] = []
    const hidden: string[] = []
    for (const th of ths) {
      const label = th.innerText.trim()
      const cell = th.querySelector<HTMLElement>('.cell')
      // cut by an ellipsis, or wrapped onto a second line
      const lineHeight = cell ? parseFloat(getComputedStyle(cell).lineHeight) || 20 : 20
      if (label && cell && (cell.scrollWidth > cell.clientWidth + 1 || cell.offsetHeight > lineHeight * 1.5)) truncated.push(label)
      const r = th.getBoundingClientRect()
      const inside = r.left >= box.left - 1 && r.right <= box.right + 1
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)
      if (label && (!inside || hit?.closest('th') !== th)) hidden.push(label)
    }
    const lastTh = ths[ths.length - 1]
    return {
      overflow,
      truncated,
      hidden,
      last: { label: lastTh?.innerText.trim() ?? '', right: lastTh?.getBoundingClientRect().right ?? 0 },
      tableRight: box.right,
    }
  })
}
