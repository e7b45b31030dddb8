// Trading-page keys: F1 / F2 / F3 / Esc everywhere, a letter or digit outside inputs opens the jump box.
import { describe, expect, it } from 'vitest'
import { bestInstrumentMatch, hotkeyAction, isEditable, jumpQuery } from '@/lib/hotkeys'

function el(html: string): HTMLElement {
  const host = document.createElement('div')
  host.innerHTML = html
  document.body.appendChild(host)
  return host.firstElementChild as HTMLElement
}

describe('hotkeyAction', () => {
  const body = document.body

  it('F1 buy, F2 sell, F3 cancel, Esc', () => {
    expect(hotkeyAction({ key: 'F1', target: body })).toEqual({ kind: 'buy' })
    expect(hotkeyAction({ key: 'F2', target: body })).toEqual({ kind: 'sell' })
    expect(hotkeyAction({ key: 'F3', target: body })).toEqual({ kind: 'cancel' })
    expect(hotkeyAction({ key: 'Escape', target: body })).toEqual({ kind: 'escape' })
  })

  it('function keys work while typing in an input too', () => {
    const input = el('<input type="text">')
    expect(hotkeyAction({ key: 'F2', target: input })).toEqual({ kind: 'sell' })
    expect(hotkeyAction({ key: 'Escape', target: input })).toEqual({ kind: 'escape' })
  })

  it('a digit or letter outside inputs opens the jump box with it', () => {
    expect(hotkeyAction({ key: '6', target: body })).toEqual({ kind: 'jump', text: '6' })
    expect(hotkeyAction({ key: 'p', target: el('<button>x</button>') })).toEqual({ kind: 'jump', text: 'p' })
    // a radio (the ticket's side switch) is no text field
    expect(hotkeyAction({ key: '0', target: el('<input type="radio">') })).toEqual({ kind: 'jump', text: '0' })
  })

  it('typing into inputs, text areas and editable content is left alone', () => {
    expect(hotkeyAction({ key: '6', target: el('<input>') })).toBeNull()
    expect(hotkeyAction({ key: '6', target: el('<textarea></textarea>') })).toBeNull()
    expect(hotkeyAction({ key: '6', target: el('<div contenteditable="true"><span>x</span></div>').firstElementChild })).toBeNull()
  })

  it('never with Ctrl / Alt / Meta, during IME composition, or for other keys', () => {
    expect(hotkeyAction({ key: 'c', ctrlKey: true, target: body })).toBeNull()
    expect(hotkeyAction({ key: 'F1', altKey: true, target: body })).toBeNull()
    expect(hotkeyAction({ key: '6', metaKey: true, target: body })).toBeNull()
    expect(hotkeyAction({ key: '6', isComposing: true, target: body })).toBeNull()
    expect(hotkeyAction({ key: 'Enter', target: body })).toBeNull()
    expect(hotkeyAction({ key: ' ', target: body })).toBeNull()
    expect(hotkeyAction({ key: 'F5', target: body })).toBeNull()
    expect(hotkeyAction({ key: '6', repeat: true, target: body })).toBeNull()
  })

  it('isEditable', () => {
    expect(isEditable(null)).toBe(false)
    expect(isEditable(el('<input type="checkbox">'))).toBe(false)
    expect(isEditable(el('<input type="number">'))).toBe(true)
    expect(isEditable(el('<select><option>a</option></select>'))).toBe(true)
  })
})

describe('jump box search', () => {
  const list = [
    { stock_code: '600000.SH', stock_name: '浦发银行' },
    { stock_code: '600036.SH', stock_name: '招商银行' },
    { stock_code: '000001.SZ', stock_name: '平安银行' },
    { stock_code: '000001.SH', stock_name: '上证指数' },
  ]

  it('jumpQuery: the digits of a typed code in any of its spellings', () => {
    expect(jumpQuery('600000')).toBe('600000')
    expect(jumpQuery(' sh600000 ')).toBe('600000')
    expect(jumpQuery('600000.sh')).toBe('600000')
    expect(jumpQuery('SZ.000001')).toBe('000001')
    expect(jumpQuery('pfyh')).toBe('pfyh')
    expect(jumpQuery('6000')).toBe('6000')
  })

  it('the exact code first, with the exchange when one was typed', () => {
    expect(bestInstrumentMatch(list, '000001.SH')?.stock_name).toBe('上证指数')
    expect(bestInstrumentMatch(list, 'sh000001')?.stock_name).toBe('上证指数')
    expect(bestInstrumentMatch(list, '000001')?.stock_code).toBe('000001.SZ')
    expect(bestInstrumentMatch(list, '600036')?.stock_code).toBe('600036.SH')
  })

  it('then a code prefix, an exact name, the first result', () => {
    expect(bestInstrumentMatch(list, '6000')?.stock_code).toBe('600000.SH')
    expect(bestInstrumentMatch(list, '招商银行')?.stock_code).toBe('600036.SH')
    expect(bestInstrumentMatch(list, 'yh')?.stock_code).toBe('600000.SH')
    expect(bestInstrumentMatch([], '600000')).toBeNull()
  })
})
