// Display rows of GET /risk/metrics: every known key with its label (zh-CN / English) and value
// formatted by kind (money 2 decimals, fraction strings as percentages, counts as integers); P&L
// values carry the up / down class (coloured per the red-up / green-up setting by CSS).
import type { RiskMetrics } from '@/api/types'
import { fmtDateTime, fmtInt, fmtMoney, fmtPct, fmtSignedMoney, trendClass } from './format'

export type MetricKind = 'time' | 'text' | 'state' | 'bool' | 'money' | 'pnl' | 'ratio' | 'pnl_ratio' | 'count' | 'code'

/** Every metric of the API, in display order, with its kind and [zh-CN, en] label. */
export const RISK_METRICS: ReadonlyArray<{ key: keyof RiskMetrics; kind: MetricKind; label: readonly [string, string] }> = [
  { key: 'trading_state', kind: 'state', label: ['交易状态', 'Trading state'] },
  { key: 'halted', kind: 'bool', label: ['是否熔断', 'Halted'] },
  { key: 'trading_day', kind: 'text', label: ['交易日', 'Trading day'] },
  { key: 'time', kind: 'time', label: ['计算时间', 'As of'] },
  { key: 'total_asset', kind: 'money', label: ['总资产', 'Total assets'] },
  { key: 'cash', kind: 'money', label: ['现金（含冻结）', 'Cash (incl. frozen)'] },
  { key: 'cash_ratio', kind: 'ratio', label: ['现金占比', 'Cash ratio'] },
  { key: 'market_value', kind: 'money', label: ['持仓市值', 'Market value'] },
  { key: 'exposure', kind: 'ratio', label: ['仓位（市值/总资产）', 'Exposure (value / assets)'] },
  { key: 'holdings_count', kind: 'count', label: ['持仓只数', 'Holdings'] },
  { key: 'largest_position_code', kind: 'code', label: ['最大持仓', 'Largest position'] },
  { key: 'largest_position_pct', kind: 'ratio', label: ['最大持仓占比', 'Largest position weight'] },
  { key: 'today_pnl', kind: 'pnl', label: ['当日盈亏', "Today's P&L"] },
  { key: 'today_pnl_pct', kind: 'pnl_ratio', label: ['当日盈亏比例', "Today's P&L %"] },
  { key: 'current_drawdown', kind: 'ratio', label: ['当前回撤', 'Current drawdown'] },
  { key: 'max_drawdown', kind: 'ratio', label: ['最大回撤', 'Max drawdown'] },
  { key: 'turnover_today', kind: 'money', label: ['当日成交额', 'Turnover today'] },
  { key: 'orders_today', kind: 'count', label: ['当日委托笔数', 'Orders today'] },
  { key: 'denied_today', kind: 'count', label: ['当日拒单笔数', 'Denied today'] },
  { key: 'cancels_today', kind: 'count', label: ['当日撤单笔数', 'Cancels today'] },
  { key: 'active_orders', kind: 'count', label: ['未完成委托', 'Active orders'] },
]

const STATE_LABELS: Record<string, readonly [string, string]> = {
  active: ['正常', 'Active'],
  reduce_only: ['只减仓', 'Reduce only'],
  halted: ['已熔断', 'Halted'],
}

export interface MetricRow {
  key: string
  label: string
  text: string
  /** q-up / q-down / q-flat for P&L, '' otherwise */
  cls: string
  kind: MetricKind
}

export function tradingStateLabel(state: string | null | undefined, en: boolean): string {
  if (!state) return '--'
  const l = STATE_LABELS[state]
  return l ? l[en ? 1 : 0] : state
}

function formatValue(kind: MetricKind, v: unknown, en: boolean): string {
  if (v === null || v === undefined || v === '') return '--'
  switch (kind) {
    case 'time':
      return fmtDateTime(String(v))
    case 'state':
      return tradingStateLabel(String(v), en)
    case 'bool':
      return v === true || v === 'true' ? (en ? 'Yes' : '是') : en ? 'No' : '否'
    case 'money':
      return fmtMoney(v, 2)
    case 'pnl':
      return fmtSignedMoney(v, 2)
    case 'ratio':
      return fmtPct(v, 2, false)
    case 'pnl_ratio':
      return fmtPct(v, 2, true)
    case 'count':
      return fmtInt(v)
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
}

/** The rows to show, known metrics first in their order, then any key the server added (raw). */
export function riskMetricRows(m: RiskMetrics | null | undefined, en = false): MetricRow[] {
  if (!m || typeof m !== 'object') return []
  const rows: MetricRow[] = []
  const known = new Set<string>()
  for (const def of RISK_METRICS) {
    known.add(def.key)
    if (!(def.key in m)) continue
    const v = m[def.key]
    rows.push({
      key: def.key,
      label: def.label[en ? 1 : 0],
      text: formatValue(def.kind, v, en),
      cls: def.kind === 'pnl' || def.kind === 'pnl_ratio' ? trendClass(v) : '',
      kind: def.kind,
    })
  }
  for (const [key, v] of Object.entries(m)) {
    if (known.has(key)) continue
    rows.push({ key, label: key, text: formatValue('text', v, en), cls: '', kind: 'text' })
  }
  return rows
}
