import { describe, expect, it } from 'vitest'
import {
  DEFAULT_FEES,
  estimateFees,
  exchangeOf,
  formatPriceForApi,
  isOnTick,
  isValidBuyQuantity,
  isValidSellQuantity,
  lotRule,
  maxBuyable,
  maxOrderQuantity,
  maxSellable,
  newClientOrderId,
  priceTypesFor,
  roundDownToLot,
  roundToTick,
  stepQuantity,
  takesProtectivePrice,
} from '@/lib/trading'
import { ClientOrderIdKeeper } from '@/lib/orderIntent'

const MAIN = lotRule({ stock_code: '600000.SH', lot_size: 100 })
const STAR = lotRule({ stock_code: '688981.SH', lot_size: 200 })
const BSE = lotRule({ stock_code: '920001.BJ', lot_size: 100 })

describe('lot rules', () => {
  it('main board / ChiNext / SZ use the instrument lot', () => {
    expect(MAIN).toEqual({ min: 100, step: 100 })
    expect(lotRule({ stock_code: '300750.SZ', lot_size: 100 })).toEqual({ min: 100, step: 100 })
    expect(lotRule({ stock_code: '000001.SZ' })).toEqual({ min: 100, step: 100 })
  })
  it('STAR: min 200 then step 1; BSE: min 100 then step 1', () => {
    expect(STAR).toEqual({ min: 200, step: 1 })
    expect(lotRule({ stock_code: '689009.SH', lot_size: 100 })).toEqual({ min: 200, step: 1 })
    expect(BSE).toEqual({ min: 100, step: 1 })
  })
  it('rounds down to a valid buy quantity', () => {
    expect(roundDownToLot(1999, MAIN)).toBe(1900)
    expect(roundDownToLot(99, MAIN)).toBe(0)
    expect(roundDownToLot(199, STAR)).toBe(0)
    expect(roundDownToLot(201.7, STAR)).toBe(201)
    expect(roundDownToLot(150, BSE)).toBe(150)
  })
  it('validates buy quantities', () => {
    expect(isValidBuyQuantity(100, MAIN)).toBe(true)
    expect(isValidBuyQuantity(150, MAIN)).toBe(false)
    expect(isValidBuyQuantity(0, MAIN)).toBe(false)
    expect(isValidBuyQuantity(200, STAR)).toBe(true)
    expect(isValidBuyQuantity(201, STAR)).toBe(true)
    expect(isValidBuyQuantity(199, STAR)).toBe(false)
    expect(isValidBuyQuantity(101, BSE)).toBe(true)
    expect(isValidBuyQuantity(100.5, BSE)).toBe(false)
  })
  it('validates sells with the odd-lot rule (reference §2.2 examples)', () => {
    // main board, sellable 232: 32, 132, 232 valid; 150 rejected
    for (const q of [32, 132, 232, 100, 200]) expect(isValidSellQuantity(q, MAIN, 232)).toBe(true)
    expect(isValidSellQuantity(150, MAIN, 232)).toBe(false)
    expect(isValidSellQuantity(300, MAIN, 232)).toBe(false)
    // STAR, sellable 232: 32 and 132 rejected; 200+ valid
    expect(isValidSellQuantity(32, STAR, 232)).toBe(false)
    expect(isValidSellQuantity(132, STAR, 232)).toBe(false)
    expect(isValidSellQuantity(201, STAR, 232)).toBe(true)
    // STAR, sellable 132: only the whole 132
    expect(isValidSellQuantity(132, STAR, 132)).toBe(true)
    expect(isValidSellQuantity(100, STAR, 132)).toBe(false)
    // BSE by analogy
    expect(isValidSellQuantity(50, BSE, 50)).toBe(true)
    expect(isValidSellQuantity(40, BSE, 50)).toBe(false)
  })
  it('steps quantities by the lot', () => {
    expect(stepQuantity(0, 1, MAIN)).toBe(100)
    expect(stepQuantity(100, 1, MAIN)).toBe(200)
    expect(stepQuantity(150, 1, MAIN)).toBe(200)
    expect(stepQuantity(150, -1, MAIN)).toBe(100)
    expect(stepQuantity(100, -1, MAIN)).toBe(100)
    expect(stepQuantity(0, 1, STAR)).toBe(200)
    expect(stepQuantity(200, 1, STAR)).toBe(201)
  })
  it('knows the per-order caps', () => {
    expect(maxOrderQuantity('688981.SH', 'limit')).toBe(100_000)
    expect(maxOrderQuantity('688981.SH', 'market')).toBe(50_000)
    expect(maxOrderQuantity('300750.SZ', 'limit')).toBe(300_000)
    expect(maxOrderQuantity('300750.SZ', 'best5_cancel')).toBe(150_000)
    expect(maxOrderQuantity('600000.SH', 'limit')).toBe(1_000_000)
  })
})

