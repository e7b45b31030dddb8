// Algo orders: the ticket's form → POST /trading/algo-orders, the default TWAP end, the desk's clock,
// and progress / slippage / state as the table shows them.
import { describe, expect, it } from 'vitest'
import {
  algoKindText,
  algoPlanText,
  algoProgressPct,
  algoStateTag,
  algoStateText,
  buildAlgoRequest,
  defaultAlgoForm,
  defaultEndTime,
  isAlgoLive,
  slippageSign,
  slippageText,
  type AlgoContext,
} from '@/lib/algoOrders'
import { deskNow, normaliseTime, secondsOfDay, shanghaiIso, shanghaiParts, shortTime, timeOfSeconds } from '@/lib/deskTime'
import { algoOrder } from './helpers'

const main: AlgoContext = {
  stock_code: '600000.SH',
  side: 'buy',
  tick: 0.01,
  rule: { min: 100, step: 100 },
  day: '2026-11-25',
  nowTime: '10:00:20',
}

describe('buildAlgoRequest', () => {
  it('a TWAP: quantity, limit, window end on the desk’s day, interval', () => {
    const built = buildAlgoRequest(defaultAlgoForm({ quantity: 5000, price: 11.51, endTime: '10:30', intervalSeconds: 30 }), { ...main, accountId: 'P2' })
    expect(built).toEqual({
      ok: true,
      value: {
        stock_code: '600000.SH',
        side: 'buy',
        quantity: 5000,
        algo: 'twap',
        price: '11.51',
        end_at: '2026-11-25T10:30:00+08:00',
        interval_seconds: 30,
        account_id: 'P2',
      },
    })
  })

  it('a TWAP without a limit sends no price', () => {
    const built = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, withLimit: false, price: 11.51, endTime: '11:00' }), main)
    expect(built.ok && built.value).toEqual({
      stock_code: '600000.SH',
      side: 'buy',
      quantity: 1000,
      algo: 'twap',
      end_at: '2026-11-25T11:00:00+08:00',
      interval_seconds: 60,
    })
  })

  it('an iceberg: limit price and the shown quantity, no window', () => {
    const built = buildAlgoRequest(defaultAlgoForm({ algo: 'iceberg', withLimit: false, quantity: 3000, price: 11.49, displayQuantity: 500, endTime: '10:30' }), {
      ...main,
      side: 'sell',
      sellable: 3000,
    })
    expect(built).toEqual({
      ok: true,
      value: { stock_code: '600000.SH', side: 'sell', quantity: 3000, algo: 'iceberg', price: '11.49', display_quantity: 500 },
    })
  })

  it('lots: a buy in whole lots; STAR 200 then steps of 1; a sell within what is sellable', () => {
    const lot = buildAlgoRequest(defaultAlgoForm({ quantity: 150, price: 11.5, endTime: '10:30' }), main)
    expect(lot.ok).toBe(false)
    if (!lot.ok) expect(lot.errors).toEqual(['买入数量须为 100 股的整数倍'])
    const star = { ...main, stock_code: '688001.SH', rule: { min: 200, step: 1 } }
    expect(buildAlgoRequest(defaultAlgoForm({ quantity: 201, price: 50, endTime: '10:30' }), star).ok).toBe(true)
    expect(buildAlgoRequest(defaultAlgoForm({ algo: 'iceberg', quantity: 1000, price: 50, displayQuantity: 150 }), star)).toEqual({
      ok: false,
      errors: ['显示数量不得低于 200 股'],
    })
    const sell = buildAlgoRequest(defaultAlgoForm({ quantity: 800, price: 11.5, endTime: '10:30' }), { ...main, side: 'sell', sellable: 500 })
    expect(sell.ok).toBe(false)
    if (!sell.ok) expect(sell.errors[0]).toContain('超过可卖数量 500')
  })

  it('prices: an iceberg needs one; a TWAP limit on the tick', () => {
    expect(buildAlgoRequest(defaultAlgoForm({ algo: 'iceberg', quantity: 1000, price: null, displayQuantity: 100 }), main)).toEqual({
      ok: false,
      errors: ['冰山单须填写委托价'],
    })
    const off = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, price: 11.505, endTime: '10:30' }), main)
    expect(off.ok).toBe(false)
    if (!off.ok) expect(off.errors[0]).toContain('0.01')
  })

  it('the TWAP window: ends after now, by 14:57; an interval of 10 s to an hour', () => {
    const past = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, price: 11.5, endTime: '10:00' }), main)
    expect(!past.ok && past.errors).toEqual(['结束时间须晚于当前时间 10:00:20'])
    const late = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, price: 11.5, endTime: '15:00' }), main)
    expect(!late.ok && late.errors).toEqual(['结束时间不能晚于 14:57'])
    const none = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, price: 11.5, endTime: null }), main)
    expect(!none.ok && none.errors).toEqual(['请选择结束时间'])
    const fast = buildAlgoRequest(defaultAlgoForm({ quantity: 1000, price: 11.5, endTime: '10:30', intervalSeconds: 5 }), main)
    expect(!fast.ok && fast.errors).toEqual(['间隔须为 10–3600 秒的整数'])
  })

  it('the shown quantity is a lot, not more than the whole', () => {
    const big = buildAlgoRequest(defaultAlgoForm({ algo: 'iceberg', quantity: 1000, price: 11.5, displayQuantity: 2000 }), main)
    expect(!big.ok && big.errors).toEqual(['显示数量不能大于总数量'])
    const odd = buildAlgoRequest(defaultAlgoForm({ algo: 'iceberg', quantity: 1000, price: 11.5, displayQuantity: 250 }), main)
    expect(!odd.ok && odd.errors).toEqual(['显示数量须为 100 股的整数倍'])
  })

  it('several errors at once', () => {
    const built = buildAlgoRequest(defaultAlgoForm({ quantity: null, price: null, endTime: null, intervalSeconds: null }), main)
    expect(!built.ok && built.errors.length).toBe(4)
  })
})

