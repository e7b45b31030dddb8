// Held orders in words and as requests: the trigger text, the distance, the state tags, the trigger
// form → the `trigger` object, a bracket → its request, the live figures at a quote, and merging
// the conditional_orders stream into the list.
import { afterEach, describe, expect, it } from 'vitest'
import { locale } from '@/i18n'
import {
  bracketErrors,
  buildBracketRequest,
  buildHeldRequest,
  buildTrigger,
  defaultTriggerForm,
  distanceText,
  firesAtOnce,
  heldNote,
  heldStateTag,
  heldStateText,
  heldTriggerText,
  isHeldCancelable,
  isHeldLive,
  liveFigures,
  mergeLiveSnapshot,
  percentText,
  placedOrderText,
  triggerText,
  upsertNewer,
} from '@/lib/heldOrders'
import { heldOrder } from './helpers'

afterEach(() => {
  locale.value = 'zh-CN'
})

describe('triggerText', () => {
  it('price triggers: 最新价 ≤ / ≥ the level, at the stock’s decimals', () => {
    expect(triggerText({ type: 'price', direction: 'below', price: '11.5' })).toBe('最新价 ≤ 11.50')
    expect(triggerText({ type: 'price', direction: 'above', price: '12.00' })).toBe('最新价 ≥ 12.00')
    expect(triggerText({ type: 'price', direction: 'below', price: '1.234' }, { decimals: 3 })).toBe('最新价 ≤ 1.234')
  })

  it('trailing: percent or amount, with the stop level when known', () => {
    expect(triggerText({ type: 'trailing', percent: '0.05' }, { side: 'sell', stopPrice: '11.40' })).toBe('跟踪止损 5%（止损价 11.40）')
    expect(triggerText({ type: 'trailing', percent: '0.055' }, { side: 'sell' })).toBe('跟踪止损 5.5%')
    expect(triggerText({ type: 'trailing', amount: '0.5' }, { side: 'sell', stopPrice: '11.123' })).toBe('跟踪止损 0.50元（止损价 11.12）')
    expect(triggerText({ type: 'trailing', percent: '0.03' }, { side: 'buy', stopPrice: '10.30' })).toBe('跟踪买入 3%（触发价 10.30）')
    expect(triggerText({ type: 'trailing', percent: '0.05' }, { side: 'sell', stopPrice: null })).toBe('跟踪止损 5%')
  })

  it('time in the exchange’s clock (MM-DD when not today); limit opens', () => {
    expect(triggerText({ type: 'time', at: '2026-11-25T10:30:00+08:00' })).toBe('时间 10:30')
    expect(triggerText({ type: 'time', at: '2026-11-25T02:30:15Z' })).toBe('时间 10:30:15')
    expect(triggerText({ type: 'time', at: '2026-11-26T09:45:00+08:00' }, { today: '2026-11-25' })).toBe('时间 11-26 09:45')
    expect(triggerText({ type: 'time', at: '2026-11-25T13:05:00+08:00' }, { today: '2026-11-25' })).toBe('时间 13:05')
    expect(triggerText({ type: 'limit_open', which: 'up' })).toBe('涨停打开')
    expect(triggerText({ type: 'limit_open', which: 'down' })).toBe('跌停打开')
    expect(triggerText(null)).toBe('--')
  })

  it('English', () => {
    locale.value = 'en'
    expect(triggerText({ type: 'price', direction: 'below', price: '11.50' })).toBe('Last ≤ 11.50')
    expect(triggerText({ type: 'trailing', percent: '0.05' }, { side: 'sell', stopPrice: '11.40' })).toBe('Trailing stop 5% (stop 11.40)')
    expect(triggerText({ type: 'limit_open', which: 'up' })).toBe('Limit-up opens')
  })

  it('of a held order: its side, trailing level and the fund decimals of its code', () => {
    const h = heldOrder({ id: 1, stock_code: '510300.SH', trigger: { type: 'trailing', percent: '0.05' }, stop_price: '3.8' })
    expect(heldTriggerText(h)).toBe('跟踪止损 5%（止损价 3.800）')
  })
})

