// Preferences kept in localStorage: the up/down colour convention, whether a cancel asks first, and
// each user's 自选股 quote board (language has its own key, see i18n).
import { defineStore } from 'pinia'
import { locale, setLocale, type Locale } from '@/i18n'

const KEY = 'qmtdesk.prefs'
/** at most this many codes on a quote board */
export const BOARD_MAX = 30

export interface Prefs {
  upColor: 'red' | 'green'
  /** ask before a cancel (every cancel button and F3); default off */
  confirmCancel: boolean
  /** 自选股 per username; a user without an entry sees the default board */
  boards: Record<string, string[]>
}

const CODE = /^[0-9A-Z]{6}\.(SH|SZ|BJ)$/

export function parsePrefs(raw: string | null): Prefs {
  let v: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(raw || '{}')
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) v = parsed as Record<string, unknown>
  } catch {
    /* defaults */
  }
  const boards: Record<string, string[]> = {}
  if (v.boards && typeof v.boards === 'object' && !Array.isArray(v.boards)) {
    for (const [user, codes] of Object.entries(v.boards as Record<string, unknown>)) {
      if (Array.isArray(codes)) boards[user] = codes.filter((c): c is string => typeof c === 'string' && CODE.test(c)).slice(0, BOARD_MAX)
    }
  }
  return { upColor: v.upColor === 'green' ? 'green' : 'red', confirmCancel: v.confirmCancel === true, boards }
}

function load(): Prefs {
  try {
    return parsePrefs(localStorage.getItem(KEY))
  } catch {
    return parsePrefs(null)
  }
}

export function applyColorConvention(upColor: 'red' | 'green'): void {
  document.documentElement.classList.toggle('q-up-green', upColor === 'green')
}

export const usePrefsStore = defineStore('prefs', {
  state: (): Prefs => load(),
  getters: {
    locale: (): Locale => locale.value,
    /** the user's saved board, or null when they never changed it (the page shows a default) */
    boardOf: (s) => (user: string | null | undefined): string[] | null => (user && s.boards[user] ? s.boards[user] : null),
  },
  actions: {
    save() {
      try {
        localStorage.setItem(KEY, JSON.stringify({ upColor: this.upColor, confirmCancel: this.confirmCancel, boards: this.boards }))
      } catch {
        /* ignore */
      }
    },
    setUpColor(c: 'red' | 'green') {
      this.upColor = c
      applyColorConvention(c)
      this.save()
    },
    setConfirmCancel(on: boolean) {
      this.confirmCancel = on
      this.save()
    },
    setBoard(user: string, codes: string[]) {
      this.boards = { ...this.boards, [user]: [...new Set(codes)].slice(0, BOARD_MAX) }
      this.save()
    },
    setLocale(l: Locale) {
      setLocale(l)
    },
  },
})
