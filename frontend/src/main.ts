import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import './styles/main.css'
import App from './App.vue'
import { router } from './router'
import { configureRequest } from './api/request'
import { locale, t } from './i18n'
import { useAuthStore } from './stores/auth'
import { useTradeTokenStore } from './stores/tradeToken'
import { useLiveStore } from './stores/live'
import { useAccountsStore } from './stores/accounts'
import { applyColorConvention, usePrefsStore } from './stores/prefs'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(ElementPlus)

const auth = useAuthStore()
const trade = useTradeTokenStore()
const prefs = usePrefsStore()
const accounts = useAccountsStore()
applyColorConvention(prefs.upColor)
document.documentElement.lang = locale.value

configureRequest({
  getToken: () => auth.token,
  getTradeToken: () => trade.validToken(),
  getLocale: () => locale.value,
  // every /trading, /risk, /signals and /monitor call is for the account chosen in the top bar
  getAccountId: () => accounts.currentId,
  onUnauthorized: () => {
    if (!auth.token) return
    useLiveStore().stop()
    auth.clearSession()
    const current = router.currentRoute.value
    if (current.name !== 'login') {
      void router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
    }
  },
  onTradeLocked: () => trade.clear(),
  text: (key, status) =>
    key === 'network' ? t('err.network') : key === 'timeout' ? t('err.timeout') : t('err.http', { status: status ?? '' }),
})

app.use(router)
app.mount('#app')
