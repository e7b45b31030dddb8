import type { Order, Trade } from '@/api/types'

export function order(p: Partial<Order> & { order_id: string }): Order {
  return {
    client_order_id: null,
    broker_order_id: null,
    broker_sysid: null,
    account_id: 'A1',
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    side: 'buy',
    price_type: 'limit',
    price: '10.00',
    quantity: 100,
    filled_quantity: 0,
    avg_fill_price: null,
    status: 'submitted',
    status_code: null,
    status_msg: null,
    error: null,
    strategy_name: null,
    remark: null,
    source: 'ui',
    fees: '0',
    frozen_amount: '1005.01',
    created_at: '2025-03-03T09:30:00+08:00',
    updated_at: '2025-03-03T09:30:00+08:00',
    finished_at: null,
    ...p,
  }
}

export function trade(p: Partial<Trade> & { trade_id: string }): Trade {
  return {
    broker_trade_id: null,
    order_id: 'o1',
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    side: 'buy',
    price: '10.00',
    quantity: 100,
    amount: '1000.00',
    commission: '5.00',
    stamp_duty: '0.00',
    transfer_fee: '0.01',
    fees: '5.01',
    traded_at: '2025-03-03T09:30:01+08:00',
    strategy_name: null,
    ...p,
  }
}
