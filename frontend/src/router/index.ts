import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuthStore } from '@/stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    admin?: boolean
    title?: string
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true } },
  {
    path: '/change-password',
    name: 'change-password',
    component: () => import('@/views/ChangePasswordView.vue'),
  },
  {
    path: '/',
    component: () => import('@/layouts/MainLayout.vue'),
    children: [
      { path: '', name: 'dashboard', component: () => import('@/views/DashboardView.vue') },
      { path: 'accounts', name: 'accounts', component: () => import('@/views/AccountsView.vue') },
      { path: 'trading', name: 'trading', component: () => import('@/views/TradingView.vue') },
      { path: 'positions', name: 'positions', component: () => import('@/views/PositionsView.vue') },
      { path: 'orders', name: 'orders', component: () => import('@/views/OrdersView.vue') },
      { path: 'statement', name: 'statement', component: () => import('@/views/StatementView.vue') },
      { path: 'performance', name: 'performance', component: () => import('@/views/PerformanceView.vue') },
      { path: 'held', name: 'held', component: () => import('@/views/HeldView.vue') },
      { path: 'monitor', name: 'monitor', component: () => import('@/views/MonitorView.vue') },
      { path: 'risk', name: 'risk', component: () => import('@/views/RiskView.vue') },
      { path: 'settings', name: 'settings', component: () => import('@/views/SettingsView.vue') },
      { path: 'users', name: 'users', component: () => import('@/views/UsersView.vue'), meta: { admin: true } },
      { path: 'audit', name: 'audit', component: () => import('@/views/AuditView.vue'), meta: { admin: true } },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

router.beforeEach((to) => {
  const auth = useAuthStore()
  if (to.meta.public) {
    if (to.name === 'login' && auth.isAuthenticated && !auth.mustChangePassword) return { name: 'dashboard' }
    return true
  }
  if (!auth.isAuthenticated) {
    if (auth.token) auth.clearSession()
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (auth.mustChangePassword && to.name !== 'change-password') return { name: 'change-password' }
  if (!auth.mustChangePassword && to.name === 'change-password') return { name: 'dashboard' }
  if (to.meta.admin && !auth.isAdmin) return { name: 'dashboard' }
  return true
})
