// The pure side of the 交割单 and 绩效分析 pages: the statement query, exact sums, the totals rows and
// footer, rates, the drawdown series, the strategies' cumulative lines, and the charts built on them.
import { describe, expect, it } from 'vitest'
import type { StatementSums, StrategyPerformance } from '@/api/types'
import {
  MAX_STATEMENT_DAYS,
  addDays,
  cumulativeLines,
  daysBetween,
  drawdownSeries,
  fillsFooter,
  fmtRate,
  holdingRows,
  isDay,
  maxDrawdownOf,
  monthStart,
  statementFilename,
  statementQuery,
  strategiesSum,
  subtractDecimal,
  sumDecimals,
  sumsRows,
  unbalancedCount,
} from '@/lib/reports'
import { equityDrawdownOption, moneyAxis, strategyPnlOption } from '@/lib/reportCharts'
import { chartColors } from '@/lib/chartOptions'

const sums = (p: Partial<StatementSums> = {}): StatementSums => ({
  buy_amount: '0.00',
  sell_amount: '0.00',
  commission: '0.00',
  stamp_duty: '0.00',
  transfer_fee: '0.00',
  fees: '0.00',
  net_amount: '0.00',
  ...p,
})

function strategy(p: Partial<StrategyPerformance> & { strategy_name: string }): StrategyPerformance {
  return {
    manual: false,
    fills: 0,
    sales: 0,
    wins: 0,
    win_rate: null,
    realized_profit: '0.00',
    floating_profit: '0.00',
    total_profit: '0.00',
    fees: '0.00',
    turnover: '0.00',
    holdings: [],
    daily: [],
    ...p,
  }
}

describe('days', () => {
  it('reads only real calendar days', () => {
    expect(isDay('2026-11-25')).toBe(true)
    expect(isDay('2026-02-30')).toBe(false)
    expect(isDay('2026-1-5')).toBe(false)
    expect(isDay(null)).toBe(false)
    expect(isDay(['2026-11-25'])).toBe(false)
  })

  it('counts and moves by calendar days, across months and years', () => {
    expect(daysBetween('2026-11-25', '2026-11-25')).toBe(0)
    expect(daysBetween('2026-11-25', '2026-12-02')).toBe(7)
    expect(daysBetween('2026-12-02', '2026-11-25')).toBe(-7)
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(monthStart('2026-11-25')).toBe('2026-11-01')
  })
})

describe('statementQuery', () => {
  it('one day: trading_day, or nothing (the server’s current day) when none is picked', () => {
    expect(statementQuery('day', '2026-11-25', null)).toEqual({ query: { trading_day: '2026-11-25' } })
    expect(statementQuery('day', null, null)).toEqual({ query: {} })
    expect(statementQuery('day', '2026-13-01', null)).toEqual({ error: 'badDay' })
  })

  it('a range: from/to, in order and at most the server’s limit', () => {
    expect(statementQuery('range', null, ['2026-11-01', '2026-11-25'])).toEqual({ query: { from: '2026-11-01', to: '2026-11-25' } })
    expect(statementQuery('range', null, ['2026-11-25', '2026-11-25'])).toEqual({ query: { from: '2026-11-25', to: '2026-11-25' } })
    expect(statementQuery('range', null, ['2026-11-26', '2026-11-25'])).toEqual({ error: 'rangeOrder' })
    expect(statementQuery('range', null, null)).toEqual({ error: 'noRange' })
    expect(statementQuery('range', null, ['2026-11-01', ''])).toEqual({ error: 'noRange' })
    const end = addDays('2025-01-01', MAX_STATEMENT_DAYS)
    expect(statementQuery('range', null, ['2025-01-01', end])).toEqual({ query: { from: '2025-01-01', to: end } })
    expect(statementQuery('range', null, ['2025-01-01', addDays(end, 1)])).toEqual({ error: 'rangeTooLong' })
  })

  it('names a download like the server does', () => {
    expect(statementFilename('PAPER', '2026-11-01', '2026-11-25', 'csv')).toBe('statement-PAPER-20261101-20261125.csv')
    expect(statementFilename(null, '2026-11-25', '2026-11-25', 'xlsx')).toBe('statement-account-20261125-20261125.xlsx')
  })
})

