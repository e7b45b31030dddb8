// Risk rule parameters by their `param_types` (money | fraction | count | seconds | codes | bool):
// what the editor shows, what goes back to PUT /risk/rules/{rule}, and a one-line summary.
// Money goes back as a decimal string, fractions are edited as percentages ("20" -> "0.2"), counts
// and seconds are integers, codes a list, bool a boolean. An empty money / fraction is `null`
// (an optional limit switched off; the server says when a parameter is required).
import type { RiskParamType } from '@/api/types'
import { fmtInt, fmtMoney, fmtPct, fractionToPercentInput, percentInputToFraction } from './format'

export type ParamInput = string | number | boolean | string[] | null

export function paramToInput(type: RiskParamType | string, v: unknown): ParamInput {
  switch (type) {
    case 'money':
      return v === null || v === undefined ? '' : String(v)
    case 'fraction':
      return fractionToPercentInput(v)
    case 'count':
    case 'seconds': {
      const n = typeof v === 'number' ? v : Number(v)
      return v === null || v === undefined || v === '' || !Number.isFinite(n) ? null : n
    }
    case 'codes':
      return Array.isArray(v) ? v.map(String) : []
    case 'bool':
      return v === true || v === 'true'
    default:
      return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
}

/** Why an input is refused: a message key of the dictionary (params: {name}). */
export type ParamError = 'riskParam.badMoney' | 'riskParam.badPct' | 'riskParam.badInt' | 'riskParam.badCode'

const DECIMAL = /^\d+(\.\d+)?$/
/** 600000, 600000.SH, SH600000, sh600000 */
const CODE = /^(\d{6}(\.(SH|SZ|BJ))?|(SH|SZ|BJ)\d{6})$/i

export function inputToParam(type: RiskParamType | string, input: ParamInput): { value: unknown } | { error: ParamError } {
  switch (type) {
    case 'money': {
      const s = String(input ?? '').trim().replace(/,/g, '')
      if (!s) return { value: null }
      return DECIMAL.test(s) ? { value: s } : { error: 'riskParam.badMoney' }
    }
    case 'fraction': {
      const s = String(input ?? '').trim().replace(/%$/, '')
      if (!s) return { value: null }
      if (!DECIMAL.test(s) || Number(s) > 100) return { error: 'riskParam.badPct' }
      return { value: percentInputToFraction(s) }
    }
    case 'count':
    case 'seconds': {
      if (input === null || input === '' || input === undefined) return { error: 'riskParam.badInt' }
      const n = Number(input)
      if (!Number.isInteger(n) || n < (type === 'seconds' ? 1 : 0)) return { error: 'riskParam.badInt' }
      return { value: n }
    }
    case 'codes': {
      const list = (Array.isArray(input) ? input : String(input ?? '').split(/[\s,，]+/))
        .map((c) => String(c).trim().toUpperCase())
        .filter(Boolean)
      if (list.some((c) => !CODE.test(c))) return { error: 'riskParam.badCode' }
      return { value: [...new Set(list)] }
    }
    case 'bool':
      return { value: input === true }
    default:
      return { value: input }
  }
}

/** A parameter's value for the rules table: "¥1,000,000.00", "20.00%", "60 s", "600000.SH, ...". */
export function formatParam(type: RiskParamType | string, v: unknown, en = false): string {
  if (v === null || v === undefined || v === '') return en ? 'off' : '不限'
  switch (type) {
    case 'money':
      return `¥${fmtMoney(v, 2)}`
    case 'fraction':
      return fmtPct(v, 2, false)
    case 'count':
      return fmtInt(v)
    case 'seconds':
      return en ? `${fmtInt(v)} s` : `${fmtInt(v)} 秒`
    case 'codes':
      return Array.isArray(v) && v.length ? v.join(', ') : en ? 'none' : '无'
    case 'bool':
      return v === true ? (en ? 'yes' : '是') : en ? 'no' : '否'
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
}

/** The scope of a strategy's copy of a rule: `strategy:<name>`, the name 1..64 characters. */
export function strategyScope(name: string): string | null {
  const n = name.trim()
  return n && n.length <= 64 ? `strategy:${n}` : null
}

export function scopeStrategy(scope: string | null | undefined): string | null {
  return scope && scope.startsWith('strategy:') ? scope.slice(9) : null
}
