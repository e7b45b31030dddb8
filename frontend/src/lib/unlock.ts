// One trading-password dialog for the whole app: `ensureTradeUnlocked()` resolves true once a valid
// trade token is held (asking for the trading password when needed), false when the user gives up.
import { reactive } from 'vue'
import { ApiError } from '@/api/request'
import { useTradeTokenStore } from '@/stores/tradeToken'

export const unlockState = reactive({
  visible: false,
  resolvers: [] as Array<(ok: boolean) => void>,
})

export function ensureTradeUnlocked(): Promise<boolean> {
  const trade = useTradeTokenStore()
  if (trade.isValid()) return Promise.resolve(true)
  return new Promise((resolve) => {
    unlockState.resolvers.push(resolve)
    unlockState.visible = true
  })
}

export function finishUnlock(ok: boolean): void {
  unlockState.visible = false
  const rs = unlockState.resolvers.splice(0)
  rs.forEach((r) => r(ok))
}

export function isTradeLocked(e: unknown): e is ApiError {
  return e instanceof ApiError && e.code === 'TRADE_LOCKED'
}

/**
 * Runs `send`; when the server answers TRADE_LOCKED, asks for the trading password and, once
 * unlocked, sends it once more. Only for requests the server refuses before doing anything (turning
 * auto trading on): an order is never re-sent without the user confirming it again. Rethrows the
 * TRADE_LOCKED error when the user cancels.
 */
export async function withTradeUnlock<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send()
  } catch (e) {
    // the TRADE_LOCKED hook (main.ts) has dropped the stale token, so this opens the dialog
    if (!isTradeLocked(e) || !(await ensureTradeUnlocked())) throw e
    return send()
  }
}
