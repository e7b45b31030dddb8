// Fixed facts of the suite's server (see global-setup.ts) and where results go.
import { fileURLToPath, URL } from 'node:url'
import { join } from 'node:path'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RESULTS_DIR = join(REPO_ROOT, 'test-results')
export const SCREENSHOT_DIR = join(RESULTS_DIR, 'screenshots')

export const ADMIN = { username: 'admin', password: 'admin-pass-1', tradingPassword: '246810' }

/** Paper mode, simulated clock on a Wednesday in the continuous session, fixed book. */
export const E2E_ENV: Record<string, string> = {
  QMTDESK_BROKER: 'paper',
  QMTDESK_PAPER_CLOCK: '2026-11-25T10:00:00',
  QMTDESK_PAPER_VOLATILITY: '0',
  QMTDESK_PAPER_SEED: '7',
  QMTDESK_PAPER_CASH: '1000000',
}

/** The fixed book of 600000.SH with volatility 0. */
export const STOCK = {
  code: '600000.SH',
  last: '11.50',
  bestAsk: '11.51',
  bestBid: '11.49',
  restingBuy: '11.40',
}
