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
import { applyColorConvention, usePrefsStore } from './stores/prefs'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(ElementPlus)

const auth = useAuthStore()
const trade = useTradeTokenStore()
const prefs = usePrefsStore()
applyColorConvention(prefs.upColor)
document.documentElement.lang = locale.value

configureRequest({
  getToken: () => auth.token,
  getTradeToken: () => trade.validToken(),
  getLocale: () => locale.value,
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
