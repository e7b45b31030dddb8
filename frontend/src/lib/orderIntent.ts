// One client_order_id per order intent. The id is kept while the user retries the same payload after
// an ambiguous failure (timeout, network, 5xx) — the server then answers with the existing order
// instead of placing a second one — and dropped once the server gave a definitive answer.
import type { OrderRequest } from '@/api/types'
import { newClientOrderId } from './trading'

export function intentKey(p: Omit<OrderRequest, 'client_order_id'>): string {
  return JSON.stringify([p.stock_code, p.side, p.price_type, p.price ?? null, p.quantity, p.strategy_name ?? null, p.remark ?? null])
}

export class ClientOrderIdKeeper {
  private key: string | null = null
  private id: string | null = null

  constructor(private readonly generate: () => string = () => newClientOrderId()) {}

  /** The id for this payload: the pending one when the payload is unchanged, else a fresh one. */
  idFor(payload: Omit<OrderRequest, 'client_order_id'>): string {
    const k = intentKey(payload)
    if (this.id === null || k !== this.key) {
      this.key = k
      this.id = this.generate()
    }
    return this.id
  }

  get pending(): string | null {
    return this.id
  }

  /** The server answered for good (accepted, denied, 4xx): the next order gets a new id. */
  settle(): void {
    this.key = null
    this.id = null
  }
}
