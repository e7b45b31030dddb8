// Preferences in localStorage: colours, the cancel confirmation, each user's quote board.
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { BOARD_MAX, parsePrefs, usePrefsStore } from '@/stores/prefs'

describe('prefs', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('defaults: red up, no cancel confirmation, no saved board', () => {
    expect(parsePrefs(null)).toEqual({ upColor: 'red', confirmCancel: false, boards: {} })
    expect(parsePrefs('not json')).toEqual({ upColor: 'red', confirmCancel: false, boards: {} })
    // the old shape ({upColor} only) still reads
    expect(parsePrefs('{"upColor":"green"}')).toMatchObject({ upColor: 'green', confirmCancel: false })
  })

  it('keeps only well-formed codes of each board', () => {
    const p = parsePrefs(JSON.stringify({ boards: { alice: ['600000.SH', 'junk', 7, '000001.SZ'], bob: 'x' } }))
    expect(p.boards).toEqual({ alice: ['600000.SH', '000001.SZ'] })
  })

  it('boards are per user and survive a reload', () => {
    const prefs = usePrefsStore()
    expect(prefs.boardOf('alice')).toBeNull()
    prefs.setBoard('alice', ['600000.SH', '600000.SH', '000001.SZ'])
    prefs.setConfirmCancel(true)
    setActivePinia(createPinia())
    const again = usePrefsStore()
    expect(again.boardOf('alice')).toEqual(['600000.SH', '000001.SZ'])
    expect(again.boardOf('bob')).toBeNull()
    expect(again.confirmCancel).toBe(true)
  })

  it(`at most ${BOARD_MAX} codes`, () => {
    const prefs = usePrefsStore()
    prefs.setBoard('a', Array.from({ length: 40 }, (_, i) => `${String(600000 + i)}.SH`))
    expect(prefs.boardOf('a')).toHaveLength(BOARD_MAX)
  })
})
