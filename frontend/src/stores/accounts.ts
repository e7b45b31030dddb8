// The accounts of the desk (GET /accounts) and the one the UI works on. The choice is kept in
// localStorage; an id that is no longer listed (removed, or not this user's) falls back to the
// desk's default. Every account-scoped request and the WebSocket subscription follow `currentId`
// (main.ts gives it to the request layer; the live store subscribes with it).
import { defineStore } from 'pinia'
import { accountsApi } from '@/api/endpoints'
import type { AccountInfo } from '@/api/types'
import { locale } from '@/i18n'
import { useLiveStore } from './live'

export const ACCOUNT_KEY = 'qmtdesk.account'

function loadStored(): string | null {
  try {
    return localStorage.getItem(ACCOUNT_KEY) || null
  } catch {
    return null
  }
}

function store(id: string | null): void {
  try {
    if (id) localStorage.setItem(ACCOUNT_KEY, id)
    else localStorage.removeItem(ACCOUNT_KEY)
  } catch {
    /* storage unavailable: the choice lives in memory */
  }
}

/** The account to work on: the wanted one when listed, else the default (else the first). */
export function pickAccount(list: AccountInfo[], wanted: string | null): string | null {
  if (wanted && list.some((a) => a.account_id === wanted)) return wanted
  return (list.find((a) => a.default) ?? list[0])?.account_id ?? null
}

export const useAccountsStore = defineStore('accounts', {
  state: () => ({
    list: [] as AccountInfo[],
    /** the account of every account-scoped call; null = the desk's default (before the list is known) */
    currentId: loadStored(),
    /** the list was fetched at least once (or failed: the UI then goes on with the stored id) */
    ready: false,
    loading: false,
  }),
  getters: {
    current: (s): AccountInfo | null => s.list.find((a) => a.account_id === s.currentId) ?? null,
    /** "name (id)" of an account, or its id alone when the list does not have it */
    label:
      (s) =>
      (id: string | null | undefined): string => {
        const key = id || s.list.find((x) => x.default)?.account_id
        if (!key) return '--'
        const a = s.list.find((x) => x.account_id === key)
        if (!a || !a.name || a.name === key) return key
        return locale.value === 'en' ? `${a.name} (${key})` : `${a.name}（${key}）`
      },
  },
  actions: {
    /** Fetch the list; a current id it does not hold falls back to the default (and the UI switches). */
    async load(): Promise<void> {
      this.loading = true
      try {
        const list = await accountsApi.list()
        this.list = Array.isArray(list) ? list : []
        const next = pickAccount(this.list, this.currentId)
        if (next !== this.currentId) this.apply(next)
      } finally {
        this.loading = false
        this.ready = true
      }
    },
    /** Work on another account: every page and the live data follow. */
    select(id: string) {
      if (id === this.currentId) return
      this.apply(id)
    },
    apply(id: string | null) {
      this.currentId = id
      store(id)
      useLiveStore().switchAccount()
    },
    /** Update one account's entry (rename, link state from the overview). */
    upsert(a: AccountInfo) {
      const i = this.list.findIndex((x) => x.account_id === a.account_id)
      if (i >= 0) this.list.splice(i, 1, { ...this.list[i], ...a })
      else this.list.push(a)
    },
  },
})
