// Display helpers. Values arrive as decimal strings; they are only turned into numbers for display
// and estimates, never sent back as floats.

export function num(v: unknown): number {
  if (v === null || v === undefined || v === '') return NaN
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) ? n : NaN
}

/** Decimal places of a tick string: "0.01" -> 2, "0.001" -> 3, "1" -> 0. */
export function tickDecimals(tick: string | number | null | undefined): number {
  if (tick === null || tick === undefined || tick === '') return 2
  const s = String(tick)
  if (/e-/i.test(s)) return Number(s.split(/e-/i)[1]) || 2
  const i = s.indexOf('.')
  if (i < 0) return 0
  const frac = s.slice(i + 1).replace(/0+$/, '')
  return frac.length || 0
}

const FUND_PREFIX_SH = ['50', '51', '52', '56', '58']
const FUND_PREFIX_SZ = ['15', '16', '18']

/** Price decimals inferred from a code when the instrument is not loaded: funds 3, stocks 2. */
export function priceDecimalsForCode(code: string | null | undefined): number {
  if (!code) return 2
  const [digits, ex] = code.split('.')
  if (ex === 'SH' && FUND_PREFIX_SH.some((p) => digits.startsWith(p))) return 3
  if (ex === 'SZ' && FUND_PREFIX_SZ.some((p) => digits.startsWith(p))) return 3
  return 2
}

const groupFormatters = new Map<number, Intl.NumberFormat>()
function grouped(decimals: number): Intl.NumberFormat {
  let f = groupFormatters.get(decimals)
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    groupFormatters.set(decimals, f)
  }
  return f
}

/** toFixed with half-up rounding that survives binary floats ("1.2345" -> "1.235"). */
export function toFixedHalfUp(n: number, decimals: number): string {
  const f = 10 ** decimals
  const r = (Math.round(Math.abs(n) * f + 1e-7) / f) * (n < 0 ? -1 : 1)
  return (Object.is(r, -0) ? 0 : r).toFixed(decimals)
}

export function fmtPrice(v: unknown, decimals = 2): string {
  const n = num(v)
  return Number.isNaN(n) ? '--' : toFixedHalfUp(n, decimals)
}

export function fmtMoney(v: unknown, decimals = 2): string {
  const n = num(v)
  return Number.isNaN(n) ? '--' : grouped(decimals).format(n)
}

export function fmtSignedMoney(v: unknown, decimals = 2): string {
  const n = num(v)
  if (Number.isNaN(n)) return '--'
  return (n > 0 ? '+' : '') + grouped(decimals).format(n)
}

export function fmtInt(v: unknown): string {
  const n = num(v)
  return Number.isNaN(n) ? '--' : grouped(0).format(n)
}

/** A fraction string ("0.0523") as a percentage ("5.23%"). */
export function fmtPct(v: unknown, decimals = 2, signed = true): string {
  const n = num(v)
  if (Number.isNaN(n)) return '--'
  const p = n * 100
  return (signed && p > 0 ? '+' : '') + toFixedHalfUp(p, decimals) + '%'
}

/** Volume in 手-friendly compact form: 12,345,600 -> 1234.56万. */
export function fmtVolume(v: unknown, locale: string): string {
  const n = num(v)
  if (Number.isNaN(n)) return '--'
  if (locale.startsWith('zh')) {
    if (Math.abs(n) >= 1e8) return (n / 1e8).toFixed(2) + '亿'
    if (Math.abs(n) >= 1e4) return (n / 1e4).toFixed(2) + '万'
    return String(n)
  }
  if (Math.abs(n) >= 1e9) return (n / 1e9).toFixed(2) + 'B'
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + 'M'
  if (Math.abs(n) >= 1e3) return (n / 1e3).toFixed(1) + 'K'
  return String(n)
}

/** -1, 0 or 1: the trend class of a value relative to a base (or to 0). */
export function trend(v: unknown, base: unknown = 0): -1 | 0 | 1 {
  const a = num(v)
  const b = num(base)
  if (Number.isNaN(a) || Number.isNaN(b) || a === b) return 0
  return a > b ? 1 : -1
}

export function trendClass(v: unknown, base: unknown = 0): string {
  const t = trend(v, base)
  return t > 0 ? 'q-up' : t < 0 ? 'q-down' : 'q-flat'
}

export function fmtTime(v: string | null | undefined, withDate = false): string {
  if (!v) return '--'
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return v
  const pad = (x: number) => String(x).padStart(2, '0')
  // Show the exchange's wall clock (Asia/Shanghai) whatever the browser's zone is.
  const sh = new Date(d.getTime() + (d.getTimezoneOffset() + 480) * 60000)
  const time = `${pad(sh.getHours())}:${pad(sh.getMinutes())}:${pad(sh.getSeconds())}`
  if (!withDate) return time
  return `${sh.getFullYear()}-${pad(sh.getMonth() + 1)}-${pad(sh.getDate())} ${time}`
}

export function fmtDateTime(v: string | null | undefined): string {
  return fmtTime(v, true)
}

/**
 * Moves the decimal point of a decimal string by `shift` places (exact, no float): ("0.0523", 2) ->
 * "5.23", ("5.23", -2) -> "0.0523". Trailing fraction zeros are dropped. null for anything that is
 * not a plain decimal.
 */
export function shiftDecimal(v: unknown, shift: number): string | null {
  if (v === null || v === undefined) return null
  const s = String(v).trim()
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s)
  if (!m || (!m[2] && !m[3])) return null
  const sign = m[1] === '-' ? '-' : ''
  let int = m[2] || '0'
  let frac = m[3] ?? ''
  if (shift > 0) {
    frac = frac.padEnd(shift, '0')
    int += frac.slice(0, shift)
    frac = frac.slice(shift)
  } else if (shift < 0) {
    int = int.padStart(-shift + 1, '0')
    frac = int.slice(int.length + shift) + frac
    int = int.slice(0, int.length + shift)
  }
  int = int.replace(/^0+(?=\d)/, '')
  frac = frac.replace(/0+$/, '')
  const out = frac ? `${int}.${frac}` : int
  return sign && /[1-9]/.test(out) ? sign + out : out
}

/** A fraction string as the percent number to edit: "0.0523" -> "5.23" ('' when empty). */
export function fractionToPercentInput(v: unknown): string {
  return shiftDecimal(v, 2) ?? ''
}

/** A percent typed by the user back to the fraction string the API takes: "5.23" -> "0.0523". */
export function percentInputToFraction(v: unknown): string | null {
  return shiftDecimal(v, -2)
}

/** "11-25 10:02:43": the exchange's wall clock without the year, for narrow columns. */
export function fmtDateTimeShort(v: string | null | undefined): string {
  const full = fmtTime(v, true)
  return /^\d{4}-/.test(full) ? full.slice(5) : full
}
