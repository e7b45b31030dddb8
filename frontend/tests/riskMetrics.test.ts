import { describe, expect, it } from 'vitest'
import type { RiskMetrics } from '@/api/types'
import { RISK_METRICS, riskMetricRows, tradingStateLabel } from '@/lib/riskMetrics'
import { formatParam, inputToParam, paramToInput, scopeStrategy, strategyScope } from '@/lib/riskParams'

/** GET /risk/metrics as the server answers it */
const METRICS: RiskMetrics = {
  time: '2026-11-25T10:00:00+08:00',
  trading_day: '2026-11-25',
  trading_state: 'reduce_only',
  halted: false,
  total_asset: '1000123.456',
  cash: '998000.00',
  cash_ratio: '0.9979',
  market_value: '2300.00',
  exposure: '0.0023',
  largest_position_code: '600000.SH',
  largest_position_pct: '0.0523',
  holdings_count: 1,
  today_pnl: '-123.40',
  today_pnl_pct: '-0.0001',
  current_drawdown: '0.0012',
  max_drawdown: '0.0456',
  turnover_today: '1151.00',
  orders_today: 3,
  denied_today: 1,
  cancels_today: 2,
  active_orders: 1,
}

describe('risk metrics', () => {
  it('has a label for every metric of the API', () => {
    const keys = RISK_METRICS.map((m) => m.key).sort()
    expect(keys).toEqual(Object.keys(METRICS).sort())
  })

  it('renders zh-CN labels, percentages, money and counts', () => {
    const rows = riskMetricRows(METRICS)
    const by = Object.fromEntries(rows.map((r) => [r.key, r]))
    expect(rows).toHaveLength(Object.keys(METRICS).length)
    expect(by.trading_state.label).toBe('交易状态')
    expect(by.trading_state.text).toBe('只减仓')
    expect(by.halted.text).toBe('否')
    expect(by.total_asset.text).toBe('1,000,123.46')
    expect(by.cash_ratio.text).toBe('99.79%')
    expect(by.exposure.text).toBe('0.23%')
    expect(by.largest_position_pct.text).toBe('5.23%')
    expect(by.largest_position_code.text).toBe('600000.SH')
    expect(by.max_drawdown.text).toBe('4.56%')
    expect(by.today_pnl.text).toBe('-123.40')
    expect(by.today_pnl.cls).toBe('q-down')
    expect(by.today_pnl_pct.text).toBe('-0.01%')
    expect(by.today_pnl_pct.cls).toBe('q-down')
    expect(by.turnover_today.text).toBe('1,151.00')
    expect(by.orders_today.text).toBe('3')
    expect(by.time.text).toBe('2026-11-25 10:00:00')
    expect(by.cash.cls).toBe('')
    // no raw English keys as labels
    expect(rows.every((r) => !/^[a-z_]+$/.test(r.label))).toBe(true)
  })

  it('renders English labels when English is selected, and keeps unknown keys raw', () => {
    // a key this page does not know yet (a newer server) is listed raw at the end
    const newer = { ...METRICS, today_pnl: '10', trading_state: 'halted' as const, halted: true, extra_thing: 5 }
    const rows = riskMetricRows(newer, true)
    const by = Object.fromEntries(rows.map((r) => [r.key, r]))
    expect(by.max_drawdown.label).toBe('Max drawdown')
    expect(by.trading_state.text).toBe('Halted')
    expect(by.halted.text).toBe('Yes')
    expect(by.today_pnl.text).toBe('+10.00')
    expect(by.today_pnl.cls).toBe('q-up')
    expect(rows[rows.length - 1]).toMatchObject({ key: 'extra_thing', label: 'extra_thing', text: '5' })
  })

  it('shows -- for ratios the server leaves null and nothing for no metrics', () => {
    const rows = riskMetricRows({ ...METRICS, cash_ratio: null, exposure: null })
    const by = Object.fromEntries(rows.map((r) => [r.key, r]))
    expect([by.cash_ratio.text, by.exposure.text]).toEqual(['--', '--'])
    expect(riskMetricRows(null)).toEqual([])
  })

  it('labels the trading states', () => {
    expect(tradingStateLabel('active', false)).toBe('正常')
    expect(tradingStateLabel('reduce_only', false)).toBe('只减仓')
    expect(tradingStateLabel('halted', false)).toBe('已熔断')
    expect(tradingStateLabel('halted', true)).toBe('Halted')
  })
})

describe('risk rule parameters', () => {
  it('edits fractions as percentages and sends fraction strings back', () => {
    expect(paramToInput('fraction', '0.2')).toBe('20')
    expect(inputToParam('fraction', '20')).toEqual({ value: '0.2' })
    expect(inputToParam('fraction', '5.5%')).toEqual({ value: '0.055' })
    expect(inputToParam('fraction', '')).toEqual({ value: null })
    expect(inputToParam('fraction', '120')).toEqual({ error: 'riskParam.badPct' })
  })

  it('keeps money as decimal strings, integers as numbers', () => {
    expect(paramToInput('money', '1000000')).toBe('1000000')
    expect(paramToInput('money', null)).toBe('')
    expect(inputToParam('money', '1,000,000.50')).toEqual({ value: '1000000.50' })
    expect(inputToParam('money', 'abc')).toEqual({ error: 'riskParam.badMoney' })
    expect(inputToParam('money', '')).toEqual({ value: null })
    expect(paramToInput('count', 300)).toBe(300)
    expect(inputToParam('count', 0)).toEqual({ value: 0 })
    expect(inputToParam('count', 1.5)).toEqual({ error: 'riskParam.badInt' })
    expect(inputToParam('seconds', 0)).toEqual({ error: 'riskParam.badInt' })
    expect(inputToParam('seconds', 5)).toEqual({ value: 5 })
  })

  it('takes codes as a list and booleans as booleans', () => {
    expect(paramToInput('codes', ['600000.SH'])).toEqual(['600000.SH'])
    expect(inputToParam('codes', ['600000.sh', ' 000001 ', '600000.SH'])).toEqual({ value: ['600000.SH', '000001'] })
    expect(inputToParam('codes', ['60000'])).toEqual({ error: 'riskParam.badCode' })
    expect(inputToParam('bool', true)).toEqual({ value: true })
    expect(paramToInput('bool', false)).toBe(false)
  })

  it('formats parameters for the rules table', () => {
    expect(formatParam('money', '1000000')).toBe('¥1,000,000.00')
    expect(formatParam('fraction', '0.05')).toBe('5.00%')
    expect(formatParam('seconds', 5)).toBe('5 秒')
    expect(formatParam('seconds', 5, true)).toBe('5 s')
    expect(formatParam('count', 100000)).toBe('100,000')
    expect(formatParam('codes', [])).toBe('无')
    expect(formatParam('bool', true)).toBe('是')
    expect(formatParam('money', null)).toBe('不限')
  })

  it('builds and reads strategy scopes', () => {
    expect(strategyScope(' grid1 ')).toBe('strategy:grid1')
    expect(strategyScope('  ')).toBeNull()
    expect(scopeStrategy('strategy:grid1')).toBe('grid1')
    expect(scopeStrategy('account')).toBeNull()
  })
})
