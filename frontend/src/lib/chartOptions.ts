// ECharts options of the trading page's charts, built from the pure series of lib/bars.ts: the
// intraday chart (price and average lines, the previous close, volume, the user's fills) and the
// daily K-line (candlesticks, MA5/10/20, volume, the user's fills).
import type { EChartsCoreOption } from 'echarts/core'
import { t } from '@/i18n'
import {
  SESSION_SLOTS,
  averagePrices,
  intradayRange,
  movingAverage,
  sessionLabels,
  sessionTickLabel,
  type DayBar,
  type Intraday,
  type TradeMarker,
} from './bars'
import { fmtInt, fmtVolume, toFixedHalfUp } from './format'

/** Short volume labels for an axis: 3000万, 1.2亿 (3M, 1.2B). */
export function axisVolume(v: number, locale: string): string {
  const a = Math.abs(v)
  if (locale.startsWith('zh')) {
    if (a >= 1e8) return `${+(v / 1e8).toFixed(1)}亿`
    if (a >= 1e4) return `${Math.round(v / 1e4)}万`
    return String(v)
  }
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}B`
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`
  if (a >= 1e3) return `${Math.round(v / 1e3)}K`
  return String(v)
}

export interface ChartColors {
  up: string
  down: string
  flat: string
  line: string
  avg: string
  grid: string
  text: string
}

/** The A-share convention (red up, green down) or its swap, as the display preference says. */
export function chartColors(upColor: 'red' | 'green' = 'red'): ChartColors {
  const red = '#e5383b'
  const green = '#12a150'
  return {
    up: upColor === 'green' ? green : red,
    down: upColor === 'green' ? red : green,
    flat: '#606266',
    line: '#1f6feb',
    avg: '#f59f00',
    grid: '#eef0f4',
    text: '#8a8f99',
  }
}

interface TooltipParam {
  seriesName?: string
  seriesType?: string
  dataIndex: number
  value?: unknown
  data?: unknown
  axisValue?: string
}

const LABELS = sessionLabels()

function markerSeries(name: string, side: 'buy' | 'sell', color: string, points: { x: string; marker: TradeMarker }[]) {
  return {
    name,
    type: 'scatter',
    xAxisIndex: 0,
    yAxisIndex: 0,
    symbol: 'pin',
    symbolSize: 24,
    z: 10,
    itemStyle: { color },
    label: { show: true, formatter: side === 'buy' ? 'B' : 'S', color: '#fff', fontSize: 10, fontWeight: 'bold', offset: [0, -2] },
    data: points.map((p) => ({ value: [p.x, p.marker.price], marker: p.marker })),
  }
}

function markerText(m: TradeMarker, decimals: number): string {
  const side = t(m.side === 'buy' ? 'side.buy' : 'side.sell')
  const n = m.count > 1 ? t('chart.fills', { n: m.count }) : ''
  return `${side} ${fmtInt(m.quantity)} @ ${toFixedHalfUp(m.price, decimals)}${n}`
}

function markersAt(markers: TradeMarker[], at: number | string): TradeMarker[] {
  return markers.filter((m) => m.at === at)
}

/** Forward-filled values per session slot up to the last bar (null after it). */
function perSlot(bars: { slot: number }[], values: number[]): (number | null)[] {
  const out: (number | null)[] = new Array(SESSION_SLOTS).fill(null)
  if (!bars.length) return out
  let j = 0
  let cur: number | null = null
  const lastSlot = bars[bars.length - 1].slot
  for (let s = 0; s <= lastSlot; s++) {
    while (j < bars.length && bars[j].slot === s) {
      cur = values[j]
      j++
    }
    out[s] = cur
  }
  return out
}

export interface IntradayInput {
  series: Intraday
  prevClose: number
  markers: TradeMarker[]
  colors: ChartColors
  decimals: number
  locale: string
}

