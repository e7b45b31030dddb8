// A-share order-ticket helpers: lots, odd-lot sells, price types per exchange, fee estimates and the
// max buyable / sellable quantities. Pure functions; prices as numbers here, sent as strings.
import type { Instrument, PriceType, Side } from '@/api/types'

export type Exchange = 'SH' | 'SZ' | 'BJ'

export function exchangeOf(code: string | null | undefined): Exchange | null {
  const ex = code?.split('.')[1]?.toUpperCase()
  return ex === 'SH' || ex === 'SZ' || ex === 'BJ' ? ex : null
}

export function isStar(code: string): boolean {
  return exchangeOf(code) === 'SH' && /^(688|689)/.test(code)
}

export function isChiNext(code: string): boolean {
  return exchangeOf(code) === 'SZ' && /^(300|301|302)/.test(code)
}

export function isFundKind(kind: string | null | undefined): boolean {
  return !!kind && /fund|etf|lof|reit|bond/i.test(kind)
}

// ---------------------------------------------------------------- quantities

export interface LotRule {
  /** smallest buy quantity */
  min: number
  /** increment above the minimum */
  step: number
}

/** STAR (688/689): min 200 then step 1; BSE: min 100 then step 1; others: the instrument's lot (100). */
export function lotRule(inst: Pick<Instrument, 'stock_code'> & Partial<Pick<Instrument, 'lot_size'>>): LotRule {
  if (isStar(inst.stock_code)) return { min: 200, step: 1 }
  if (exchangeOf(inst.stock_code) === 'BJ') return { min: 100, step: 1 }
  const lot = inst.lot_size && inst.lot_size > 0 ? inst.lot_size : 100
  return { min: lot, step: lot }
}

/** Largest valid buy quantity that is <= q (0 when below the minimum). */
export function roundDownToLot(q: number, rule: LotRule): number {
  if (!Number.isFinite(q) || q < rule.min) return 0
  const n = Math.floor(q)
  return rule.min + Math.floor((n - rule.min) / rule.step) * rule.step
}

export function isValidBuyQuantity(q: number, rule: LotRule): boolean {
  return Number.isInteger(q) && q >= rule.min && (q - rule.min) % rule.step === 0
}

/**
 * Odd-lot sell rule (reference §2.2). Main board / ChiNext / ETFs: q is a whole number of lots, or
 * what remains after the sale is (the odd part goes in one order). STAR / BSE: q >= min, or the
 * whole sellable holding when that is below the minimum.
 */
export function isValidSellQuantity(q: number, rule: LotRule, sellable: number): boolean {
  if (!Number.isInteger(q) || q <= 0 || q > sellable) return false
  if (rule.step > 1) return q % rule.step === 0 || (sellable - q) % rule.step === 0
  return q >= rule.min || q === sellable
}

/** Per-order quantity caps of the exchange (limit / market orders). */
export function maxOrderQuantity(code: string, priceType: PriceType): number {
  const market = priceType !== 'limit' && priceType !== 'latest'
  if (isStar(code)) return market ? 50_000 : 100_000
  if (isChiNext(code)) return market ? 150_000 : 300_000
  return 1_000_000
}

/** Step the ticket's quantity up or down by one lot, snapping onto valid values. */
export function stepQuantity(q: number, dir: 1 | -1, rule: LotRule): number {
  const cur = Number.isFinite(q) && q > 0 ? Math.floor(q) : 0
  if (dir > 0) {
    if (cur < rule.min) return rule.min
    const snapped = roundDownToLot(cur, rule)
    return snapped === cur ? cur + rule.step : snapped + rule.step
  }
  if (cur <= rule.min) return rule.min
  const snapped = roundDownToLot(cur, rule)
  return snapped === cur ? cur - rule.step : snapped
}

// ---------------------------------------------------------------- prices

export const PRICE_TYPES_SH: PriceType[] = [
  'limit',
  'latest',
  'market',
  'best5_cancel',
  'best5_limit',
  'counterparty_best',
  'own_best',
]
export const PRICE_TYPES_SZ: PriceType[] = [
  'limit',
  'latest',
  'market',
  'counterparty_best',
  'own_best',
  'best5_cancel',
  'ioc',
  'fok',
]

/** The price types the order's exchange offers (SH and BJ share the list). */
export function priceTypesFor(code: string | null | undefined): PriceType[] {
  const ex = exchangeOf(code)
  if (ex === 'SZ') return PRICE_TYPES_SZ
  return PRICE_TYPES_SH
}

export function needsLimitPrice(pt: PriceType): boolean {
  return pt === 'limit'
}

