// The order detail's timeline in words a trader reads (已报, 部成 300 @ 11.97, 撤单请求, 已撤 …) from the
// events of GET /trading/orders/{id}: `{seq, stream: orders|trades, event, status, time, data}`, where
// `data` is the order as that change left it (orders) or the fill (trades).
import { t, tk } from '@/i18n'
import type { OrderEvent } from '@/api/types'
import { fmtInt, fmtMoney, fmtPrice, num } from './format'

export type TimelineTone = 'primary' | 'success' | 'warning' | 'danger' | 'info'

export interface TimelineEntry {
  time: string | null
  title: string
  detail: string
  tone: TimelineTone
  /** a stable error code behind the message, shown on hover only */
  code: string | null
}

type Data = Record<string, unknown>

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v)
}

/** the order as the change left it, or the fill, read field by field */
function dataOf(e: OrderEvent): Data {
  return e.data && typeof e.data === 'object' ? e.data : {}
}

/** xtquant's status names: a broker status report saying only one of these repeats the status line */
const STATUS_NAMES = new Set(['未报', '待报', '已报', '已报待撤', '部成待撤', '部撤', '已撤', '部成', '已成', '废单', '撤单成功'])

function message(d: Data): string {
  return str(d.error_message) || str(d.status_msg) || str(d.message)
}

/**
 * One line per event that means something to a person. Repeats carry nothing new and are dropped: a
 * fill's running total when the fill itself is listed, a broker status echo of the state just shown.
 */
export function orderTimeline(events: OrderEvent[] | null | undefined, decimals = 2): TimelineEntry[] {
  const list = [...(events ?? [])].sort((a, b) => (num(a.seq) || 0) - (num(b.seq) || 0))
  const hasFills = list.some((e) => e.stream === 'trades' || e.event === 'trade')
  const price = (v: unknown) => fmtPrice(v, decimals)
  const out: TimelineEntry[] = []
  let lastStatusMsg = ''

  for (const e of list) {
    const d = dataOf(e)
    const kind = e.event
    const time = e.time || null
    const push = (title: string, detail = '', tone: TimelineTone = 'primary', code: string | null = null) =>
      out.push({ time, title, detail, tone, code })
    const filled = num(d.filled_quantity) || 0
    const qty = num(d.quantity) || 0
    const avg = d.avg_fill_price

    if (e.stream === 'trades' || kind === 'trade') {
      push(t('tl.fill', { qty: fmtInt(d.quantity), price: price(d.price) }), d.amount ? t('tl.amount', { amount: fmtMoney(d.amount) }) : '', 'success')
      continue
    }
    switch (kind) {
      case 'created': {
        const side = tk('side', str(d.side))
        const how = d.price_type === 'limit' || !d.price_type ? price(d.price) : `${tk('pt', str(d.price_type))}${d.price ? ` ${price(d.price)}` : ''}`
        push(t('tl.created'), `${side} ${fmtInt(d.quantity)} @ ${how}`, 'info')
        break
      }
      case 'submitted':
        push(t('tl.submitted'), '', 'info')
        break
      case 'acknowledged':
        push(t('tl.acknowledged'), d.broker_order_id ? t('tl.brokerId', { id: str(d.broker_order_id) }) : '', 'info')
        break
      case 'broker_status': {
        const msg = str(d.status_msg)
        if (msg && msg !== lastStatusMsg && !STATUS_NAMES.has(msg)) push(t('tl.brokerStatus', { msg }), '', 'info')
        break
      }
      case 'accepted':
        push(t('tl.accepted'), '', 'primary')
        break
      case 'filled_quantity':
        if (!hasFills && filled > 0) push(t('tl.filledSoFar', { qty: fmtInt(filled), total: fmtInt(qty) }), avg ? t('tl.avg', { price: price(avg) }) : '', 'success')
        break
      case 'partially_filled':
        push(t('tl.partial', { qty: fmtInt(filled), price: price(avg) }), t('tl.ofTotal', { total: fmtInt(qty) }), 'success')
        break
      case 'filled':
        push(t('tl.filled', { qty: fmtInt(filled || qty), price: price(avg) }), '', 'success')
        break
      case 'cancel_requested':
        push(t('tl.cancelRequested'), '', 'warning')
        break
      case 'pending_cancel':
        push(t('tl.pendingCancel'), filled > 0 ? t('tl.filledPart', { qty: fmtInt(filled) }) : '', 'warning')
        break
      case 'canceled':
        push(t('tl.canceled'), STATUS_NAMES.has(str(d.status_msg)) ? '' : str(d.status_msg), 'info')
        break
      case 'partially_canceled':
        push(t('tl.partialCanceled'), t('tl.partialCanceledDetail', { filled: fmtInt(filled), rest: fmtInt(Math.max(0, qty - filled)) }), 'warning')
        break
      case 'denied':
        push(t('tl.denied'), message(d), 'danger', str(d.error) || null)
        break
      case 'rejected':
        push(t('tl.rejected'), message(d), 'danger', str(d.error) || null)
        break
      case 'order_error':
        push(t('tl.orderError'), message(d), 'danger', str(d.error) || null)
        break
      case 'expired':
        push(t('tl.expired'), filled > 0 ? t('tl.filledPart', { qty: fmtInt(filled) }) : t('tl.expiredDetail'), 'info')
        break
      case 'unknown':
        push(t('tl.unknown'), message(d), 'warning')
        break
      case 'client_id_released':
        break
      default: {
        // an event this page does not know yet: its status in words, never a field dump
        const st = str(e.status ?? d.status)
        push(st ? tk('status', st) : tk('event', kind, kind || '--'), message(d), 'info', str(d.error) || null)
      }
    }
    if (d.status_msg !== undefined) lastStatusMsg = str(d.status_msg)
  }
  return out
}

/** The words of a stable error code when the server sent no message: known codes, then the risk rule. */
export function errorCodeText(code: string | null | undefined): string {
  if (!code) return ''
  const known = tk('errcode', code, '')
  if (known) return known
  if (code.startsWith('RISK_')) {
    const rule = tk('rule', code.slice(5).toLowerCase(), '')
    if (rule) return t('errcode.risk', { rule })
  }
  return t('errcode.other')
}

/**
 * What the 说明 column says of an order: the server's message (error_message, else status_msg), else
 * the words of its error code; never the bare code (that goes in a tooltip).
 */
export function orderMessage(o: { error?: string | null; error_message?: string | null; status_msg?: string | null }): string {
  const text = (o.error_message ?? '').trim() || (o.status_msg ?? '').trim()
  if (text && text !== o.error) return text
  return errorCodeText(o.error)
}
