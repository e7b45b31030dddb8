// Display preferences kept in localStorage: language and the up/down colour convention.
import { defineStore } from 'pinia'
import { locale, setLocale, type Locale } from '@/i18n'

const KEY = 'qmtdesk.prefs'

function load(): { upColor: 'red' | 'green' } {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}')
    return { upColor: v.upColor === 'green' ? 'green' : 'red' }
  } catch {
    return { upColor: 'red' }
  }
}

export function applyColorConvention(upColor: 'red' | 'green'): void {
  document.documentElement.classList.toggle('q-up-green', upColor === 'green')
}

export const usePrefsStore = defineStore('prefs', {
  state: () => ({ ...load() }),
  getters: {
    locale: (): Locale => locale.value,
  },
  actions: {
    setUpColor(c: 'red' | 'green') {
      this.upColor = c
      applyColorConvention(c)
      try {
        localStorage.setItem(KEY, JSON.stringify({ upColor: c }))
      } catch {
        /* ignore */
      }
    },
    setLocale(l: Locale) {
      setLocale(l)
    },
  },
})