describe('price types', () => {
  it('offers the exchange lists', () => {
    expect(priceTypesFor('600000.SH')).toEqual(['limit', 'latest', 'market', 'best5_cancel', 'best5_limit', 'counterparty_best', 'own_best'])
    expect(priceTypesFor('920001.BJ')).toEqual(priceTypesFor('600000.SH'))
    const sz = priceTypesFor('000001.SZ')
    expect(sz).toContain('ioc')
    expect(sz).toContain('fok')
    expect(sz).not.toContain('best5_limit')
  })
  it('asks a protective price for SH/BJ market-type orders only', () => {
    expect(takesProtectivePrice('600000.SH', 'market')).toBe(true)
    expect(takesProtectivePrice('920001.BJ', 'own_best')).toBe(true)
    expect(takesProtectivePrice('600000.SH', 'limit')).toBe(false)
    expect(takesProtectivePrice('600000.SH', 'latest')).toBe(false)
    expect(takesProtectivePrice('000001.SZ', 'market')).toBe(false)
  })
  it('checks and formats ticks', () => {
    expect(isOnTick(10.23, 0.01)).toBe(true)
    expect(isOnTick(10.235, 0.01)).toBe(false)
    expect(isOnTick(1.234, 0.001)).toBe(true)
    expect(roundToTick(10.234, 0.01)).toBe(10.23)
    expect(formatPriceForApi(10.5, 0.01)).toBe('10.50')
    expect(formatPriceForApi(1.2, 0.001)).toBe('1.200')
    expect(exchangeOf('600000.SH')).toBe('SH')
    expect(exchangeOf('600000')).toBeNull()
  })
})

describe('fees', () => {
  it('matches the worked example (commission 0.025% min 5)', () => {
    const buy = estimateFees('buy', 10, 1000)
    expect(buy).toMatchObject({ amount: 10000, commission: 5, stampDuty: 0, transferFee: 0.1, fees: 5.1, net: 10005.1 })
    const sell = estimateFees('sell', 10, 1000)
    expect(sell).toMatchObject({ commission: 5, stampDuty: 5, transferFee: 0.1, fees: 10.1, net: 9989.9 })
  })
  it('charges the rate above the minimum and rounds each item to the fen', () => {
    const f = estimateFees('sell', 25.37, 3300) // 83,721.00
    expect(f.amount).toBe(83721)
    expect(f.commission).toBe(20.93)
    expect(f.stampDuty).toBe(41.86)
    expect(f.transferFee).toBe(0.84)
    expect(f.fees).toBe(63.63)
  })
  it('exempts funds from stamp duty and transfer fee', () => {
    const f = estimateFees('sell', 1.234, 10000, 'etf')
    expect(f.stampDuty).toBe(0)
    expect(f.transferFee).toBe(0)
    expect(f.commission).toBe(5)
  })
  it('is zero for an empty ticket', () => {
    expect(estimateFees('buy', 0, 100).fees).toBe(0)
    expect(estimateFees('buy', 10, 0).net).toBe(0)
  })
  it('uses the API.md defaults', () => {
    expect(DEFAULT_FEES).toEqual({ commissionRate: 0.00025, commissionMin: 5, stampDutyRate: 0.0005, transferFeeRate: 0.00001 })
  })
})

describe('max buyable / sellable', () => {
  it('fits amount plus fees in the cash, on a valid lot', () => {
    // 1,000 shares would need 10,005.10
    expect(maxBuyable(10000, 10, MAIN)).toBe(900)
    expect(maxBuyable(10005.1, 10, MAIN)).toBe(1000)
    expect(maxBuyable(10005.09, 10, MAIN)).toBe(900)
  })
  it('respects the STAR minimum and step 1', () => {
    // 200 shares at 50 = 10,000 + 5.10 fees
    expect(maxBuyable(10004, 50, STAR)).toBe(0)
    expect(maxBuyable(10005.1, 50, STAR)).toBe(200)
    expect(maxBuyable(10100, 50, STAR)).toBe(201)
  })
  it('is 0 without cash or price, and honours a cap', () => {
    expect(maxBuyable(0, 10, MAIN)).toBe(0)
    expect(maxBuyable(1e6, 0, MAIN)).toBe(0)
    expect(maxBuyable(1e9, 1, MAIN, 'stock', DEFAULT_FEES, 1_000_000)).toBe(1_000_000)
  })
  it('every result is affordable', () => {
    for (const [cash, price] of [
      [12345.67, 3.21],
      [5000, 49.99],
      [1e6, 1688.88],
      [20.5, 0.15],
    ]) {
      const q = maxBuyable(cash, price, MAIN)
      if (q > 0) expect(estimateFees('buy', price, q).net).toBeLessThanOrEqual(cash)
      const more = q + MAIN.step
      expect(estimateFees('buy', price, more).net).toBeGreaterThan(cash)
    }
  })
  it('sellable is can_use_volume', () => {
    expect(maxSellable(1200)).toBe(1200)
    expect(maxSellable(0)).toBe(0)
    expect(maxSellable(undefined)).toBe(0)
  })
})

describe('client order ids', () => {
  it('are short, url-safe and unique', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newClientOrderId()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(/^ui-[0-9a-z]+-[0-9a-f]{12}$/)
    expect(newClientOrderId().length).toBeLessThanOrEqual(32)
  })
  it('keeps one id per intent until the server answers for good', () => {
    let n = 0
    const keeper = new ClientOrderIdKeeper(() => `id-${++n}`)
    const p = { stock_code: '600000.SH', side: 'buy' as const, quantity: 100, price_type: 'limit' as const, price: '10.00' }
    expect(keeper.idFor(p)).toBe('id-1')
    // user-initiated retry after a timeout: same payload, same id
    expect(keeper.idFor({ ...p })).toBe('id-1')
    // a different order gets a new id
    expect(keeper.idFor({ ...p, quantity: 200 })).toBe('id-2')
    keeper.settle()
    expect(keeper.pending).toBeNull()
    expect(keeper.idFor(p)).toBe('id-3')
  })
})
