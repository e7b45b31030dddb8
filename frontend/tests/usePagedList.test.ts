// usePagedList: the paged-list state of the list pages — page / size / total / items / loading /
// error, back to page 1 on a filter change, stale answers dropped, the error kept until a load works.
import { describe, expect, it } from 'vitest'
import { nextTick, reactive } from 'vue'
import { usePagedList, type PageParams } from '@/composables/usePagedList'
import { ApiError } from '@/api/request'

type Row = { id: number }
type Filters = { code: string }

/** a fetcher whose answers the test releases one by one, in any order */
function gatedFetcher() {
  const pending: { params: PageParams & Filters; resolve: (v: { items: Row[]; total: number }) => void; reject: (e: unknown) => void }[] = []
  const fetcher = (params: PageParams & Filters) =>
    new Promise<{ items: Row[]; total: number }>((resolve, reject) => pending.push({ params: { ...params }, resolve, reject }))
  return { fetcher, pending }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

describe('usePagedList', () => {
  it('loads a page with the filters, page and size; loading while under way', async () => {
    const { fetcher, pending } = gatedFetcher()
    const list = usePagedList<Row, Filters>(fetcher, { filters: reactive({ code: '600000.SH' }), pageSize: 50 })
    expect(list.page).toBe(1)
    expect(list.page_size).toBe(50)
    const done = list.reload()
    expect(list.loading).toBe(true)
    expect(pending[0].params).toEqual({ code: '600000.SH', page: 1, page_size: 50 })
    pending[0].resolve({ items: [{ id: 1 }, { id: 2 }], total: 7 })
    await done
    expect(list.loading).toBe(false)
    expect(list.items.map((r) => r.id)).toEqual([1, 2])
    expect(list.total).toBe(7)
  })

  it('drops an answer that arrives after a newer request was sent', async () => {
    const { fetcher, pending } = gatedFetcher()
    const list = usePagedList<Row, Filters>(fetcher, { filters: reactive({ code: '' }) })
    const slow = list.reload() // page 1
    list.page = 2
    const fast = list.reload() // page 2
    pending[1].resolve({ items: [{ id: 21 }], total: 30 })
    await fast
    expect(list.items).toEqual([{ id: 21 }])
    expect(list.loading).toBe(false)
    // the page-1 answer comes last and is ignored; so is a late failure of an old request
    pending[0].resolve({ items: [{ id: 1 }], total: 30 })
    await slow
    expect(list.items).toEqual([{ id: 21 }])
    expect(list.page).toBe(2)
    const third = list.reload()
    const fourth = list.reload()
    pending[3].resolve({ items: [{ id: 22 }], total: 30 })
    pending[2].reject(new Error('late'))
    await Promise.all([third, fourth])
    expect(list.error).toBe('')
    expect(list.items).toEqual([{ id: 22 }])
  })

  it('a filter change goes back to page 1 and reloads', async () => {
    const { fetcher, pending } = gatedFetcher()
    const filters = reactive({ code: '' })
    const list = usePagedList<Row, Filters>(fetcher, { filters })
    list.page = 3
    filters.code = '000001.SZ'
    await nextTick()
    expect(list.page).toBe(1)
    expect(pending).toHaveLength(1)
    expect(pending[0].params).toEqual({ code: '000001.SZ', page: 1, page_size: 20 })
    expect(list.filters).toBe(filters)
  })

  it('with auto off a filter change waits for search(), which goes back to page 1', async () => {
    const { fetcher, pending } = gatedFetcher()
    const filters = reactive({ code: '' })
    const list = usePagedList<Row, Filters>(fetcher, { filters, auto: false })
    list.page = 3
    filters.code = '000001.SZ'
    await nextTick()
    expect(pending).toHaveLength(0)
    expect(list.page).toBe(3)
    void list.search()
    expect(list.page).toBe(1)
    expect(pending[0].params).toEqual({ code: '000001.SZ', page: 1, page_size: 20 })
    // a new page size also starts over at page 1
    list.page = 2
    list.page_size = 100
    void list.sizeChanged()
    expect(pending[1].params).toEqual({ code: '000001.SZ', page: 1, page_size: 100 })
  })

  it('keeps the error of a failed load (and the rows shown) until a load works', async () => {
    let fail = false
    const list = usePagedList<Row>(async () => {
      if (fail) throw new ApiError(500, 'INTERNAL', '服务器错误')
      return { items: [{ id: 1 }], total: 1 }
    })
    await list.reload()
    fail = true
    await list.reload()
    expect(list.error).toBe('服务器错误')
    expect(list.items).toEqual([{ id: 1 }])
    expect(list.loading).toBe(false)
    fail = false
    await list.reload()
    expect(list.error).toBe('')
    expect(list.items).toEqual([{ id: 1 }])
  })

  it('takes an answer without items / total as empty / the row count', async () => {
    const list = usePagedList<Row>(async () => ({ items: [{ id: 1 }, { id: 2 }] }), { immediate: true })
    await flush()
    expect(list.total).toBe(2)
    const empty = usePagedList<Row>(async () => ({}))
    await empty.reload()
    expect(empty.items).toEqual([])
    expect(empty.total).toBe(0)
  })
})
