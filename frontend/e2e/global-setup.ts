// Starts a real `qmtdesk serve` for the suite: paper broker, fresh data dir, free port, simulated
// clock at 2026-11-25 10:00 (a Wednesday, continuous session) and volatility 0 (fixed book:
// 600000.SH last 11.50, asks 11.51..11.55, bids 11.49..11.45). Waits for GET /api/v1/health.
// The server's pid and data dir go into process.env for global-teardown.ts (same process) and the
// base URL into QMTDESK_E2E_BASE_URL, which the workers inherit (playwright.config.ts reads it).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN, E2E_ENV, REPO_ROOT, RESULTS_DIR } from './env'
import { stopServer } from './global-teardown'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export default async function globalSetup(): Promise<void> {
  const exe = join(REPO_ROOT, '.venv', 'bin', 'qmtdesk')
  if (!existsSync(exe)) throw new Error(`e2e: ${exe} not found: create the Python venv first (scripts/test.sh does)`)

  mkdirSync(RESULTS_DIR, { recursive: true })
  const dataDir = mkdtempSync(join(tmpdir(), 'qmtdesk-e2e-'))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const logPath = join(RESULTS_DIR, 'e2e-server.log')
  const log = openSync(logPath, 'w')

  const child = spawn(exe, ['serve'], {
    cwd: REPO_ROOT,
    env: {
      // nothing of a developer's own qmtdesk / MiniQMT settings leaks into the suite's server
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(QMTDESK_|MINIQMT_)/.test(k))),
      ...E2E_ENV,
      QMTDESK_DATA_DIR: dataDir,
      QMTDESK_HOST: '127.0.0.1',
      QMTDESK_PORT: String(port),
      QMTDESK_ADMIN_USERNAME: ADMIN.username,
      QMTDESK_ADMIN_PASSWORD: ADMIN.password,
      QMTDESK_ADMIN_TRADING_PASSWORD: ADMIN.tradingPassword,
    },
    stdio: ['ignore', log, log],
    detached: true, // its own process group, so teardown can end it and anything it started
  })
  process.env.QMTDESK_E2E_SERVER_PID = String(child.pid)
  process.env.QMTDESK_E2E_DATA_DIR = dataDir
  // if the runner dies without teardown, do not leave the server behind
  process.on('exit', () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
    } catch {
      /* already gone */
    }
  })

  const deadline = Date.now() + 40_000
  let lastError = ''
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      const res = await fetch(`${base}/api/v1/health`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) {
        const body = (await res.json()) as { data?: { status?: string } }
        if (body.data?.status === 'ok') {
          process.env.QMTDESK_E2E_BASE_URL = base
          console.log(`e2e: qmtdesk serve (pid ${child.pid}) ready at ${base}, data ${dataDir}, log ${logPath}`)
          return
        }
        lastError = `health: ${JSON.stringify(body)}`
      } else lastError = `health: HTTP ${res.status}`
    } catch (e) {
      lastError = String(e)
    }
    await sleep(200)
  }
  const tail = readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n')
  await stopServer()
  throw new Error(
    `e2e: qmtdesk serve did not become healthy at ${base} (${child.exitCode !== null ? `exited with ${child.exitCode}` : lastError})\n--- server log tail ---\n${tail}`,
  )
}
