// Monitoring helpers: the sizing editor (quantity | amount | *_pct), strategy parameter editors built
// from GET /monitor/strategies, the watchlist switches, and merging the `signals` stream into the
// signal list.
import { monitorApi } from '@/api/endpoints'
import type { MonitoredStock, SignalRow, SignalStreamItem, Sizing, SizingMethod, StrategyDef, StrategyParamDef } from '@/api/types'
import { fmtInt, fmtMoney, fmtPct, fractionToPercentInput, percentInputToFraction } from './format'
import { withTradeUnlock } from './unlock'

export const SIZING_METHODS: SizingMethod[] = ['quantity', 'amount', 'equity_pct', 'target_pct', 'position_pct']

export function isPctSizing(method: SizingMethod | string | null | undefined): boolean {
  return !!method && method.endsWith('_pct')
}

/** Used when GET /monitor/strategies is not available: the contract's three built-in strategies. */
export const FALLBACK_STRATEGIES: StrategyDef[] = [
  {
    type: 'ma_cross',
    name_zh: '均线交叉',
    description: '',
    params: [
      { name: 'fast', type: 'int', default: 5, description: '快线周期（K线根数），须小于 slow', required: false, nullable: false },
      { name: 'slow', type: 'int', default: 20, description: '慢线周期（K线根数）', required: false, nullable: false },
      { name: 'period_seconds', type: 'int', default: 60, description: 'K线周期（秒）', required: false, nullable: false },
    ],
  },
  {
    type: 'grid',
    name_zh: '网格',
    description: '',
    params: [
      { name: 'base_price', type: 'decimal', default: null, description: '网格基准价（元）', required: true, nullable: false },
      { name: 'step_pct', type: 'decimal', default: '0.02', description: '每格间距（相对基准价）', required: false, nullable: false },
      { name: 'lots_per_step', type: 'int', default: 1, description: '每档买入/卖出的手数', required: false, nullable: false },
      { name: 'max_lots', type: 'int', default: 5, description: '网格最多同时持有的手数', required: false, nullable: false },
    ],
  },
  {
    type: 'stop_loss_take_profit',
    name_zh: '止盈止损',
    description: '',
    params: [
      { name: 'stop_pct', type: 'decimal', default: '0.05', description: '止损幅度（相对成本价）', required: false, nullable: false },
      { name: 'take_profit_pct', type: 'decimal', default: '0.10', description: '止盈幅度（相对成本价）', required: false, nullable: false },
      { name: 'trailing_pct', type: 'decimal', default: null, description: '回撤止盈幅度（相对最高价），为空不启用', required: false, nullable: true },
    ],
  },
]

export type InputError =
  | 'monitor.errRequired'
  | 'monitor.errInt'
  | 'monitor.errDecimal'
  | 'monitor.errPct'
  | 'monitor.badSizing'

const DECIMAL = /^\d+(\.\d+)?$/

// ------------------------------------------------------------------ sizing

/** The value as the editor shows it: shares / CNY as is, fractions as percent ("0.05" -> "5"). */
export function sizingValueToInput(s: Sizing | null | undefined): string {
  if (!s) return ''
  return isPctSizing(s.method) ? fractionToPercentInput(s.value) : String(s.value)
}

/** The editor's input as the API's sizing: integer shares, a CNY string, or a fraction string. */
export function inputToSizing(method: SizingMethod | '' | null, input: string): { value: Sizing | null } | { error: InputError } {
  if (!method) return { value: null }
  const s = String(input ?? '').trim().replace(/,/g, '').replace(/%$/, '')
  if (!s || !DECIMAL.test(s) || Number(s) <= 0) return { error: 'monitor.badSizing' }
  if (method === 'quantity') {
    if (!/^\d+$/.test(s)) return { error: 'monitor.badSizing' }
    return { value: { method, value: Number(s) } }
  }
  if (method === 'amount') return { value: { method, value: s } }
  if (Number(s) > 100) return { error: 'monitor.errPct' }
  return { value: { method, value: percentInputToFraction(s) ?? s } }
}

const SIZING_LABELS: Record<string, readonly [string, string]> = {
  quantity: ['固定股数', 'Quantity'],
  amount: ['固定金额', 'Amount'],
  equity_pct: ['总资产比例', '% of equity'],
  target_pct: ['目标仓位', 'Target weight'],
  position_pct: ['持仓比例', '% of position'],
}

export function formatSizing(s: Sizing | null | undefined, en = false): string {
  if (!s) return '--'
  const label = SIZING_LABELS[s.method]?.[en ? 1 : 0] ?? s.method
  if (s.method === 'quantity') return `${label} ${fmtInt(s.value)}${en ? ' sh' : ' 股'}`
  if (s.method === 'amount') return `${label} ¥${fmtMoney(s.value, 2)}`
  return `${label} ${fmtPct(s.value, 2, false)}`
}

