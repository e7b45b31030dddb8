// A small two-language dictionary (zh-CN default, English switch). Keys are checked by the compiler.
import { computed, ref } from 'vue'
import { messages, type MessageKey } from './messages'

export type Locale = 'zh-CN' | 'en'
const STORAGE_KEY = 'qmtdesk.locale'

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* no storage */
  }
  return 'zh-CN'
}

export const locale = ref<Locale>(initialLocale())

export function setLocale(l: Locale): void {
  locale.value = l
  try {
    localStorage.setItem(STORAGE_KEY, l)
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const pair = messages[key]
  let s: string = pair ? pair[locale.value === 'en' ? 1 : 0] : key
  if (params) for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v))
  return s
}

/** Translate a dynamic key (status, price type...) with a fallback when it is not in the dictionary. */
export function tk(prefix: string, value: string | null | undefined, fallback?: string): string {
  if (!value) return fallback ?? '--'
  const key = `${prefix}.${value}` as MessageKey
  return key in messages ? t(key) : (fallback ?? value)
}

export const isEn = computed(() => locale.value === 'en')

export function useI18n() {
  return { t, tk, locale, setLocale, isEn }
}