/** SH/BJ market-type orders carry a protective price (保护限价). */
export function takesProtectivePrice(code: string | null | undefined, pt: PriceType): boolean {
  const ex = exchangeOf(code)
  return (ex === 'SH' || ex === 'BJ') && pt !== 'limit' && pt !== 'latest'
}

export function isOnTick(price: number, tick: number): boolean {
  if (!(tick > 0) || !Number.isFinite(price)) return false
  const r = price / tick
  return Math.abs(r - Math.round(r)) < 1e-6
}

export function roundToTick(price: number, tick: number): number {
  if (!(tick > 0)) return price
  const decimals = Math.max(0, Math.round(-Math.log10(tick)))
  return Number((Math.round(price / tick) * tick).toFixed(decimals))
}

export function formatPriceForApi(price: number, tick: number): string {
  const decimals = Math.max(0, Math.round(-Math.log10(tick)))
  return roundToTick(price, tick).toFixed(decimals)
}

// ---------------------------------------------------------------- fees

export interface FeeConfig {
  commissionRate: number
  commissionMin: number
  stampDutyRate: number
  transferFeeRate: number
}

/** Defaults of API.md (QMTDESK_COMMISSION_RATE / _MIN) and the current statutory rates. */
export const DEFAULT_FEES: FeeConfig = {
  commissionRate: 0.00025,
  commissionMin: 5,
  stampDutyRate: 0.0005,
  transferFeeRate: 0.00001,
}

export function round2(x: number): number {
  const sign = x < 0 ? -1 : 1
  return (sign * Math.round(Math.abs(x) * 100 + 1e-9)) / 100
}

export interface FeeEstimate {
  amount: number
  commission: number
  stampDuty: number
  transferFee: number
  fees: number
  /** buy: cash needed (amount + fees); sell: cash received (amount - fees) */
  net: number
}

/**
 * Commission (rate, minimum once per order), stamp duty (sells of stocks only), transfer fee (stocks,
 * both sides). Each item rounded to the fen.
 */
export function estimateFees(
  side: Side,
  price: number,
  quantity: number,
  kind: string | null | undefined = 'stock',
  cfg: FeeConfig = DEFAULT_FEES,
): FeeEstimate {
  const amount = price > 0 && quantity > 0 ? round2(price * quantity) : 0
  if (amount === 0) return { amount: 0, commission: 0, stampDuty: 0, transferFee: 0, fees: 0, net: 0 }
  const stock = !isFundKind(kind)
  const commission = Math.max(round2(amount * cfg.commissionRate), cfg.commissionMin)
  const stampDuty = side === 'sell' && stock ? round2(amount * cfg.stampDutyRate) : 0
  const transferFee = stock ? round2(amount * cfg.transferFeeRate) : 0
  const fees = round2(commission + stampDuty + transferFee)
  const net = side === 'buy' ? round2(amount + fees) : round2(amount - fees)
  return { amount, commission, stampDuty, transferFee, fees, net }
}

/** Largest valid buy quantity whose amount plus estimated fees fits in the available cash. */
export function maxBuyable(
  cash: number,
  price: number,
  rule: LotRule,
  kind: string | null | undefined = 'stock',
  cfg: FeeConfig = DEFAULT_FEES,
  cap = Infinity,
): number {
  if (!(cash > 0) || !(price > 0)) return 0
  const perShare = price * (1 + cfg.commissionRate + (isFundKind(kind) ? 0 : cfg.transferFeeRate))
  let q = roundDownToLot(Math.min(Math.floor(cash / perShare), cap), rule)
  for (let i = 0; q > 0 && i < 100_000; i++) {
    if (estimateFees('buy', price, q, kind, cfg).net <= cash) return q
    q = q - rule.step >= rule.min ? q - rule.step : 0
  }
  return 0
}

/** Sellable now: the position's can_use_volume (T+1 already applied by the server). */
export function maxSellable(canUseVolume: number | null | undefined): number {
  return canUseVolume && canUseVolume > 0 ? Math.floor(canUseVolume) : 0
}

// ---------------------------------------------------------------- client order ids

function randomHex(bytes: number): string {
  const a = new Uint8Array(bytes)
  const c = globalThis.crypto
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(a)
  else for (let i = 0; i < bytes; i++) a[i] = Math.floor(Math.random() * 256)
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** `ui-<time36>-<12 hex>`: at most 28 characters of [a-z0-9-]. */
export function newClientOrderId(now = Date.now()): string {
  return `ui-${now.toString(36)}-${randomHex(6)}`
}
