// A scripted axios adapter: each call records the request and answers from `respond`.
import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios'
import { http } from '@/api/request'

export interface Call {
  method: string
  url: string
  headers: Record<string, string>
  data: unknown
  params: unknown
  /** the axios responseType asked for ('blob' for a file) */
  responseType?: string
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { network: true }
  | { timeout: true }

export function installMock(respond: (call: Call) => Reply) {
  const calls: Call[] = []
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const headers = AxiosHeaders.from(config.headers).toJSON() as Record<string, string>
    const call: Call = {
      method: (config.method ?? 'get').toUpperCase(),
      url: config.url ?? '',
      headers,
      data: typeof config.data === 'string' ? JSON.parse(config.data) : config.data,
      params: config.params,
      responseType: config.responseType,
    }
    calls.push(call)
    const r = respond(call)
    if ('network' in r) throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config)
    if ('timeout' in r) throw new AxiosError('timeout of 15000ms exceeded', AxiosError.ECONNABORTED, config)
    const response: AxiosResponse = {
      data: r.body,
      status: r.status,
      statusText: String(r.status),
      headers: 'headers' in r && r.headers ? AxiosHeaders.from(r.headers) : {},
      config,
    }
    if (r.status >= 200 && r.status < 300) return response
    throw new AxiosError(`Request failed with status code ${r.status}`, AxiosError.ERR_BAD_REQUEST, config, null, response)
  }
  http.defaults.adapter = adapter
  return calls
}

export const ok = (data: unknown, status = 200): Reply => ({ status, body: { code: 0, message: 'ok', data } })
export const fail = (status: number, error: string, message: string, data: unknown = null): Reply => ({
  status,
  body: { code: status, error, message, data },
})
