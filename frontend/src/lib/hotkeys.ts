// Keyboard of the trading page, as trading terminals have it: typing a code anywhere outside an input
// opens the jump box (键盘精灵), F1 = buy, F2 = sell, F3 = cancel, Esc closes. Pure: the page
// decides what each action does.
import type { Instrument } from '@/api/types'

export type HotkeyAction =
  | { kind: 'buy' }
  | { kind: 'sell' }
  | { kind: 'cancel' }
  | { kind: 'escape' }
  /** open the jump box with this first character */
  | { kind: 'jump'; text: string }

export interface KeyLike {
  key: string
  ctrlKey?: boolean
  metaKey?: boolean
  altKey?: boolean
  shiftKey?: boolean
  isComposing?: boolean
  repeat?: boolean
  target?: EventTarget | null
}

/** True for elements that take typed text (inputs, text areas, selects, contenteditable). */
export function isEditable(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false
  const el = target as HTMLElement
  if (el.isContentEditable) return true
  const tag = el.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase()
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type)
  }
  return !!el.closest('[contenteditable="true"]')
}

const FKEYS: Record<string, HotkeyAction> = {
  F1: { kind: 'buy' },
  F2: { kind: 'sell' },
  F3: { kind: 'cancel' },
}

/**
 * The action of a keydown, or null for keys the page leaves alone. F1-F3 and Esc work everywhere
 * (also while typing a price); a letter or digit opens the jump box only outside inputs. Keys with
 * Ctrl / Alt / Meta, auto-repeats of characters and IME composition are never hotkeys.
 */
export function hotkeyAction(e: KeyLike): HotkeyAction | null {
  if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return null
  const f = FKEYS[e.key]
  if (f) return f
  if (e.key === 'Escape' || e.key === 'Esc') return { kind: 'escape' }
  if (e.repeat || isEditable(e.target)) return null
  if (/^[0-9a-zA-Z]$/.test(e.key)) return { kind: 'jump', text: e.key }
  return null
}

/**
 * What the jump box searches for: `600000`, `sh600000`, `600000.sh`, `SH600000` → `600000`; a name
 * or pinyin is kept as typed (trimmed).
 */
export function jumpQuery(text: string): string {
  const s = text.trim()
  const m = /^(?:(SH|SZ|BJ)\.?)?(\d{6})(?:\.(SH|SZ|BJ))?$/i.exec(s)
  return m ? m[2] : s
}

/** The exchange a typed code names (`sh600000`, `600000.SH`), if any. */
function typedExchange(text: string): string | null {
  const m = /^(SH|SZ|BJ)\.?\d{6}$/i.exec(text.trim()) ?? /^\d{6}\.(SH|SZ|BJ)$/i.exec(text.trim())
  return m ? m[1].toUpperCase() : null
}

/**
 * The instrument a typed text means among search results: the exact code (with the exchange when
 * one was typed), then a code starting with the digits, then an exact name, then the first result.
 */
export function bestInstrumentMatch<T extends Pick<Instrument, 'stock_code' | 'stock_name'>>(list: T[], text: string): T | null {
  if (!list.length) return null
  const s = text.trim()
  const digits = jumpQuery(s)
  const ex = typedExchange(s)
  const exact = list.find((i) => i.stock_code.toUpperCase() === `${digits}.${ex ?? ''}`.toUpperCase())
  if (exact) return exact
  if (/^\d+$/.test(digits)) {
    const sameCode = list.filter((i) => i.stock_code.split('.')[0] === digits)
    if (sameCode.length) return sameCode[0]
    const prefix = list.find((i) => i.stock_code.startsWith(digits))
    if (prefix) return prefix
  }
  const byName = list.find((i) => i.stock_name === s)
  return byName ?? list[0]
}
