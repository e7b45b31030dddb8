// Ends the server started by global-setup.ts (its whole process group: SIGTERM, then SIGKILL after
// 5 s) and removes its temporary data dir.
import { rmSync } from 'node:fs'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function stopServer(): Promise<void> {
  const pid = Number(process.env.QMTDESK_E2E_SERVER_PID || 0)
  if (pid > 0) {
    try {
      process.kill(-pid, 'SIGTERM')
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + 5000
    while (alive(pid) && Date.now() < deadline) await sleep(100)
    if (alive(pid)) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    delete process.env.QMTDESK_E2E_SERVER_PID
  }
  const dataDir = process.env.QMTDESK_E2E_DATA_DIR
  if (dataDir && !process.env.QMTDESK_E2E_KEEP_DATA) {
    rmSync(dataDir, { recursive: true, force: true })
    delete process.env.QMTDESK_E2E_DATA_DIR
  }
}

export default async function globalTeardown(): Promise<void> {
  await stopServer()
}