describe('display helpers', () => {
  it('distance as a percentage; none for time and limit-open triggers', () => {
    expect(distanceText('0.0174')).toBe('1.74%')
    expect(distanceText('0.00005')).toBe('0.01%')
    expect(distanceText(null)).toBe('--')
    expect(distanceText('')).toBe('--')
  })

  it('percent of a fraction string', () => {
    expect(percentText('0.05')).toBe('5%')
    expect(percentText('0.125')).toBe('12.5%')
    expect(percentText(null)).toBe('--')
  })

  it('the order it places', () => {
    expect(placedOrderText({ price_type: 'limit', price: '11.2', stock_code: '600000.SH' })).toBe('限价 11.20')
    expect(placedOrderText({ price_type: 'latest', price: null, stock_code: '600000.SH' })).toBe('最新价')
    expect(placedOrderText({ price_type: 'market', price: '10.35', stock_code: '600000.SH' })).toBe('市价（保护价 10.35）')
    expect(placedOrderText({ price_type: 'market', price: null, stock_code: '000001.SZ' })).toBe('市价')
  })

  it('state tags, words, live and cancelable states', () => {
    expect(heldStateTag('armed')).toBe('primary')
    expect(heldStateTag('waiting')).toBe('info')
    expect(heldStateTag('triggered')).toBe('warning')
    expect(heldStateTag('fired')).toBe('success')
    expect(heldStateTag('failed')).toBe('danger')
    expect(heldStateTag('expired')).toBe('info')
    expect(heldStateText({ state: 'fired', state_label: '已下单' })).toBe('已下单')
    expect(heldStateText({ state: 'fired', state_label: '' })).toBe('已下单')
    locale.value = 'en'
    expect(heldStateText({ state: 'fired', state_label: '已下单' })).toBe('Fired')
    expect(isHeldLive({ state: 'triggered' })).toBe(true)
    expect(isHeldLive({ state: 'fired' })).toBe(false)
    expect(isHeldCancelable({ state: 'waiting' })).toBe(true)
    expect(isHeldCancelable({ state: 'armed' })).toBe(true)
    expect(isHeldCancelable({ state: 'triggered' })).toBe(false)
  })

  it('the note: why it waits, why it failed, how it ended', () => {
    expect(heldNote(heldOrder({ id: 1, skipped_reason: '非连续竞价时段，暂不触发' }))).toBe('非连续竞价时段，暂不触发')
    expect(heldNote(heldOrder({ id: 1, state: 'failed', message: '可卖数量不足', error: 'INSUFFICIENT_POSITION' }))).toBe('可卖数量不足')
    expect(heldNote(heldOrder({ id: 1, state: 'failed', message: '', error: 'RISK_HALTED' }))).toBe('RISK_HALTED')
    expect(heldNote(heldOrder({ id: 1, state: 'expired', message: '到期未触发，已失效' }))).toBe('到期未触发，已失效')
    expect(heldNote(heldOrder({ id: 1, state: 'fired', message: '触发：最新价 11.25 ≤ 11.30' }))).toBe('')
  })
})

describe('liveFigures', () => {
  it('a price trigger at the live last price', () => {
    const f = liveFigures(heldOrder({ id: 1 }), 11.4)
    expect(f.last).toBe(11.4)
    expect(f.distance).toBeCloseTo(0.1 / 11.4, 10)
    expect(f.stop).toBeNull()
  })

  it("the server's figures without a quote, and for a held order no longer live", () => {
    expect(liveFigures(heldOrder({ id: 1 }), null)).toEqual({ last: 11.5, distance: 0.0174, stop: null })
    expect(liveFigures(heldOrder({ id: 1, state: 'fired', last_price: '11.25', distance_pct: null }), 11.6)).toEqual({ last: 11.25, distance: null, stop: null })
    expect(liveFigures(heldOrder({ id: 1, state: 'failed', last_price: '11.35', distance_pct: '0.0044' }), null).distance).toBeNull()
  })

  it('a trailing sell: the mark follows a new high once armed, the stop with it', () => {
    const h = heldOrder({ id: 1, trigger: { type: 'trailing', percent: '0.05' }, mark: '12.00', stop_price: '11.40' })
    const up = liveFigures(h, 12.4)
    expect(up.stop).toBeCloseTo(12.4 * 0.95, 10)
    const down = liveFigures(h, 11.6)
    expect(down.stop).toBeCloseTo(11.4, 10)
    expect(down.distance).toBeCloseTo(0.2 / 11.6, 10)
  })

  it('a trailing buy by amount trails the low; no mark yet: measured from the last price', () => {
    const h = heldOrder({ id: 1, side: 'buy', trigger: { type: 'trailing', amount: '0.30' }, mark: '10.00' })
    expect(liveFigures(h, 9.8).stop).toBeCloseTo(10.1, 10)
    const fresh = liveFigures(heldOrder({ id: 2, trigger: { type: 'trailing', percent: '0.1' }, mark: null }), 10)
    expect(fresh.stop).toBeCloseTo(9, 10)
    expect(fresh.distance).toBeCloseTo(0.1, 10)
    // a waiting one has no level until it is armed
    expect(liveFigures(heldOrder({ id: 3, state: 'waiting', trigger: { type: 'trailing', percent: '0.1' }, mark: null }), 10).stop).toBeNull()
  })

  it('time and limit-open triggers have no distance', () => {
    expect(liveFigures(heldOrder({ id: 1, trigger: { type: 'time', at: '2026-11-25T10:30:00+08:00' } }), 11.5).distance).toBeNull()
    expect(liveFigures(heldOrder({ id: 1, trigger: { type: 'limit_open', which: 'up' } }), 11.5).distance).toBeNull()
  })
})