// ------------------------------------------------------------------ strategy parameters

/** Shown and edited as a percentage: decimal parameters named *_pct (fractions). */
export function isPctParam(p: StrategyParamDef): boolean {
  return p.type === 'decimal' && p.name.endsWith('_pct')
}

/** Parameters the editor offers (a `sizing` parameter is the entry's own sizing, edited apart). */
export function editableParams(def: StrategyDef | null | undefined): StrategyParamDef[] {
  return (def?.params ?? []).filter((p) => p.type !== 'sizing')
}

export function strategyParamToInput(p: StrategyParamDef, v: unknown): string | number | null {
  if (v === null || v === undefined || v === '') return p.type === 'int' ? null : ''
  if (p.type === 'int') {
    const n = Number(v)
    return Number.isFinite(n) ? n : null
  }
  if (isPctParam(p)) return fractionToPercentInput(v)
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

export function inputToStrategyParam(p: StrategyParamDef, input: unknown): { value: unknown } | { error: InputError } {
  const empty = input === null || input === undefined || String(input).trim() === ''
  if (empty) return p.required ? { error: 'monitor.errRequired' } : { value: null }
  if (p.type === 'int') {
    const n = Number(input)
    return Number.isInteger(n) ? { value: n } : { error: 'monitor.errInt' }
  }
  if (p.type === 'decimal') {
    const s = String(input).trim().replace(/,/g, '').replace(/%$/, '')
    if (!DECIMAL.test(s)) return { error: isPctParam(p) ? 'monitor.errPct' : 'monitor.errDecimal' }
    return { value: isPctParam(p) ? percentInputToFraction(s) : s }
  }
  return { value: input }
}

/** Editor inputs of a strategy: the entry's values where given, else the defaults. */
export function strategyInputs(def: StrategyDef | null | undefined, params: Record<string, unknown> = {}): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {}
  for (const p of editableParams(def)) out[p.name] = strategyParamToInput(p, p.name in params ? params[p.name] : p.default)
  return out
}

/** Summary of an entry's params for the table: "fast 5 · slow 20 · step_pct 2.00%". */
export function formatStrategyParams(def: StrategyDef | null | undefined, params: Record<string, unknown> | null | undefined): string {
  const defs = new Map((def?.params ?? []).map((p) => [p.name, p]))
  return Object.entries(params ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && typeof v !== 'object')
    .map(([k, v]) => {
      const p = defs.get(k)
      const text = p && isPctParam(p) ? fmtPct(v, 2, false) : String(v)
      return `${k} ${text}`
    })
    .join(' · ')
}

// ------------------------------------------------------------------ watchlist switches

/**
 * Sets `enabled` / `auto_trade` of a watched stock and applies the server's answer to `s`. Turning
 * auto trading on needs the trade token: TRADE_LOCKED opens the unlock dialog and the change is sent
 * again once unlocked. On any failure `s` is left as it was and the ApiError is thrown (TRADE_LOCKED
 * when the user cancelled the unlock).
 */
export async function setMonitorSwitch(s: MonitoredStock, field: 'enabled' | 'auto_trade', value: boolean): Promise<void> {
  const updated = await withTradeUnlock(() => monitorApi.update(s.stock_code, { [field]: value }))
  Object.assign(s, updated)
}

// ------------------------------------------------------------------ signals

export interface SignalFilters {
  strategy_name?: string
  stock_code?: string
  decision?: string
}

export function signalMatches(s: SignalRow, f: SignalFilters): boolean {
  if (f.strategy_name && s.strategy_name !== f.strategy_name) return false
  if (f.stock_code && !s.stock_code.toUpperCase().startsWith(f.stock_code.trim().toUpperCase())) return false
  if (f.decision && s.decision !== f.decision) return false
  return true
}

/**
 * A decision from the `signals` stream into the first page: replaces the signal with the same
 * signal_id, or goes on top (the page keeps `pageSize` rows); a `duplicate` (a replay) changes
 * nothing. `added` says whether the total grew.
 */
export function upsertSignal(list: SignalRow[], s: SignalStreamItem, f: SignalFilters, pageSize: number): { list: SignalRow[]; added: boolean } {
  if (!s || !s.signal_id) return { list, added: false }
  // a replay of a known signal_id: the stored signal keeps its first decision
  if (s.decision === 'duplicate') return { list, added: false }
  if (!signalMatches(s, f)) return { list, added: false }
  const idx = list.findIndex((x) => x.signal_id === s.signal_id)
  if (idx >= 0) {
    const next = list.slice()
    next[idx] = { ...list[idx], ...s }
    return { list: next, added: false }
  }
  return { list: [s, ...list].slice(0, pageSize), added: true }
}
