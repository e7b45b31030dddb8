// Session: the bearer token (kept in localStorage so a reload stays signed in) and the user.
import { defineStore } from 'pinia'
import { authApi } from '@/api/endpoints'
import type { Role, User } from '@/api/types'
import { useTradeTokenStore } from './tradeToken'

export const SESSION_KEY = 'qmtdesk.session'

interface Saved {
  token: string
  expiresAt: number
  user: User | null
}

function load(): Saved | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY)
    if (!raw) return null
    const s = JSON.parse(raw) as Saved
    if (!s.token || !(s.expiresAt > Date.now())) return null
    return s
  } catch {
    return null
  }
}

export const useAuthStore = defineStore('auth', {
  state: () => {
    const s = load()
    return {
      token: (s?.token ?? null) as string | null,
      expiresAt: s?.expiresAt ?? 0,
      user: (s?.user ?? null) as User | null,
    }
  },
  getters: {
    isAuthenticated: (s) => !!s.token && s.expiresAt > Date.now(),
    role: (s): Role | null => s.user?.role ?? null,
    isAdmin: (s) => s.user?.role === 'admin',
    /** viewers read only */
    canTrade: (s) => s.user?.role === 'admin' || s.user?.role === 'trader',
    mustChangePassword: (s) => !!s.user?.must_change_password,
  },
  actions: {
    persist() {
      try {
        if (this.token) {
          localStorage.setItem(SESSION_KEY, JSON.stringify({ token: this.token, expiresAt: this.expiresAt, user: this.user }))
        } else {
          localStorage.removeItem(SESSION_KEY)
        }
      } catch {
        /* storage unavailable: session lives in memory */
      }
    },
    setSession(token: string, expiresIn: number, user: User | null, now = Date.now()) {
      this.token = token
      this.expiresAt = now + Math.max(0, expiresIn) * 1000
      this.user = user
      this.persist()
    },
    async login(username: string, password: string) {
      const res = await authApi.login(username, password)
      this.setSession(res.access_token, res.expires_in, res.user)
      if (!this.mustChangePassword) await this.fetchMe().catch(() => undefined)
      return res
    },
    async fetchMe() {
      const me = await authApi.me()
      this.user = me
      this.persist()
      return this.user
    },
    async changePassword(oldPassword: string, newPassword: string) {
      const res = await authApi.changePassword(oldPassword, newPassword)
      // The server revokes the old tokens and answers a new session (its user no longer must change it).
      this.setSession(res.access_token, res.expires_in, res.user)
    },
    /** Forget everything about the session (also the in-memory trade token). */
    clearSession() {
      this.token = null
      this.expiresAt = 0
      this.user = null
      this.persist()
      useTradeTokenStore().clear()
    },
    async logout() {
      const trade = useTradeTokenStore()
      if (trade.token) await authApi.tradeLock().catch(() => undefined)
      this.clearSession()
    },
  },
})