describe('the trigger form → the API trigger', () => {
  const ctx = { tick: 0.01, day: '2026-11-25' }

  it('a stop below, on the tick, as a decimal string', () => {
    expect(buildTrigger(defaultTriggerForm({ price: 11.3 }), ctx)).toEqual({ ok: true, value: { type: 'price', direction: 'below', price: '11.30' } })
    expect(buildTrigger(defaultTriggerForm({ direction: 'above', price: 12 }), ctx)).toEqual({ ok: true, value: { type: 'price', direction: 'above', price: '12.00' } })
    expect(buildTrigger(defaultTriggerForm({ price: 1.234 }), { tick: 0.001, day: null })).toEqual({
      ok: true,
      value: { type: 'price', direction: 'below', price: '1.234' },
    })
  })

  it('refuses a missing or off-tick trigger price', () => {
    expect(buildTrigger(defaultTriggerForm(), ctx)).toEqual({ ok: false, errors: ['请输入触发价'] })
    const off = buildTrigger(defaultTriggerForm({ price: 11.305 }), ctx)
    expect(off.ok).toBe(false)
    if (!off.ok) expect(off.errors[0]).toContain('0.01')
  })

  it('trailing: a typed percentage becomes a fraction; an amount in CNY', () => {
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailValue: 5 }), ctx)).toEqual({ ok: true, value: { type: 'trailing', percent: '0.05' } })
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailValue: 2.5 }), ctx)).toEqual({ ok: true, value: { type: 'trailing', percent: '0.025' } })
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailUnit: 'amount', trailValue: 0.5 }), ctx)).toEqual({
      ok: true,
      value: { type: 'trailing', amount: '0.50' },
    })
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailValue: 100 }), ctx).ok).toBe(false)
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailValue: 0 }), ctx).ok).toBe(false)
    expect(buildTrigger(defaultTriggerForm({ type: 'trailing', trailUnit: 'amount', trailValue: 0.001 }), ctx).ok).toBe(false)
  })

  it('time: on the desk’s day, with the +08:00 offset', () => {
    expect(buildTrigger(defaultTriggerForm({ type: 'time', time: '10:30:00' }), ctx)).toEqual({ ok: true, value: { type: 'time', at: '2026-11-25T10:30:00+08:00' } })
    expect(buildTrigger(defaultTriggerForm({ type: 'time', time: '9:45' }), ctx)).toEqual({ ok: true, value: { type: 'time', at: '2026-11-25T09:45:00+08:00' } })
    expect(buildTrigger(defaultTriggerForm({ type: 'time', time: null }), ctx)).toEqual({ ok: false, errors: ['请选择触发时间'] })
    expect(buildTrigger(defaultTriggerForm({ type: 'time', time: '10:30' }), { tick: 0.01, day: null }).ok).toBe(false)
  })

  it('limit opens', () => {
    expect(buildTrigger(defaultTriggerForm({ type: 'limit_open', which: 'down' }), ctx)).toEqual({ ok: true, value: { type: 'limit_open', which: 'down' } })
  })

  it('the whole request: order, trigger, expiry and account', () => {
    const order = { stock_code: '600000.SH', side: 'sell' as const, quantity: 500, price_type: 'limit' as const, price: '11.20' }
    const built = buildHeldRequest(order, defaultTriggerForm({ price: 11.3, expires: '2026-11-27' }), { ...ctx, accountId: 'P2' })
    expect(built).toEqual({
      ok: true,
      value: {
        stock_code: '600000.SH',
        side: 'sell',
        quantity: 500,
        price_type: 'limit',
        price: '11.20',
        trigger: { type: 'price', direction: 'below', price: '11.30' },
        expires: '2026-11-27',
        account_id: 'P2',
      },
    })
    const latest = buildHeldRequest({ ...order, price_type: 'latest', price: undefined }, defaultTriggerForm({ price: 11.3 }), ctx)
    expect(latest.ok && latest.value).toEqual({
      stock_code: '600000.SH',
      side: 'sell',
      quantity: 500,
      price_type: 'latest',
      trigger: { type: 'price', direction: 'below', price: '11.30' },
    })
    expect(buildHeldRequest(order, defaultTriggerForm({ price: 11.3, expires: '2026-11-24' }), ctx)).toEqual({ ok: false, errors: ['有效期不能早于今天'] })
  })

  it('says when a price trigger already holds', () => {
    expect(firesAtOnce({ type: 'price', direction: 'below', price: 11.6 }, 11.5)).toBe(true)
    expect(firesAtOnce({ type: 'price', direction: 'below', price: 11.3 }, 11.5)).toBe(false)
    expect(firesAtOnce({ type: 'price', direction: 'above', price: 11.5 }, 11.5)).toBe(true)
    expect(firesAtOnce({ type: 'trailing', direction: 'below', price: 20 }, 11.5)).toBe(false)
    expect(firesAtOnce({ type: 'price', direction: 'below', price: 11.6 }, 0)).toBe(false)
  })
})