export function intradayOption(p: IntradayInput): EChartsCoreOption {
  const { series, prevClose, markers, colors, decimals } = p
  const bars = series.bars
  const closes = perSlot(
    bars,
    bars.map((b) => b.close),
  )
  const avg = perSlot(bars, averagePrices(bars))
  const volume: ({ value: number; itemStyle: { color: string } } | null)[] = new Array(SESSION_SLOTS).fill(null)
  let prev = prevClose
  for (const b of bars) {
    const color = b.close > prev ? colors.up : b.close < prev ? colors.down : colors.flat
    volume[b.slot] = { value: b.volume, itemStyle: { color } }
    prev = b.close
  }
  const range = intradayRange(prevClose, [...bars.flatMap((b) => [b.high, b.low]), ...markers.map((m) => m.price)])
  const priceColor = (v: number) => (prevClose > 0 && v > prevClose + 1e-9 ? colors.up : prevClose > 0 && v < prevClose - 1e-9 ? colors.down : colors.flat)
  const pct = (v: number) => (prevClose > 0 ? `${toFixedHalfUp(((v - prevClose) / prevClose) * 100, 2)}%` : '')
  const tickInterval = (i: number) => sessionTickLabel(i) !== ''
  const point = (m: TradeMarker) => ({ x: LABELS[m.at as number], marker: m })

  return {
    animation: false,
    grid: [
      { left: 52, right: 52, top: 12, height: '62%' },
      { left: 52, right: 52, top: '76%', bottom: 22 },
    ],
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross', label: { precision: decimals } },
      confine: true,
      formatter: (raw: unknown) => {
        const params = (Array.isArray(raw) ? raw : [raw]) as TooltipParam[]
        const i = params[0]?.dataIndex ?? 0
        const c = closes[i]
        const lines = [`<b>${LABELS[i] ?? ''}</b>`]
        if (c !== null && c !== undefined) {
          lines.push(`${t('chart.price')} <b style="color:${priceColor(c)}">${toFixedHalfUp(c, decimals)}</b> ${pct(c)}`)
          const a = avg[i]
          if (a !== null && a !== undefined) lines.push(`${t('chart.avg')} ${toFixedHalfUp(a, decimals)}`)
          const v = volume[i]
          if (v) lines.push(`${t('chart.volume')} ${fmtVolume(v.value, p.locale)}`)
        }
        for (const m of markersAt(markers, i)) lines.push(`<span style="color:${m.side === 'buy' ? colors.up : colors.down}">● ${markerText(m, decimals)}</span>`)
        return lines.join('<br/>')
      },
    },
    xAxis: [
      {
        type: 'category',
        gridIndex: 0,
        data: LABELS,
        boundaryGap: false,
        axisLabel: { show: false },
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.grid } },
        splitLine: { show: true, interval: (i: number) => tickInterval(i), lineStyle: { color: colors.grid } },
      },
      {
        type: 'category',
        gridIndex: 1,
        data: LABELS,
        boundaryGap: false,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.grid } },
        axisLabel: { interval: (i: number) => tickInterval(i), formatter: (_v: string, i: number) => sessionTickLabel(i), fontSize: 10, color: colors.text },
      },
    ],
    yAxis: [
      {
        type: 'value',
        gridIndex: 0,
        min: range.min,
        max: range.max,
        interval: (range.max - range.min) / 4,
        axisLabel: { fontSize: 10, formatter: (v: number) => toFixedHalfUp(v, decimals), color: (v?: string | number) => priceColor(Number(v)) },
        splitLine: { lineStyle: { color: colors.grid } },
      },
      {
        type: 'value',
        gridIndex: 0,
        position: 'right',
        min: range.min,
        max: range.max,
        interval: (range.max - range.min) / 4,
        axisLabel: { fontSize: 10, formatter: (v: number) => pct(v), color: (v?: string | number) => priceColor(Number(v)) },
        splitLine: { show: false },
      },
      {
        type: 'value',
        gridIndex: 1,
        splitNumber: 2,
        axisLabel: { fontSize: 10, color: colors.text, formatter: (v: number) => axisVolume(v, p.locale) },
        splitLine: { lineStyle: { color: colors.grid } },
      },
    ],
    series: [
      {
        name: t('chart.price'),
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: closes,
        showSymbol: false,
        lineStyle: { width: 1.5, color: colors.line },
        itemStyle: { color: colors.line },
        areaStyle: { color: 'rgba(31,111,235,0.06)', origin: 'start' },
        markLine:
          prevClose > 0
            ? {
                silent: true,
                symbol: 'none',
                lineStyle: { type: 'dashed', color: colors.text, width: 1 },
                label: { position: 'insideEndTop', formatter: `${t('quote.prevClose')} ${toFixedHalfUp(prevClose, decimals)}`, fontSize: 10, color: colors.text },
                data: [{ yAxis: prevClose }],
              }
            : undefined,
      },
      {
        name: t('chart.avg'),
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: avg,
        showSymbol: false,
        lineStyle: { width: 1, color: colors.avg },
        itemStyle: { color: colors.avg },
      },
      {
        name: t('chart.volume'),
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 2,
        data: volume,
        barMaxWidth: 3,
      },
      markerSeries(t('chart.buys'), 'buy', colors.up, markers.filter((m) => m.side === 'buy' && typeof m.at === 'number').map(point)),
      markerSeries(t('chart.sells'), 'sell', colors.down, markers.filter((m) => m.side === 'sell' && typeof m.at === 'number').map(point)),
    ],
  }
}

