// ECharts options of the performance page: the equity curve over its drawdown (two grids on one
// day axis), and each strategy's cumulative realised P&L, one line per strategy.
import type { EChartsCoreOption } from 'echarts/core'
import { t } from '@/i18n'
import { paddedRange } from './bars'
import type { ChartColors } from './chartOptions'
import { fmtMoney, fmtSignedMoney, toFixedHalfUp } from './format'
import type { CumulativeLine, DrawdownPoint } from './reports'

/**
 * Money axis labels: 万 / K past ten thousand with as many decimals as it takes to tell ticks `span`
 * apart (an equity curve moves by tenths of a percent), whole yuan below.
 */
export function moneyAxis(v: number, locale: string, span = Math.abs(v)): string {
  const a = Math.abs(v)
  const zh = locale.startsWith('zh')
  const unit = zh ? (a >= 1e8 ? 1e8 : 1e4) : a >= 1e6 ? 1e6 : 1e3
  if (a < (zh ? 1e4 : 1e3)) return String(+v.toFixed(2))
  const d = span > 0 ? Math.ceil(Math.log10((unit * 4) / span)) : 2
  const decimals = Math.max(0, Math.min(4, d > 0 ? d + 1 : 0))
  const suffix = zh ? (unit === 1e8 ? '亿' : '万') : unit === 1e6 ? 'M' : 'K'
  return `${+(v / unit).toFixed(decimals)}${suffix}`
}

const pct = (v: number, decimals = 2) => `${toFixedHalfUp(v * 100, decimals)}%`

interface AxisParam {
  seriesName?: string
  dataIndex: number
  marker?: string
}

export function equityDrawdownOption(series: readonly DrawdownPoint[], colors: ChartColors, locale: string): EChartsCoreOption {
  const days = series.map((p) => p.day)
  const range = paddedRange(series.map((p) => p.equity))
  const deepest = Math.min(0, ...series.map((p) => p.drawdown))
  // the drawdown axis reaches a little below the deepest point (at least 1%)
  const ddMin = Math.min(-0.01, deepest * 1.15)
  return {
    animation: false,
    grid: [
      { left: 8, right: 12, top: 28, height: '56%', containLabel: true },
      { left: 8, right: 12, top: '74%', bottom: 8, containLabel: true },
    ],
    legend: { top: 0, right: 0, textStyle: { fontSize: 11 }, data: [t('perf.equity'), t('perf.drawdown')] },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (raw: unknown) => {
        const params = (Array.isArray(raw) ? raw : [raw]) as AxisParam[]
        const p = series[params[0]?.dataIndex ?? 0]
        if (!p) return ''
        return [
          `<b>${p.day}</b>`,
          `${t('perf.equity')} ${fmtMoney(p.equity)}`,
          `${t('perf.peak')} ${fmtMoney(p.peak)}`,
          `${t('perf.drawdown')} <span style="color:${p.drawdown < 0 ? colors.down : colors.flat}">${pct(p.drawdown)}</span>`,
        ].join('<br/>')
      },
    },
    xAxis: [
      { type: 'category', gridIndex: 0, data: days, boundaryGap: false, axisLabel: { show: false }, axisTick: { show: false }, axisLine: { lineStyle: { color: colors.grid } } },
      {
        type: 'category',
        gridIndex: 1,
        data: days,
        boundaryGap: false,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.grid } },
        axisLabel: { fontSize: 10, color: colors.text, hideOverlap: true, formatter: (v: string) => v.slice(5) },
      },
    ],
    yAxis: [
      {
        type: 'value',
        gridIndex: 0,
        min: range.min,
        max: range.max,
        splitNumber: 4,
        axisLabel: { fontSize: 10, color: colors.text, formatter: (v: number) => moneyAxis(v, locale, range.max - range.min) },
        splitLine: { lineStyle: { color: colors.grid } },
      },
      {
        type: 'value',
        gridIndex: 1,
        min: ddMin,
        max: 0,
        splitNumber: 2,
        axisLabel: { fontSize: 10, color: colors.text, formatter: (v: number) => pct(v, 1) },
        splitLine: { lineStyle: { color: colors.grid } },
      },
    ],
    series: [
      {
        name: t('perf.equity'),
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: series.map((p) => p.equity),
        showSymbol: series.length < 40,
        lineStyle: { width: 2, color: colors.line },
        itemStyle: { color: colors.line },
        areaStyle: { color: 'rgba(31,111,235,0.08)', origin: 'start' },
      },
      {
        name: t('perf.drawdown'),
        type: 'line',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: series.map((p) => p.drawdown),
        showSymbol: false,
        step: false,
        lineStyle: { width: 1, color: colors.down },
        itemStyle: { color: colors.down },
        // the shading between 0 and the drawdown
        areaStyle: { color: colors.down, opacity: 0.18, origin: 'end' },
      },
    ],
  }
}

const LINE_COLORS = ['#1f6feb', '#f59f00', '#7048e8', '#1098ad', '#d6336c', '#37b24d', '#845ef7', '#e8590c', '#495057']

/** One line per strategy (the manual fills dashed grey), their names in the legend. */
export function strategyPnlOption(days: readonly string[], lines: readonly CumulativeLine[], colors: ChartColors, locale: string, manualName: string): EChartsCoreOption {
  const name = (l: CumulativeLine) => (l.manual ? manualName : l.name)
  return {
    animation: false,
    grid: { left: 8, right: 12, top: 30, bottom: 8, containLabel: true },
    legend: { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { fontSize: 11 }, data: lines.map(name) },
    tooltip: {
      trigger: 'axis',
      confine: true,
      valueFormatter: (v: number) => fmtSignedMoney(v),
    },
    xAxis: {
      type: 'category',
      data: [...days],
      boundaryGap: false,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: colors.grid } },
      axisLabel: { fontSize: 10, color: colors.text, hideOverlap: true, formatter: (v: string) => v.slice(5) },
    },
    // from 0: a strategy's realised P&L is read against breaking even
    yAxis: {
      type: 'value',
      splitNumber: 4,
      axisLabel: { fontSize: 10, color: colors.text, formatter: (v: number) => moneyAxis(v, locale) },
      splitLine: { lineStyle: { color: colors.grid } },
    },
    series: lines.map((l, i) => {
      const color = l.manual ? '#909399' : LINE_COLORS[i % LINE_COLORS.length]
      return {
        name: name(l),
        type: 'line',
        data: l.values,
        showSymbol: days.length < 40,
        symbolSize: 5,
        lineStyle: { width: 1.5, color, type: l.manual ? 'dashed' : 'solid' },
        itemStyle: { color },
        markLine:
          i === 0
            ? { silent: true, symbol: 'none', lineStyle: { color: colors.text, type: 'dotted', width: 1 }, label: { show: false }, data: [{ yAxis: 0 }] }
            : undefined,
      }
    }),
  }
}
