// One trading-password dialog for the whole app: `ensureTradeUnlocked()` resolves true once a valid
// trade token is held (asking for the trading password when needed), false when the user gives up.
import { reactive } from 'vue'
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