describe('defaultEndTime', () => {
  it('half an hour on, on a five-minute mark, by the end of continuous trading', () => {
    expect(defaultEndTime('10:00:20')).toBe('10:35')
    expect(defaultEndTime('10:00:00')).toBe('10:30')
    expect(defaultEndTime('14:40:00')).toBe('14:57')
    expect(defaultEndTime(null)).toBe('14:30')
  })
})

describe('the desk’s clock', () => {
  it('Shanghai parts of an instant, whatever its offset', () => {
    expect(shanghaiParts('2026-11-25T10:30:05+08:00')).toEqual({ day: '2026-11-25', time: '10:30:05' })
    expect(shanghaiParts('2026-11-25T17:00:00Z')).toEqual({ day: '2026-11-26', time: '01:00:00' })
    expect(shanghaiParts('nonsense')).toBeNull()
    expect(shanghaiParts(null)).toBeNull()
  })

  it('the server time moved on by what elapsed since it arrived', () => {
    const now = deskNow('2026-11-25T10:00:00+08:00', 1_000_000, 1_030_000)
    expect(shanghaiParts(now)).toEqual({ day: '2026-11-25', time: '10:00:30' })
    expect(deskNow(null, 0)).toBeNull()
  })

  it('times of day', () => {
    expect(normaliseTime('9:05')).toBe('09:05:00')
    expect(normaliseTime('24:00')).toBeNull()
    expect(shanghaiIso('2026-11-25', '10:30')).toBe('2026-11-25T10:30:00+08:00')
    expect(shanghaiIso('25/11/2026', '10:30')).toBeNull()
    expect(secondsOfDay('01:00:01')).toBe(3601)
    expect(Number.isNaN(secondsOfDay('x'))).toBe(true)
    expect(timeOfSeconds(3601)).toBe('01:00:01')
    expect(shortTime('10:30:00')).toBe('10:30')
    expect(shortTime('10:30:15')).toBe('10:30:15')
  })
})

describe('display', () => {
  it('progress as a percentage for the bar, from `progress` or the counts', () => {
    expect(algoProgressPct(algoOrder({ id: 1, progress: '0.4500' }))).toBe(45)
    expect(algoProgressPct(algoOrder({ id: 1, progress: '0.0333' }))).toBe(3.3)
    expect(algoProgressPct(algoOrder({ id: 1, progress: '1.0000' }))).toBe(100)
    expect(algoProgressPct({ progress: '', filled_quantity: 250, quantity: 1000 })).toBe(25)
    expect(algoProgressPct({ progress: '', filled_quantity: 0, quantity: 0 })).toBe(0)
  })

  it('slippage in basis points: worse positive, better negative', () => {
    expect(slippageText('8.70')).toBe('+8.7 bp')
    expect(slippageText('-1')).toBe('-1.0 bp')
    expect(slippageText('0')).toBe('0.0 bp')
    expect(slippageText(null)).toBe('--')
    expect(slippageSign('8.70')).toBe(1)
    expect(slippageSign('-0.5')).toBe(-1)
    expect(slippageSign(null)).toBe(0)
  })

  it('the plan in words', () => {
    expect(algoPlanText(algoOrder({ id: 1, end_at: '2026-11-25T10:30:00+08:00', interval_seconds: 30 }))).toBe('至 10:30 · 每 30 秒')
    expect(algoPlanText(algoOrder({ id: 1, algo: 'iceberg', display_quantity: 500, end_at: null }))).toBe('每次显示 500 股')
  })

  it('states and kinds', () => {
    expect(isAlgoLive({ state: 'running' })).toBe(true)
    expect(isAlgoLive({ state: 'completed' })).toBe(false)
    expect(algoStateTag('running')).toBe('primary')
    expect(algoStateTag('completed')).toBe('success')
    expect(algoStateTag('expired')).toBe('warning')
    expect(algoStateTag('failed')).toBe('danger')
    expect(algoStateTag('canceled')).toBe('info')
    expect(algoStateText({ state: 'canceled', state_label: '已撤销' })).toBe('已撤销')
    expect(algoStateText({ state: 'expired', state_label: '' })).toBe('已到期')
    expect(algoKindText('twap')).toBe('TWAP')
    expect(algoKindText('iceberg')).toBe('冰山')
  })
})