describe('brackets', () => {
  const form = { enabled: true, takeProfit: 12, stopLoss: 11 }

  it('the request: the entry as a number, the legs’ trigger prices on the tick', () => {
    expect(buildBracketRequest('42', form, 0.01)).toEqual({
      parent_order_id: 42,
      take_profit: { trigger_price: '12.00' },
      stop_loss: { trigger_price: '11.00' },
    })
    expect(buildBracketRequest(7, { enabled: true, takeProfit: null, stopLoss: 2.345 }, 0.001, 'P2')).toEqual({
      parent_order_id: 7,
      stop_loss: { trigger_price: '2.345' },
      account_id: 'P2',
    })
  })

  it('a buy’s take-profit above the entry and its stop below; a sell the other way', () => {
    expect(bracketErrors('buy', 11.51, form, 0.01)).toEqual([])
    expect(bracketErrors('buy', 11.51, { ...form, takeProfit: 11.4 }, 0.01)).toEqual(['止盈价须高于委托价 11.51'])
    expect(bracketErrors('buy', 11.51, { ...form, stopLoss: 11.6 }, 0.01)).toEqual(['止损价须低于委托价 11.51'])
    expect(bracketErrors('sell', 11.5, { enabled: true, takeProfit: 11, stopLoss: 12 }, 0.01)).toEqual([])
    expect(bracketErrors('sell', 11.5, form, 0.01)).toEqual(['止盈价须低于委托价 11.50', '止损价须高于委托价 11.50'])
  })

  it('one leg is enough; none, or a price off the tick, is refused; off means nothing to check', () => {
    expect(bracketErrors('buy', 11.51, { enabled: true, takeProfit: 12, stopLoss: null }, 0.01)).toEqual([])
    expect(bracketErrors('buy', 11.51, { enabled: true, takeProfit: null, stopLoss: null }, 0.01)).toEqual(['请填写止盈价或止损价'])
    expect(bracketErrors('buy', 11.51, { enabled: true, takeProfit: 12.005, stopLoss: null }, 0.01)[0]).toContain('0.01')
    expect(bracketErrors('buy', 11.51, { enabled: false, takeProfit: 1, stopLoss: 99 }, 0.01)).toEqual([])
    // entry price unknown (a market order without a quote): only the prices themselves
    expect(bracketErrors('buy', 0, { enabled: true, takeProfit: 9, stopLoss: 20 }, 0.01)).toEqual([])
  })
})

describe('merging the stream', () => {
  it('upsert: a newer copy replaces, an older one is ignored, a new one goes in newest first', () => {
    const a = heldOrder({ id: 1 })
    const b = heldOrder({ id: 2 })
    let list = upsertNewer([], a)
    list = upsertNewer(list, b)
    expect(list.map((h) => h.id)).toEqual([2, 1])
    const fired = heldOrder({ id: 1, state: 'fired', updated_at: '2026-11-25T10:05:00+08:00' })
    list = upsertNewer(list, fired)
    expect(list.find((h) => h.id === 1)?.state).toBe('fired')
    list = upsertNewer(list, heldOrder({ id: 1, state: 'armed', updated_at: '2026-11-25T10:01:00+08:00' }))
    expect(list.find((h) => h.id === 1)?.state).toBe('fired')
  })

  it('a live snapshot keeps what went final while shown and drops live ones it no longer lists', () => {
    const current = [
      heldOrder({ id: 3, state: 'fired', updated_at: '2026-11-25T10:05:00+08:00' }),
      heldOrder({ id: 2 }),
      heldOrder({ id: 1 }),
    ]
    const snapshot = [heldOrder({ id: 4 }), heldOrder({ id: 2, state: 'armed', updated_at: '2026-11-25T10:06:00+08:00', last_price: '11.40' })]
    const merged = mergeLiveSnapshot(current, snapshot, isHeldLive)
    expect(merged.map((h) => h.id)).toEqual([4, 3, 2])
    expect(merged.find((h) => h.id === 2)?.last_price).toBe('11.40')
    // a stream copy newer than the snapshot's wins
    const newer = mergeLiveSnapshot([heldOrder({ id: 5, state: 'canceled', updated_at: '2026-11-25T10:09:00+08:00' })], [heldOrder({ id: 5 })], isHeldLive)
    expect(newer[0].state).toBe('canceled')
  })
})
