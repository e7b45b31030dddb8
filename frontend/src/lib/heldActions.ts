// Cancelling a held order or an algo order from a table: asks first when the 撤单前确认 preference
// is on (like every order cancel), unlocks trading when needed, sends the cancel once and puts the
// answer into the live lists.
import { ElMessage, ElMessageBox } from 'element-plus'
import { t, tk } from '@/i18n'
import { errorMessage } from '@/api/request'
import { algoApi, heldApi } from '@/api/endpoints'
import type { AlgoOrder, HeldOrder } from '@/api/types'
import { fmtInt } from './format'
import { heldTriggerText, isHeldCancelable } from './heldOrders'
import { algoKindText, isAlgoLive } from './algoOrders'
import { ensureTradeUnlocked } from './unlock'
import { useLiveStore } from '@/stores/live'
import { usePrefsStore } from '@/stores/prefs'

async function asked(message: string, title: string, confirmText: string): Promise<boolean> {
  if (!usePrefsStore().confirmCancel) return true
  try {
    await ElMessageBox.confirm(message, title, {
      type: 'warning',
      confirmButtonText: confirmText,
      cancelButtonText: t('held.keep'),
      customClass: 'q-cancel-confirm',
    })
    return true
  } catch {
    return false
  }
}

/** "卖出 浦发银行 600000.SH 100：最新价 ≤ 11.30" */
export function describeHeld(h: HeldOrder): string {
  const qty = h.quantity > 0 ? ` ${fmtInt(h.quantity)}` : ''
  return `${tk('side', h.side)} ${h.stock_name || ''} ${h.stock_code}${qty}：${heldTriggerText(h)}`.replace(/\s+/g, ' ')
}

export async function cancelHeld(h: HeldOrder): Promise<HeldOrder | null> {
  if (!isHeldCancelable(h)) return null
  if (!(await asked(t('held.cancelConfirm', { what: describeHeld(h) }), t('held.cancel'), t('held.cancel')))) return null
  if (!(await ensureTradeUnlocked())) return null
  try {
    const res = await heldApi.cancel(h.id)
    useLiveStore().mergeHeld(res)
    ElMessage.success(t('held.canceled'))
    return res
  } catch (e) {
    ElMessage.error(errorMessage(e))
    return null
  }
}

export async function cancelAlgo(a: AlgoOrder): Promise<AlgoOrder | null> {
  if (!isAlgoLive(a)) return null
  const what = `${algoKindText(a.algo)} ${tk('side', a.side)} ${a.stock_name || ''} ${a.stock_code} ${fmtInt(a.quantity)}`.replace(/\s+/g, ' ')
  if (!(await asked(t('algo.cancelConfirm', { what }), t('algo.cancel'), t('algo.cancel')))) return null
  if (!(await ensureTradeUnlocked())) return null
  try {
    const res = await algoApi.cancel(a.id)
    useLiveStore().mergeAlgo(res)
    ElMessage.success(t('algo.canceled'))
    return res
  } catch (e) {
    ElMessage.error(errorMessage(e))
    return null
  }
}
