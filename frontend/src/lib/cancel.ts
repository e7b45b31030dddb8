// One cancel for every cancel button and the F3 key: asks first when the 撤单前确认 preference is on,
// unlocks trading when needed, sends the cancel once and merges the answer into the live lists.
import { ElMessage, ElMessageBox } from 'element-plus'
import { t, tk } from '@/i18n'
import { errorMessage } from '@/api/request'
import { tradingApi } from '@/api/endpoints'
import type { Order } from '@/api/types'
import { fmtInt, fmtPrice, priceDecimalsForCode } from './format'
import { isCancelable } from './reducer'
import { ensureTradeUnlocked } from './unlock'
import { useLiveStore } from '@/stores/live'
import { usePrefsStore } from '@/stores/prefs'

/** "买入 浦发银行 600000.SH 100 @ 11.40": the order a confirmation names. */
export function describeOrder(o: Pick<Order, 'side' | 'stock_name' | 'stock_code' | 'quantity' | 'filled_quantity' | 'price' | 'price_type'>): string {
  const price = o.price ? fmtPrice(o.price, priceDecimalsForCode(o.stock_code)) : tk('pt', o.price_type)
  const rest = o.filled_quantity > 0 ? ` (${t('col.filled')} ${fmtInt(o.filled_quantity)})` : ''
  return `${tk('side', o.side)} ${o.stock_name || ''} ${o.stock_code} ${fmtInt(o.quantity)} @ ${price}${rest}`.replace(/\s+/g, ' ')
}

/** Asks "撤销委托 …？" when the preference says so; true to go on. */
export async function confirmCancel(o: Order): Promise<boolean> {
  if (!usePrefsStore().confirmCancel) return true
  try {
    await ElMessageBox.confirm(t('orders.cancelConfirm', { order: describeOrder(o) }), t('orders.cancel'), {
      type: 'warning',
      confirmButtonText: t('orders.cancel'),
      cancelButtonText: t('orders.keep'),
      customClass: 'q-cancel-confirm',
    })
    return true
  } catch {
    return false
  }
}

/**
 * Cancels `o` (after the confirmation when asked for): the order as the server answered (pending
 * cancel or final), or null when the user gave up or the server refused (the reason is shown).
 */
export async function cancelOrder(o: Order): Promise<Order | null> {
  if (!isCancelable(o)) return null
  if (!(await confirmCancel(o))) return null
  if (!(await ensureTradeUnlocked())) return null
  try {
    const { order: res } = await tradingApi.cancel(o.order_id)
    useLiveStore().mergeOrder(res)
    ElMessage.success(t('orders.cancelSent'))
    return res
  } catch (e) {
    ElMessage.error(errorMessage(e))
    return null
  }
}

/**
 * The order F3 cancels: the selected one while it can still be cancelled, else the newest cancelable
 * order of the stock on the ticket.
 */
export function orderToCancel(open: Order[], stockCode: string | null, selectedId: string | number | null): Order | null {
  const cancelable = open.filter(isCancelable)
  if (selectedId !== null) {
    const sel = cancelable.find((o) => String(o.order_id) === String(selectedId))
    if (sel) return sel
  }
  if (!stockCode) return null
  const mine = cancelable.filter((o) => o.stock_code === stockCode)
  if (!mine.length) return null
  return mine.reduce((a, b) => (b.created_at > a.created_at || (b.created_at === a.created_at && Number(b.order_id) > Number(a.order_id)) ? b : a))
}
