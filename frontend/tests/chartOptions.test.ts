// The ECharts options of the trading page's charts: what is drawn from the bars and the fills.
import { describe, expect, it } from 'vitest'
import { axisVolume, chartColors, intradayOption, klineOption } from '@/lib/chartOptions'
import { toDaily, toIntraday, type TradeMarker } from '@/lib/bars'

type Series = { name: string; type: string; data: unknown[]; markLine?: { data: { yAxis: number }[] } }
const seriesOf = (o: unknown) => (o as { series: Series[] }).series
const D = '2026-11-25'
const colors = chartColors('red')

describe('intradayOption', () => {
  const series = toIntraday([
    { time: `${D}T09:30:00+08:00`, open: '11.50', high: '11.55', low: '11.48', close: '11.52', volume: 1000, amount: '11520' },
    { time: `${D}T09:33:00+08:00`, open: '11.52', high: '11.60', low: '11.50', close: '11.45', volume: 500, amount: '5725' },
  ])
  const markers: TradeMarker[] = [
    { at: 1, side: 'buy', price: 11.52, quantity: 300, count: 1 },
    { at: 3, side: 'sell', price: 11.46, quantity: 100, count: 1 },
  ]
  const o = intradayOption({ series, prevClose: 11.5, markers, colors, decimals: 2, locale: 'zh-CN' })
  const s = seriesOf(o)

  it('price and average lines over the whole session, forward-filled up to the last bar', () => {
    const price = s.find((x) => x.type === 'line' && x.name === '价格')!
    expect(price.data).toHaveLength(240)
    expect(price.data.slice(0, 5)).toEqual([11.52, 11.52, 11.52, 11.45, null])
  })

  it('a dashed reference line at the previous close', () => {
    const price = s.find((x) => x.name === '价格')!
    expect(price.markLine?.data).toEqual([{ yAxis: 11.5 }])
  })

  it('volume bars coloured against the previous price', () => {
    const vol = s.find((x) => x.type === 'bar')!.data as ({ value: number; itemStyle: { color: string } } | null)[]
    expect(vol[0]).toEqual({ value: 1000, itemStyle: { color: colors.up } })
    expect(vol[1]).toBeNull()
    expect(vol[3]).toEqual({ value: 500, itemStyle: { color: colors.down } })
  })

  it('the fills as buy and sell markers at their minute and price', () => {
    const [buys, sells] = s.filter((x) => x.type === 'scatter')
    expect(buys.data).toEqual([{ value: ['09:31', 11.52], marker: markers[0] }])
    expect(sells.data).toEqual([{ value: ['09:33', 11.46], marker: markers[1] }])
  })

  it('the price axis is symmetric around the previous close', () => {
    const y = (o as { yAxis: { min?: number; max?: number }[] }).yAxis[0]
    expect((y.min! + y.max!) / 2).toBeCloseTo(11.5)
    expect(y.max!).toBeGreaterThan(11.6)
  })

  it('without bars: an empty session axis, still the previous close line', () => {
    const empty = seriesOf(intradayOption({ series: toIntraday([]), prevClose: 11.5, markers: [], colors, decimals: 2, locale: 'zh-CN' }))
    expect(empty[0].data.every((v) => v === null)).toBe(true)
    expect(empty[0].markLine?.data).toEqual([{ yAxis: 11.5 }])
  })
})

describe('klineOption', () => {
  // 40 days from 2026-10-01, closes 10.00, 10.10, … 13.90
  const days = Array.from({ length: 40 }, (_, i) => {
    const c = (10 + i * 0.1).toFixed(2)
    const day = new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10)
    return { time: day, open: '10.00', high: c, low: '9.90', close: c, volume: 1000 + i, amount: '0' }
  })
  const bars = toDaily(days)
  const markers: TradeMarker[] = [
    { at: '2026-11-09', side: 'buy', price: 13.8, quantity: 100, count: 1 },
    { at: '2026-10-02', side: 'sell', price: 10.1, quantity: 100, count: 1 },
  ]
  const o = klineOption({ bars, markers, colors, decimals: 2, locale: 'zh-CN', visible: 20 })
  const s = seriesOf(o)

  it('candlesticks in ECharts order (open, close, low, high), the last `visible` days', () => {
    const k = s.find((x) => x.type === 'candlestick')!
    expect(k.data).toHaveLength(20)
    expect(k.data[19]).toEqual([10, 13.9, 9.9, 13.9])
    expect((o as { xAxis: { data: string[] }[] }).xAxis[0].data[0]).toBe('2026-10-21')
  })

  it('moving averages computed on all the bars, so MA20 is there from the first shown day', () => {
    const ma20 = s.find((x) => x.name === 'MA20')!
    expect(ma20.data[0]).not.toBeNull()
    const ma5 = s.find((x) => x.name === 'MA5')!
    expect(ma5.data[19]).toBeCloseTo((13.5 + 13.6 + 13.7 + 13.8 + 13.9) / 5)
  })

  it('markers of the days shown only', () => {
    const [buys, sells] = s.filter((x) => x.type === 'scatter')
    expect(buys.data).toEqual([{ value: ['2026-11-09', 13.8], marker: markers[0] }])
    expect(sells.data).toEqual([])
  })

  it('volume coloured by the day’s direction', () => {
    const vol = s.find((x) => x.type === 'bar')!.data as { itemStyle: { color: string } }[]
    expect(vol[19].itemStyle.color).toBe(colors.up)
  })

  it('the colour convention can be swapped', () => {
    expect(chartColors('green').up).toBe(chartColors('red').down)
  })
})

describe('axisVolume', () => {
  it('short labels', () => {
    expect(axisVolume(30_000_000, 'zh-CN')).toBe('3000万')
    expect(axisVolume(120_000_000, 'zh-CN')).toBe('1.2亿')
    expect(axisVolume(500, 'zh-CN')).toBe('500')
    expect(axisVolume(3_000_000, 'en')).toBe('3M')
  })
})