export interface KLineInput {
  bars: DayBar[]
  markers: TradeMarker[]
  colors: ChartColors
  decimals: number
  locale: string
  /** bars shown (the moving averages use the ones before too) */
  visible?: number
}

export const MA_PERIODS = [5, 10, 20] as const
const MA_COLORS = ['#f59f00', '#7048e8', '#1098ad']

export function klineOption(p: KLineInput): EChartsCoreOption {
  const { colors, decimals } = p
  const from = Math.max(0, p.bars.length - (p.visible ?? 90))
  const bars = p.bars.slice(from)
  const closes = p.bars.map((b) => b.close)
  const days = bars.map((b) => b.day)
  const daySet = new Set(days)
  const mas = MA_PERIODS.map((n) => movingAverage(closes, n).slice(from))
  const visibleMarkers = p.markers.filter((m) => typeof m.at === 'string' && daySet.has(m.at))
  const point = (m: TradeMarker) => ({ x: m.at as string, marker: m })
  const fmt = (v: number) => toFixedHalfUp(v, decimals)

  return {
    animation: false,
    grid: [
      { left: 52, right: 12, top: 24, height: '58%' },
      { left: 52, right: 12, top: '76%', bottom: 22 },
    ],
    legend: { top: 0, left: 52, itemWidth: 12, itemHeight: 2, textStyle: { fontSize: 10, color: colors.text }, data: MA_PERIODS.map((n) => `MA${n}`) },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross', label: { precision: decimals } },
      confine: true,
      formatter: (raw: unknown) => {
        const params = (Array.isArray(raw) ? raw : [raw]) as TooltipParam[]
        const i = params[0]?.dataIndex ?? 0
        const b = bars[i]
        if (!b) return ''
        const prev = from + i > 0 ? p.bars[from + i - 1].close : b.open
        const chg = prev > 0 ? `${toFixedHalfUp(((b.close - prev) / prev) * 100, 2)}%` : ''
        const color = b.close > prev ? colors.up : b.close < prev ? colors.down : colors.flat
        const lines = [
          `<b>${b.day}</b>`,
          `${t('quote.open')} ${fmt(b.open)}　${t('quote.high')} ${fmt(b.high)}`,
          `${t('quote.low')} ${fmt(b.low)}　${t('chart.close')} <b style="color:${color}">${fmt(b.close)}</b> ${chg}`,
          `${t('chart.volume')} ${fmtVolume(b.volume, p.locale)}`,
        ]
        for (const m of markersAt(visibleMarkers, b.day)) lines.push(`<span style="color:${m.side === 'buy' ? colors.up : colors.down}">● ${markerText(m, decimals)}</span>`)
        return lines.join('<br/>')
      },
    },
    xAxis: [
      { type: 'category', gridIndex: 0, data: days, axisLabel: { show: false }, axisTick: { show: false }, axisLine: { lineStyle: { color: colors.grid } } },
      {
        type: 'category',
        gridIndex: 1,
        data: days,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: colors.grid } },
        axisLabel: { fontSize: 10, color: colors.text, hideOverlap: true, formatter: (v: string) => v.slice(5) },
      },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, scale: true, splitNumber: 4, axisLabel: { fontSize: 10, color: colors.text, formatter: fmt }, splitLine: { lineStyle: { color: colors.grid } } },
      {
        type: 'value',
        gridIndex: 1,
        splitNumber: 2,
        axisLabel: { fontSize: 10, color: colors.text, formatter: (v: number) => axisVolume(v, p.locale) },
        splitLine: { lineStyle: { color: colors.grid } },
      },
    ],
    series: [
      {
        name: t('chart.kline'),
        type: 'candlestick',
        xAxisIndex: 0,
        yAxisIndex: 0,
        barMaxWidth: 9,
        itemStyle: { color: colors.up, color0: colors.down, borderColor: colors.up, borderColor0: colors.down },
        // ECharts order: open, close, low, high
        data: bars.map((b) => [b.open, b.close, b.low, b.high]),
      },
      ...MA_PERIODS.map((n, k) => ({
        name: `MA${n}`,
        type: 'line',
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: mas[k],
        showSymbol: false,
        lineStyle: { width: 1, color: MA_COLORS[k] },
        itemStyle: { color: MA_COLORS[k] },
      })),
      {
        name: t('chart.volume'),
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        barMaxWidth: 9,
        data: bars.map((b) => ({ value: b.volume, itemStyle: { color: b.close >= b.open ? colors.up : colors.down } })),
      },
      markerSeries(t('chart.buys'), 'buy', colors.up, visibleMarkers.filter((m) => m.side === 'buy').map(point)),
      markerSeries(t('chart.sells'), 'sell', colors.down, visibleMarkers.filter((m) => m.side === 'sell').map(point)),
    ],
  }
}
