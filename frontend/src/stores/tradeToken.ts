// The trade token of POST /auth/trade-unlock. Memory only (never localStorage): a reload locks trading.
import { defineStore } from 'pinia'
import { authApi } from '@/api/endpoints'

/** Treat the token as expired a little before the server does, so an order never races the expiry. */
export const EXPIRY_MARGIN_MS = 5_000

let expiryTimer: ReturnType<typeof setTimeout> | null = null

export const useTradeTokenStore = defineStore('tradeToken', {
  state: () => ({
    token: null as string | null,
    expiresAt: 0,
  }),
  actions: {
    /** The token when still valid at `now`, else null (and an expired one is dropped). */
    validToken(now = Date.now()): string | null {
      if (!this.token) return null
      if (now >= this.expiresAt - EXPIRY_MARGIN_MS) {
        this.clear()
        return null
      }
      return this.token
    },
    isValid(now = Date.now()): boolean {
      return this.validToken(now) !== null
    },
    remainingSeconds(now = Date.now()): number {
      if (!this.token) return 0
      return Math.max(0, Math.floor((this.expiresAt - EXPIRY_MARGIN_MS - now) / 1000))
    },
    set(token: string, expiresIn: number, now = Date.now()) {
      this.token = token
      this.expiresAt = now + expiresIn * 1000
      if (expiryTimer) clearTimeout(expiryTimer)
      const ms = this.expiresAt - EXPIRY_MARGIN_MS - now
      expiryTimer = setTimeout(() => this.validToken(), Math.max(0, ms) + 10)
    },
    clear() {
      this.token = null
      this.expiresAt = 0
      if (expiryTimer) clearTimeout(expiryTimer)
      expiryTimer = null
    },
    async unlock(tradingPassword: string) {
      const res = await authApi.tradeUnlock(tradingPassword)
      this.set(res.trade_token, res.expires_in || 900)
      return res
    },
    async lock() {
      try {
        await authApi.tradeLock()
      } finally {
        this.clear()
      }
    },
  },
})
