import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { StreamClient, backoffDelay, defaultWsUrl } from '@/lib/stream'
import type { StreamMessage } from '@/api/types'

class FakeWS {
  static instances: FakeWS[] = []
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  onclose: ((ev: { code: number }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(public url: string) {
    FakeWS.instances.push(this)
  }
  send(s: string) {
    this.sent.push(JSON.parse(s))
  }
  close() {
    this.readyState = 3
  }
  // test helpers
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  receive(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) })
  }
  drop(code = 1006) {
    this.readyState = 3
    this.onclose?.({ code })
  }
}

let seq = 0
let messages: StreamMessage[] = []
const last = () => FakeWS.instances[FakeWS.instances.length - 1]

function client(opts: Partial<ConstructorParameters<typeof StreamClient>[0]> = {}) {
  return new StreamClient({
    url: 'ws://desk/api/v1/ws',
    getToken: () => 'jwt',
    getSinceSeq: () => seq,
    onMessage: (m) => {
      messages.push(m)
      if (m.seq && m.seq > seq) seq = m.seq
    },
    WebSocketImpl: FakeWS as unknown as typeof WebSocket,
    random: () => 0.5,
    ...opts,
  })
}

beforeEach(() => {
  vi.useFakeTimers()
  FakeWS.instances = []
  seq = 0
  messages = []
})
afterEach(() => vi.useRealTimers())

describe('backoffDelay', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    const mid = () => 0.5 // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, 1000, 30_000, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ])
    expect(backoffDelay(10, 1000, 30_000, () => 1)).toBeLessThanOrEqual(30_000)
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(800)
  })
})

describe('StreamClient', () => {
  it('authenticates first, then subscribes to its streams', () => {
    const c = client()
    c.start(['orders', 'trades', 'status'])
    const ws = last()
    ws.open()
    expect(ws.sent).toEqual([{ action: 'auth', token: 'jwt' }])
    ws.receive({ type: 'auth_ok' })
    expect(ws.sent[1]).toEqual({ action: 'subscribe', streams: ['orders', 'trades', 'status'] })
    expect(c.state).toBe('open')
  })

  it('delivers stream messages; server pings keep the link alive without an answer', () => {
    const c = client({ pingIntervalMs: 20_000, staleAfterMs: 50_000 })
    c.start(['orders'])
    const ws = last()
    ws.open()
    ws.receive({ type: 'auth_ok' })
    ws.receive({ type: 'subscribed', streams: ['orders'] })
    ws.receive({ stream: 'orders', seq: 41, time: 't', data: { order_id: 'o1' } })
    const sentBefore = ws.sent.length
    ws.receive({ type: 'ping', time: 't' })
    expect(messages).toHaveLength(1)
    expect(ws.sent).toHaveLength(sentBefore)
    // server pings every 15 s keep the watchdog quiet even when our pongs are slow
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(15_000)
      ws.receive({ type: 'ping', time: 't' })
    }
    expect(c.state).toBe('open')
    expect(FakeWS.instances).toHaveLength(1)
    c.stop()
  })

  it('reconnects with backoff and resumes with since_seq', () => {
    const states: string[] = []
    const c = client({ onStateChange: (s) => states.push(s) })
    c.start(['orders', 'trades'])
    let ws = last()
    ws.open()
    ws.receive({ type: 'auth_ok' })
    ws.receive({ stream: 'trades', seq: 57, data: { trade_id: 't1' } })
    ws.drop()
    expect(c.state).toBe('closed')
    expect(FakeWS.instances).toHaveLength(1)
    vi.advanceTimersByTime(999)
    expect(FakeWS.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeWS.instances).toHaveLength(2)
    ws = last()
    ws.open()
    ws.receive({ type: 'auth_ok' })
    expect(ws.sent[1]).toEqual({ action: 'subscribe', streams: ['orders', 'trades'], since_seq: 57 })
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open'])
  })

  it('backs off further while the server stays away', () => {
    const c = client()
    c.start(['orders'])
    const delays: number[] = []
    for (let i = 0; i < 7; i++) {
      const before = FakeWS.instances.length
      last().drop()
      let waited = 0
      while (FakeWS.instances.length === before) {
        vi.advanceTimersByTime(100)
        waited += 100
      }
      delays.push(waited)
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
    c.stop()
  })

  it('pings periodically and drops a silent link', () => {
    const c = client({ pingIntervalMs: 20_000, staleAfterMs: 50_000 })
    c.start(['orders'])
    const ws = last()
    ws.open()
    ws.receive({ type: 'auth_ok' })
    vi.advanceTimersByTime(20_000)
    expect(ws.sent.filter((m) => m.action === 'ping')).toHaveLength(1)
    ws.receive({ type: 'pong' })
    vi.advanceTimersByTime(55_000)
    expect(c.state).not.toBe('open')
    vi.advanceTimersByTime(2000)
    expect(FakeWS.instances.length).toBeGreaterThan(1)
    c.stop()
  })

  it('changes quote subscriptions on the live link', () => {
    const c = client()
    c.start(['orders'])
    const ws = last()
    ws.open()
    ws.receive({ type: 'auth_ok' })
    c.setStreams('quotes:', ['quotes:600000.SH'])
    c.setStreams('quotes:', ['quotes:000001.SZ'])
    expect(ws.sent.slice(2)).toEqual([
      { action: 'subscribe', streams: ['quotes:600000.SH'] },
      { action: 'unsubscribe', streams: ['quotes:600000.SH'] },
      { action: 'subscribe', streams: ['quotes:000001.SZ'] },
    ])
    expect(c.subscribed).toEqual(['orders', 'quotes:000001.SZ'])
  })

  it('reports a refused token and stops when the session is gone', () => {
    let token: string | null = 'jwt'
    const onAuthFailed = vi.fn(() => {
      token = null
    })
    const c = client({ getToken: () => token, onAuthFailed })
    c.start(['orders'])
    last().open()
    last().drop(4401)
    expect(onAuthFailed).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(60_000)
    expect(FakeWS.instances).toHaveLength(1)
  })

  it('stop() closes and never reconnects', () => {
    const c = client()
    c.start(['orders'])
    last().open()
    c.stop()
    vi.advanceTimersByTime(60_000)
    expect(FakeWS.instances).toHaveLength(1)
    expect(c.state).toBe('idle')
  })

  it('builds ws:// or wss:// from the page', () => {
    expect(defaultWsUrl({ protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/api/v1/ws')
    expect(defaultWsUrl({ protocol: 'https:', host: 'desk.example' })).toBe('wss://desk.example/api/v1/ws')
  })
})
