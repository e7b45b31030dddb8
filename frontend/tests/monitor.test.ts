import { describe, expect, it } from 'vitest'
import type { StrategyDef } from '@/api/types'
import {
  FALLBACK_STRATEGIES,
  editableParams,
  formatSizing,
  formatStrategyParams,
  inputToSizing,
  inputToStrategyParam,
  sizingValueToInput,
  strategyInputs,
  upsertSignal,
} from '@/lib/monitor'
import { signalRecord as sig } from './helpers'

const grid = FALLBACK_STRATEGIES.find((s) => s.type === 'grid')!
const sltp = FALLBACK_STRATEGIES.find((s) => s.type === 'stop_loss_take_profit')!

describe('monitor sizing', () => {
  it('sends integer shares, CNY strings and fraction strings', () => {
    expect(inputToSizing('quantity', '300')).toEqual({ value: { method: 'quantity', value: 300 } })
    expect(inputToSizing('quantity', '1.5')).toEqual({ error: 'monitor.badSizing' })
    expect(inputToSizing('amount', '10,000.50')).toEqual({ value: { method: 'amount', value: '10000.50' } })
    expect(inputToSizing('equity_pct', '5')).toEqual({ value: { method: 'equity_pct', value: '0.05' } })
    expect(inputToSizing('position_pct', '50%')).toEqual({ value: { method: 'position_pct', value: '0.5' } })
    expect(inputToSizing('target_pct', '150')).toEqual({ error: 'monitor.errPct' })
    expect(inputToSizing('amount', '0')).toEqual({ error: 'monitor.badSizing' })
    expect(inputToSizing('', 'whatever')).toEqual({ value: null })
  })

  it('shows fractions as percent in the editor and in the table', () => {
    expect(sizingValueToInput({ method: 'target_pct', value: '0.1' })).toBe('10')
    expect(sizingValueToInput({ method: 'quantity', value: 200 })).toBe('200')
    expect(sizingValueToInput(null)).toBe('')
    expect(formatSizing({ method: 'equity_pct', value: '0.05' })).toBe('总资产比例 5.00%')
    expect(formatSizing({ method: 'amount', value: '10000' })).toBe('固定金额 ¥10,000.00')
    expect(formatSizing({ method: 'quantity', value: 100 }, true)).toBe('Quantity 100 sh')
    expect(formatSizing(null)).toBe('--')
  })
})

describe('strategy parameters', () => {
  it('fills the editor from the defaults or the entry, percent for *_pct', () => {
    expect(strategyInputs(grid)).toEqual({ base_price: '', step_pct: '2', lots_per_step: 1, max_lots: 5 })
    expect(strategyInputs(grid, { base_price: '11.50', step_pct: '0.03' })).toMatchObject({ base_price: '11.50', step_pct: '3' })
  })

  it('converts inputs back and enforces required / integer', () => {
    const [base, step, lots] = grid.params
    expect(inputToStrategyParam(base, '')).toEqual({ error: 'monitor.errRequired' })
    expect(inputToStrategyParam(base, '11.5')).toEqual({ value: '11.5' })
    expect(inputToStrategyParam(step, '2.5')).toEqual({ value: '0.025' })
    expect(inputToStrategyParam(step, 'x')).toEqual({ error: 'monitor.errPct' })
    expect(inputToStrategyParam(lots, 2)).toEqual({ value: 2 })
    expect(inputToStrategyParam(lots, 2.5)).toEqual({ error: 'monitor.errInt' })
    const trailing = sltp.params.find((p) => p.name === 'trailing_pct')!
    expect(inputToStrategyParam(trailing, '')).toEqual({ value: null })
  })

  it('leaves a sizing parameter to the entry sizing', () => {
    const def: StrategyDef = {
      type: 'ma_cross',
      name_zh: '均线交叉',
      description: '',
      params: [...FALLBACK_STRATEGIES[0].params, { name: 'sizing', type: 'sizing', default: null, description: '', required: false, nullable: true }],
    }
    expect(editableParams(def).map((p) => p.name)).toEqual(['fast', 'slow', 'period_seconds'])
  })

  it('summarises params, fractions as percent', () => {
    expect(formatStrategyParams(grid, { base_price: '11.50', step_pct: '0.02', lots_per_step: 1 })).toBe('base_price 11.50 · step_pct 2.00% · lots_per_step 1')
  })
})

describe('signals stream into the list', () => {
  it('puts a new decision on top and replaces a known one', () => {
    const list = [sig({ signal_id: 'a' })]
    let r = upsertSignal(list, sig({ signal_id: 'b', decision: 'denied', error: 'RISK_HALTED' }), {}, 20)
    expect(r.added).toBe(true)
    expect(r.list.map((s) => s.signal_id)).toEqual(['b', 'a'])
    r = upsertSignal(r.list, sig({ signal_id: 'a', decision: 'expired' }), {}, 20)
    expect(r.added).toBe(false)
    expect(r.list[1].decision).toBe('expired')
  })

  it('respects the filters and the page size; a duplicate replay changes nothing', () => {
    const list = [sig({ signal_id: 'a' })]
    expect(upsertSignal(list, sig({ signal_id: 'b', strategy_name: 'other' }), { strategy_name: 'ma1' }, 20).list).toBe(list)
    expect(upsertSignal(list, sig({ signal_id: 'b', decision: 'skipped' }), { decision: 'executed' }, 20).list).toBe(list)
    expect(upsertSignal(list, { ...sig({ signal_id: 'a' }), decision: 'duplicate', original_decision: 'executed' }, {}, 20).list).toBe(list)
    expect(upsertSignal(list, sig({ signal_id: 'b' }), {}, 1).list.map((s) => s.signal_id)).toEqual(['b'])
  })
})
