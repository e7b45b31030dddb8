// WebSocket client of /api/v1/ws: auth first, then subscribe (with since_seq on resume), client pings,
// a stale-link watchdog and reconnects with capped exponential backoff.
import type { StreamMessage } from '@/api/types'

export type StreamState = 'idle' | 'connecting' | 'open' | 'closed'

export interface StreamClientOptions {
  url: string | (() => string)
  getToken: () => string | null
  /** highest durable seq seen; sent as since_seq when > 0 */
  getSinceSeq: () => number
  onMessage: (msg: StreamMessage) => void
  onStateChange?: (state: StreamState) => void
  /** the server refused the token (close 4401 or an error before auth_ok) */
  onAuthFailed?: () => void
  /**
   * The account the account-scoped streams are for: sent as `account_id` with every subscribe (a
   * subscribe without it would move the connection to the default account). null = the default.
   */
  getAccountId?: () => string | null
  /** messages that are not stream items: `subscribed` acks, errors after auth */
  onControl?: (msg: Record<string, unknown>) => void
  WebSocketImpl?: typeof WebSocket
  pingIntervalMs?: number
  staleAfterMs?: number
  baseDelayMs?: number
  maxDelayMs?: number
  random?: () => number
}

/** Backoff before reconnect attempt n (0-based): base * 2^n, capped, with +-20% jitter. */
export function backoffDelay(attempt: number, baseMs = 1000, capMs = 30_000, random = Math.random): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt))
  const jitter = 0.8 + 0.4 * random()
  return Math.min(capMs, Math.round(raw * jitter))
}

export function defaultWsUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/ws`
}

export class StreamClient {
  private ws: WebSocket | null = null
  private streams = new Set<string>()
  private attempt = 0
  private stopped = true
  private authed = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private lastMessageAt = 0
  private _state: StreamState = 'idle'
  private readonly o: Required<
    Omit<StreamClientOptions, 'onStateChange' | 'onAuthFailed' | 'WebSocketImpl' | 'getAccountId' | 'onControl'>
  > &
    StreamClientOptions

  constructor(options: StreamClientOptions) {
    this.o = {
      pingIntervalMs: 20_000,
      staleAfterMs: 50_000,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      random: Math.random,
      ...options,
    }
  }

  get state(): StreamState {
    return this._state
  }

  get subscribed(): string[] {
    return [...this.streams]
  }

  start(streams: string[] = []): void {
    streams.forEach((s) => this.streams.add(s))
    if (!this.stopped) return
    this.stopped = false
    this.attempt = 0
    this.connect()
  }

  stop(): void {
    this.stopped = true
    this.clearTimers()
    const ws = this.ws
    this.ws = null
    this.authed = false
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null
      try {
        ws.close(1000)
      } catch {
        /* already closed */
      }
    }
    this.setState('idle')
  }

  /** Replace the subscriptions whose name starts with `prefix` (e.g. "quotes:") by `streams`. */
  setStreams(prefix: string, streams: string[]): void {
    const old = [...this.streams].filter((s) => s.startsWith(prefix))
    const removed = old.filter((s) => !streams.includes(s))
    const added = streams.filter((s) => !this.streams.has(s))
    removed.forEach((s) => this.streams.delete(s))
    added.forEach((s) => this.streams.add(s))
    if (this.authed) {
      if (removed.length) this.send({ action: 'unsubscribe', streams: removed })
      if (added.length) this.send(this.subscribeMessage(added, false))
    }
  }

  /**
   * Subscribe every stream again, for the account getAccountId() now names: the server moves the
   * connection to it (its `subscribed` ack names the account). Nothing is sent while not connected;
   * the next connection subscribes for that account anyway.
   */
  resubscribe(): void {
    if (this.authed) this.send(this.subscribeMessage([...this.streams], true))
  }

  private subscribeMessage(streams: string[], withSince: boolean): Record<string, unknown> {
    const sub: Record<string, unknown> = { action: 'subscribe', streams }
    const account = this.o.getAccountId?.()
    if (account) sub.account_id = account
    if (withSince) {
      const since = this.o.getSinceSeq()
      if (since > 0) sub.since_seq = since
    }
    return sub
  }

  /** Drop the link now and reconnect at once (e.g. after the page becomes visible again). */
  reconnectNow(): void {
    if (this.stopped) return
    this.attempt = 0
    this.dropSocket()
    this.connect()
  }

  private setState(s: StreamState): void {
    if (this._state === s) return
    this._state = s
    this.o.onStateChange?.(s)
  }

  private send(obj: unknown): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(obj))
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.reconnectTimer = null
    this.pingTimer = null
  }

  private dropSocket(): void {
    this.clearTimers()
    const ws = this.ws
    this.ws = null
    this.authed = false
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null
      try {
        ws.close()
      } catch {
        /* ignore */
      }
    }
  }

  private connect(): void {
    const token = this.o.getToken()
    if (!token) {
      this.setState('closed')
      return
    }
    const Impl = this.o.WebSocketImpl ?? WebSocket
    const url = typeof this.o.url === 'function' ? this.o.url() : this.o.url
    this.setState('connecting')
    let ws: WebSocket
    try {
      ws = new Impl(url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.ws = ws
    this.authed = false
    ws.onopen = () => {
      this.lastMessageAt = Date.now()
      ws.send(JSON.stringify({ action: 'auth', token: this.o.getToken() ?? token }))
    }
    ws.onmessage = (ev: MessageEvent) => this.handle(ev.data)
    ws.onerror = () => {
      /* onclose follows */
    }
    ws.onclose = (ev: CloseEvent) => {
      const wasAuthed = this.authed
      this.ws = null
      this.authed = false
      this.clearTimers()
      if (this.stopped) return
      this.setState('closed')
      if (ev.code === 4401 || ev.code === 4403) {
        this.o.onAuthFailed?.()
        if (!this.o.getToken()) return
      }
      if (wasAuthed) this.attempt = 0
      this.scheduleReconnect()
    }
  }

  private handle(raw: unknown): void {
    this.lastMessageAt = Date.now()
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(typeof raw === 'string' ? raw : String(raw))
    } catch {
      return
    }
    if (!msg || typeof msg !== 'object') return
    if (typeof msg.stream === 'string') {
      this.o.onMessage(msg as unknown as StreamMessage)
      return
    }
    switch (msg.type) {
      case 'auth_ok': {
        this.authed = true
        this.attempt = 0
        this.setState('open')
        this.send(this.subscribeMessage([...this.streams], true))
        this.startPing()
        break
      }
      // Server pings ({"type":"ping"}) and our pongs only prove the link is alive (lastMessageAt);
      // API.md defines no client answer to a server ping.
      case 'error':
        if (!this.authed) this.o.onAuthFailed?.()
        else this.o.onControl?.(msg)
        break
      case 'subscribed':
        this.o.onControl?.(msg)
        break
      default:
        break
    }
  }

  private startPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    const every = Math.min(this.o.pingIntervalMs, 5000)
    let sinceLastPing = 0
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastMessageAt > this.o.staleAfterMs) {
        // Nothing heard (not even our pong): the link is dead though TCP has not noticed.
        this.dropSocket()
        this.setState('closed')
        this.scheduleReconnect()
        return
      }
      sinceLastPing += every
      if (sinceLastPing >= this.o.pingIntervalMs) {
        sinceLastPing = 0
        this.send({ action: 'ping' })
      }
    }, every)
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return
    const delay = backoffDelay(this.attempt, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random)
    this.attempt += 1
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (!this.stopped) this.connect()
    }, delay)
  }
}
