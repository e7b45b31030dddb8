// End-to-end suite: a real `qmtdesk serve` (paper broker, simulated clock, fixed book) started by
// e2e/global-setup.ts, driven through Debian's Chromium (browsers are never downloaded).
// Run: `npm run e2e` here, or `bash scripts/e2e.sh` from the repo root.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from '@playwright/test'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  // one server, one ordered flow: never run tests side by side
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  globalTimeout: 8 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: `${repoRoot}test-results/playwright`,
  reporter: [['list']],
  use: {
    // set by global setup (the server's free port); workers inherit it
    baseURL: process.env.QMTDESK_E2E_BASE_URL,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.QMTDESK_E2E_CHROMIUM ?? '/usr/bin/chromium',
      // Playwright gives every launch a fresh temporary user-data-dir of its own
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
})
