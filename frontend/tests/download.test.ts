// Downloads: the file name of a Content-Disposition header, saving a Blob through an object URL, and
// the statement fetched as a file through the session's client (bearer, account, errors read back).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, configureRequest } from '@/api/request'
import { reportsApi } from '@/api/endpoints'
import { filenameFromDisposition, safeFilename, saveBlob } from '@/lib/download'
import { installMock } from './mockAdapter'

describe('filenameFromDisposition', () => {
  it('a quoted or bare filename', () => {
    expect(filenameFromDisposition('attachment; filename="statement-PAPER-20261125-20261125.csv"', 'x.csv')).toBe('statement-PAPER-20261125-20261125.csv')
    expect(filenameFromDisposition('attachment; filename=report.xlsx', 'x')).toBe('report.xlsx')
    expect(filenameFromDisposition('attachment;filename = "a b.csv" ; size=12', 'x')).toBe('a b.csv')
    expect(filenameFromDisposition('attachment; filename="say \\"hi\\".csv"', 'x')).toBe('say _hi_.csv')
  })

  it('filename* (RFC 5987) wins over filename, wherever it comes', () => {
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E4%BA%A4%E5%89%B2%E5%8D%95.csv; filename=\"statement.csv\"", 'x')).toBe('交割单.csv')
    expect(filenameFromDisposition("attachment; filename=\"statement.csv\"; filename*=utf-8'zh'%E4%BA%A4%E5%89%B2%E5%8D%95.xlsx", 'x')).toBe('交割单.xlsx')
    expect(filenameFromDisposition("attachment; filename*=iso-8859-1''caf%E9.csv", 'x')).toBe('café.csv')
    // a broken extended value falls back to the plain one
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E4%ZZ.csv; filename=plain.csv", 'x')).toBe('plain.csv')
  })

  it('the fallback when the header names no file, and never a path', () => {
    expect(filenameFromDisposition(null, 'statement.csv')).toBe('statement.csv')
    expect(filenameFromDisposition('', 'statement.csv')).toBe('statement.csv')
    expect(filenameFromDisposition('attachment', 'statement.csv')).toBe('statement.csv')
    expect(filenameFromDisposition('attachment; filename=""', 'statement.csv')).toBe('statement.csv')
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x')).toBe('_.._etc_passwd')
    expect(safeFilename('  .hidden. ')).toBe('hidden')
  })
})

describe('saveBlob', () => {
  afterEach(() => vi.restoreAllMocks())

  it('clicks a hidden link to an object URL named for the file, then frees the URL', () => {
    vi.useFakeTimers()
    const create = vi.fn(() => 'blob:test/1')
    const revoke = vi.fn()
    Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke })
    const clicked: { href: string; download: string; attached: boolean }[] = []
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download, attached: document.body.contains(this) })
    })
    const blob = new Blob(['a,b'], { type: 'text/csv' })
    saveBlob(blob, 'statement.csv')
    expect(create).toHaveBeenCalledWith(blob)
    expect(click).toHaveBeenCalledOnce()
    expect(clicked).toEqual([{ href: 'blob:test/1', download: 'statement.csv', attached: true }])
    expect(document.querySelectorAll('a[download]')).toHaveLength(0)
    expect(revoke).not.toHaveBeenCalled()
    vi.runAllTimers()
    expect(revoke).toHaveBeenCalledWith('blob:test/1')
    vi.useRealTimers()
  })
})

describe('reportsApi', () => {
  beforeEach(() => {
    configureRequest({ getToken: () => 'tok', getAccountId: () => 'P2', getLocale: () => 'zh-CN' })
  })
  afterEach(() => configureRequest({ getToken: () => null, getAccountId: () => null }))

  it('the statement JSON and the performance carry the account and the range', async () => {
    const calls = installMock(() => ({ status: 200, body: { code: 0, message: 'ok', data: {} } }))
    await reportsApi.statement({ trading_day: '2026-11-25' })
    await reportsApi.performance({ from: '2026-11-01', to: '2026-11-25' })
    await reportsApi.performance()
    expect(calls.map((c) => [c.url, c.params])).toEqual([
      ['/reports/statement', { trading_day: '2026-11-25', account_id: 'P2' }],
      ['/reports/performance', { from: '2026-11-01', to: '2026-11-25', account_id: 'P2' }],
      ['/reports/performance', { account_id: 'P2' }],
    ])
    expect(calls[0].headers.Authorization).toBe('Bearer tok')
  })

  it('a file: fetched with the bearer token as a Blob, with its Content-Disposition', async () => {
    const csv = new Blob(['\ufeff成交日期\n'], { type: 'text/csv' })
    const calls = installMock(() => ({
      status: 200,
      body: csv,
      headers: { 'content-disposition': 'attachment; filename="statement-P2-20261125-20261125.csv"', 'content-type': 'text/csv; charset=utf-8' },
    }))
    const file = await reportsApi.statementFile({ from: '2026-11-25', to: '2026-11-25' }, 'csv')
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/reports/statement', params: { from: '2026-11-25', to: '2026-11-25', format: 'csv', account_id: 'P2' } })
    expect(calls[0].headers.Authorization).toBe('Bearer tok')
    expect(calls[0].responseType).toBe('blob')
    expect(file.blob).toBe(csv)
    expect(file.disposition).toBe('attachment; filename="statement-P2-20261125-20261125.csv"')
    expect(file.contentType).toBe('text/csv; charset=utf-8')
  })

  it('a refused file: the JSON error inside the Blob becomes the ApiError', async () => {
    const body = new Blob([JSON.stringify({ code: 422, error: 'VALIDATION_ERROR', message: '日期范围无效', data: null })], { type: 'application/json' })
    installMock(() => ({ status: 422, body }))
    const err = await reportsApi.statementFile({ from: '2026-11-26', to: '2026-11-01' }, 'xlsx').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', message: '日期范围无效' })
  })

  it('a refused file whose body is not JSON keeps the HTTP error', async () => {
    installMock(() => ({ status: 502, body: new Blob(['Bad gateway']) }))
    const err = await reportsApi.statementFile({}, 'csv').catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 502, code: 'HTTP_502' })
  })
})