describe('exact sums', () => {
  it('adds decimal strings without float error', () => {
    expect(sumDecimals(['0.10', '0.20'])).toBe('0.30')
    expect(sumDecimals(['2302.00', '1149.00'])).toBe('3451.00')
    expect(sumDecimals(['-2307.02', '1143.42'])).toBe('-1163.60')
    expect(sumDecimals(['1.5', '-1.50'])).toBe('0.00')
    expect(sumDecimals(['0.001', '2'])).toBe('2.001')
    expect(sumDecimals(['-0.05', null, ''])).toBe('-0.05')
    expect(sumDecimals([])).toBe('0')
    expect(sumDecimals(['1.0', 'abc'])).toBeNull()
  })

  it('subtracts', () => {
    expect(subtractDecimal('2300.00', '2307.02')).toBe('-7.02')
    expect(subtractDecimal('1160.00', '-5')).toBe('1165.00')
    expect(subtractDecimal('1', null)).toBeNull()
  })
})

describe('statement totals', () => {
  const statement = {
    days: [
      { trading_day: '2026-11-25', ...sums({ buy_amount: '2302.00', commission: '5.00', transfer_fee: '0.02', fees: '5.02', net_amount: '-2307.02' }) },
      { trading_day: '2026-11-26', ...sums({ sell_amount: '1149.00', commission: '5.00', stamp_duty: '0.57', transfer_fee: '0.01', fees: '5.58', net_amount: '1143.42' }) },
    ],
    totals: sums({ buy_amount: '2302.00', sell_amount: '1149.00', commission: '10.00', stamp_duty: '0.57', transfer_fee: '0.03', fees: '10.60', net_amount: '-1163.60' }),
  }

  it('one row per day, then the grand totals', () => {
    const rows = sumsRows(statement)
    expect(rows.map((r) => [r.kind, r.trading_day, r.net_amount])).toEqual([
      ['day', '2026-11-25', '-2307.02'],
      ['day', '2026-11-26', '1143.42'],
      ['total', null, '-1163.60'],
    ])
    expect(new Set(rows.map((r) => r.key)).size).toBe(3)
  })

  it('no rows (not even a zero total) without a fill', () => {
    expect(sumsRows({ days: [], totals: sums() })).toEqual([])
    expect(sumsRows(null)).toEqual([])
  })

  it('the fills table footer: the label, then the money totals under their columns', () => {
    const columns = ['trading_day', 'traded_at', 'stock_code', 'stock_name', 'side_label', 'price', 'quantity', 'amount', 'commission', 'stamp_duty', 'transfer_fee', 'fees', 'net_amount'].map(
      (property) => ({ property }),
    )
    expect(fillsFooter(columns, statement.totals, '合计')).toEqual(['合计', '', '', '', '', '', '', '3,451.00', '10.00', '0.57', '0.03', '10.60', '-1,163.60'])
    expect(fillsFooter(columns.slice(0, 3), null, '合计')).toEqual(['合计', '', ''])
  })

  it('counts the holdings that do not balance', () => {
    expect(unbalancedCount([{ balanced: true }, { balanced: false }, { balanced: false }])).toBe(2)
    expect(unbalancedCount(undefined)).toBe(0)
  })
})

describe('fmtRate', () => {
  it('a fraction string as a percentage; "--" when there is none', () => {
    expect(fmtRate('0.0123')).toBe('1.23%')
    expect(fmtRate('0.0123', true)).toBe('+1.23%')
    expect(fmtRate('-0.0500', true)).toBe('-5.00%')
    expect(fmtRate('0.5000')).toBe('50.00%')
    expect(fmtRate('0.0000', true)).toBe('0.00%')
    expect(fmtRate(null)).toBe('--')
    expect(fmtRate(undefined)).toBe('--')
  })
})

