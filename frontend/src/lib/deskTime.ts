// The desk's clock as the browser can know it. A paper desk may run a simulated clock far from the
// browser's, so times the user picks (a time trigger, a TWAP's end) are read against the desk's
// `server_time` (GET /trading/status), moved on by the time elapsed since it arrived, and always in
// the exchange's wall clock (Asia/Shanghai, +08:00).

export interface WallClock {
  /** YYYY-MM-DD in Shanghai */
  day: string
  /** HH:mm:ss in Shanghai */
  time: string
}

const pad = (n: number) => String(n).padStart(2, '0')

/** The Shanghai date and time of an instant (a Date or an ISO string with offset); null when unreadable. */
export function shanghaiParts(v: Date | string | null | undefined): WallClock | null {
  if (v === null || v === undefined || v === '') return null
  const d = typeof v === 'string' ? new Date(v) : v
  const ms = d.getTime()
  if (Number.isNaN(ms)) return null
  const sh = new Date(ms + 8 * 3600_000)
  return {
    day: `${sh.getUTCFullYear()}-${pad(sh.getUTCMonth() + 1)}-${pad(sh.getUTCDate())}`,
    time: `${pad(sh.getUTCHours())}:${pad(sh.getUTCMinutes())}:${pad(sh.getUTCSeconds())}`,
  }
}

/** The desk's clock now: its `server_time` as received at `receivedAt` (ms), moved on to `nowMs`. */
export function deskNow(serverTime: string | null | undefined, receivedAt: number, nowMs = Date.now()): Date | null {
  if (!serverTime) return null
  const base = Date.parse(serverTime)
  if (Number.isNaN(base)) return null
  return new Date(base + Math.max(0, nowMs - receivedAt))
}

/** "HH:mm" or "HH:mm:ss" → "HH:mm:ss"; null for anything else (or an impossible time). */
export function normaliseTime(v: string | null | undefined): string | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec((v ?? '').trim())
  if (!m) return null
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')]
  if (h > 23 || mi > 59 || s > 59) return null
  return `${pad(h)}:${pad(mi)}:${pad(s)}`
}

/** A Shanghai wall-clock time of `day` as the ISO string the API takes: "2026-11-25T10:30:00+08:00". */
export function shanghaiIso(day: string, time: string): string | null {
  const t = normaliseTime(time)
  if (!t || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return null
  return `${day}T${t}+08:00`
}

/** Seconds since midnight of "HH:mm[:ss]" (NaN when unreadable). */
export function secondsOfDay(time: string | null | undefined): number {
  const t = normaliseTime(time)
  if (!t) return NaN
  const [h, m, s] = t.split(':').map(Number)
  return h * 3600 + m * 60 + s
}

/** "HH:mm:ss" of a number of seconds since midnight. */
export function timeOfSeconds(sec: number): string {
  const s = Math.max(0, Math.min(86_399, Math.floor(sec)))
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`
}

/** "10:30" of "10:30:00", "10:30:15" kept whole. */
export function shortTime(time: string): string {
  return time.endsWith(':00') ? time.slice(0, 5) : time
}
