// A paged API list: items, total, page, page size, loading and error, loaded by a fetcher that takes
// the page, the page size and the filters. A change of the filters goes back to page 1 and reloads
// (unless `auto` is off: then search() does both); an answer that arrives after a newer request was
// sent is dropped, so a slow page never overwrites a faster later one; an error is shown until the
// next load (cleared when it starts, kept when that one fails too).
//
// The result is one reactive object, so a template binds `list.page` / `list.page_size` with
// v-model and reads `list.items`, `list.total`, `list.loading`, `list.error` directly.
import { reactive, ref, watch, type Ref } from 'vue'
import { errorMessage } from '@/api/request'

// a type (not an interface), so that it fits the API's index-signed query types
export type PageParams = {
  page: number
  page_size: number
}

/** An API page; `items` / `total` may be missing on some answers (an empty list, the row count). */
export interface PageResult<T> {
  items?: T[] | null
  total?: number | null
}

export interface PagedListOptions<F extends object> {
  /** the filters (a reactive object, handed back as `list.filters` for v-model): deep-watched */
  filters?: F
  /** the first page size (default 20) */
  pageSize?: number
  /**
   * go back to page 1 and reload when the filters change (default true). Off for forms with a
   * search button: the filters apply on the next search() (page 1) or reload() (this page).
   */
  auto?: boolean
  /** load at once (default false: the view calls reload() when mounted) */
  immediate?: boolean
}

export interface PagedList<T, F extends object = Record<string, never>> {
  /** the filters passed in (the same reactive object) */
  filters: F
  items: T[]
  total: number
  page: number
  page_size: number
  loading: boolean
  /** the last load's error message ('' after a successful load) */
  error: string
  /** load the current page with the current filters */
  reload: () => Promise<void>
  /** back to page 1 and load */
  search: () => Promise<void>
  /** the page size changed (pager): back to page 1 and load */
  sizeChanged: () => Promise<void>
}

export function usePagedList<T, F extends object = Record<string, never>>(
  fetcher: (params: PageParams & F) => Promise<PageResult<T>>,
  options: PagedListOptions<F> = {},
): PagedList<T, F> {
  const filters = (options.filters ?? reactive({})) as F
  const items = ref<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(options.pageSize ?? 20)
  const loading = ref(false)
  const error = ref('')
  /** the id of the newest request: only its answer is taken */
  let latest = 0

  async function reload(): Promise<void> {
    const id = ++latest
    loading.value = true
    error.value = ''
    try {
      const res = await fetcher({ ...filters, page: page.value, page_size: pageSize.value })
      if (id !== latest) return
      const list = res.items ?? []
      items.value = list
      total.value = res.total ?? list.length
      error.value = ''
    } catch (e) {
      if (id === latest) error.value = errorMessage(e)
    } finally {
      if (id === latest) loading.value = false
    }
  }

  function search(): Promise<void> {
    page.value = 1
    return reload()
  }

  if (options.filters !== undefined && options.auto !== false) watch(() => filters, () => void search(), { deep: true })

  if (options.immediate) void reload()

  const list = reactive({
    filters,
    items,
    total,
    page,
    page_size: pageSize,
    loading,
    error,
    reload,
    search,
    sizeChanged: search,
  })
  return list as unknown as PagedList<T, F>
}