describe('drawdownSeries', () => {
  const equity = [
    { trading_day: '2026-11-23', total_asset: '1000000.00' },
    { trading_day: '2026-11-24', total_asset: '1010000.00' },
    { trading_day: '2026-11-25', total_asset: '959500.00' },
    { trading_day: '2026-11-26', total_asset: 'n/a' },
    { trading_day: '2026-11-27', total_asset: '1020000.00' },
  ]

  it('the drawdown from the running peak each day: 0 at a new high, negative below it', () => {
    const s = drawdownSeries(equity)
    expect(s.map((p) => p.day)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27'])
    expect(s.map((p) => p.peak)).toEqual([1000000, 1010000, 1010000, 1020000])
    expect(s[0].drawdown).toBe(0)
    expect(s[1].drawdown).toBe(0)
    expect(s[2].drawdown).toBeCloseTo(-0.05, 10)
    expect(s[3].drawdown).toBe(0)
    expect(maxDrawdownOf(s)).toBeCloseTo(0.05, 10)
  })

  it('empty and flat curves', () => {
    expect(drawdownSeries(undefined)).toEqual([])
    expect(maxDrawdownOf([])).toBe(0)
    const flat = drawdownSeries([{ trading_day: '2026-11-25', total_asset: '1000000.00' }])
    expect(flat).toEqual([{ day: '2026-11-25', equity: 1000000, peak: 1000000, drawdown: 0 }])
  })
})

describe('strategies', () => {
  const list = [
    strategy({
      strategy_name: 'grid-1',
      realized_profit: '-10.09',
      floating_profit: '-3.51',
      total_profit: '-13.60',
      daily: [
        { trading_day: '2026-11-24', realized_profit: '12.00', cumulative: '12.00' },
        { trading_day: '2026-11-26', realized_profit: '-22.09', cumulative: '-10.09' },
      ],
    }),
    strategy({ strategy_name: 'ma-1', realized_profit: '5.00', daily: [{ trading_day: '2026-11-25', realized_profit: '5.00', cumulative: '5.00' }] }),
    strategy({ strategy_name: '', manual: true, floating_profit: '-6.01', total_profit: '-6.01' }),
  ]

  it('one line per strategy with a sale, on the union of days, carried over days without one', () => {
    const { days, lines } = cumulativeLines(list)
    expect(days).toEqual(['2026-11-24', '2026-11-25', '2026-11-26'])
    expect(lines).toEqual([
      { name: 'grid-1', manual: false, values: [12, 12, -10.09] },
      { name: 'ma-1', manual: false, values: [0, 5, 5] },
    ])
    expect(cumulativeLines(undefined)).toEqual({ days: [], lines: [] })
  })

  it('sums a money field exactly over the strategies', () => {
    expect(strategiesSum(list, 'total_profit')).toBe('-19.61')
    expect(strategiesSum(list, 'realized_profit')).toBe('-5.09')
    expect(strategiesSum([], 'fees')).toBeNull()
  })

  it('holdings with their floating P&L (value − cost)', () => {
    expect(holdingRows([{ stock_code: '600000.SH', shares: 100, cost: '1153.51', value: '1150.00' }])).toEqual([
      { stock_code: '600000.SH', shares: 100, cost: '1153.51', value: '1150.00', profit: '-3.51' },
    ])
  })
})

describe('report charts', () => {
  const colors = chartColors('red')
  type S = { name: string; type: string; data: unknown[]; xAxisIndex?: number; lineStyle?: { type?: string; color?: string }; areaStyle?: { origin?: string } }
  const seriesOf = (o: unknown) => (o as { series: S[] }).series

  it('the equity curve over its drawdown, on one day axis', () => {
    const dd = drawdownSeries([
      { trading_day: '2026-11-24', total_asset: '1000000.00' },
      { trading_day: '2026-11-25', total_asset: '950000.00' },
    ])
    const o = equityDrawdownOption(dd, colors, 'zh-CN') as { xAxis: { data: string[] }[]; yAxis: { min: number; max: number }[] }
    const [equity, drawdown] = seriesOf(o)
    expect(equity.name).toBe('总资产')
    expect(equity.data).toEqual([1000000, 950000])
    expect(drawdown.name).toBe('回撤')
    expect(drawdown.xAxisIndex).toBe(1)
    expect(drawdown.data).toEqual([0, expect.closeTo(-0.05, 10)])
    expect(drawdown.areaStyle?.origin).toBe('end')
    expect(o.xAxis.map((x) => x.data)).toEqual([
      ['2026-11-24', '2026-11-25'],
      ['2026-11-24', '2026-11-25'],
    ])
    // the drawdown axis from below the deepest point up to 0
    expect(o.yAxis[1].max).toBe(0)
    expect(o.yAxis[1].min).toBeLessThan(-0.05)
  })

  it('one line per strategy, the manual one named and dashed', () => {
    const o = strategyPnlOption(['2026-11-25', '2026-11-26'], [
      { name: 'grid-1', manual: false, values: [1, 2] },
      { name: 'manual', manual: true, values: [0, -3] },
    ], colors, 'zh-CN', '手动')
    const s = seriesOf(o)
    expect(s.map((x) => x.name)).toEqual(['grid-1', '手动'])
    expect(s[1].lineStyle?.type).toBe('dashed')
    expect(s[0].data).toEqual([1, 2])
  })

  it('money axis labels', () => {
    expect(moneyAxis(1020000, 'zh-CN')).toBe('102万')
    expect(moneyAxis(-12.5, 'zh-CN')).toBe('-12.5')
    expect(moneyAxis(1020000, 'en')).toBe('1.02M')
    expect(moneyAxis(2500, 'en')).toBe('2.5K')
  })
})
