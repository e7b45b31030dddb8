// Fixtures shaped exactly as the API sends them (the generated types of src/api/schema.d.ts), and the
// WebSocket frames that carry them.
import type { Account, AlgoOrder, HeldOrder, Order, Position, Quote, Signal, StreamMessage, Trade, TradingStatus, User } from '@/api/types'

export function order(p: Partial<Order> & { order_id: number }): Order {
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
    filled_amount: '0.00',
    status: 'submitted',
    status_code: null,
    status_msg: '',
    error: null,
    error_message: null,
    strategy_name: '',
    remark: '',
    source: 'ui',
    fees: '0.00',
    frozen_amount: '1005.01',
    trading_day: '2025-03-03',
    created_at: '2025-03-03T09:30:00+08:00',
    updated_at: '2025-03-03T09:30:00+08:00',
    finished_at: null,
    ...p,
  }
}

export function trade(p: Partial<Trade> & { trade_id: number }): Trade {
  return {
    broker_trade_id: `B${p.trade_id}`,
    order_id: 1,
    broker_order_id: null,
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
    trading_day: '2025-03-03',
    strategy_name: '',
    ...p,
  }
}

export function heldOrder(p: Partial<HeldOrder> & { id: number }): HeldOrder {
  return {
    account_id: 'A1',
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    side: 'sell',
    quantity: 100,
    price_type: 'latest',
    price: null,
    trigger: { type: 'price', direction: 'below', price: '11.30' },
    state: 'armed',
    state_label: '监控中',
    mark: null,
    stop_price: null,
    last_price: '11.50',
    distance_pct: '0.0174',
    skipped_reason: null,
    parent_order_id: null,
    oco_group: null,
    active_from: '2026-11-25',
    expires: '2026-11-25',
    order_id: null,
    client_order_id: null,
    error: null,
    message: '',
    strategy_name: '',
    remark: '',
    created_at: '2026-11-25T10:00:00+08:00',
    updated_at: '2026-11-25T10:00:00+08:00',
    triggered_at: null,
    notional: '1150.00',
    ...p,
  }
}

export function algoOrder(p: Partial<AlgoOrder> & { id: number }): AlgoOrder {
  return {
    account_id: 'A1',
    stock_code: '600000.SH',
    stock_name: '浦发银行',
    side: 'buy',
    algo: 'twap',
    quantity: 1000,
    price: '11.51',
    display_quantity: null,
    start_at: '2026-11-25T10:00:00+08:00',
    end_at: '2026-11-25T10:30:00+08:00',
    interval_seconds: 60,
    state: 'running',
    state_label: '执行中',
    filled_quantity: 0,
    filled_amount: '0.00',
    working_quantity: 0,
    progress: '0.0000',
    arrival_price: '11.50',
    avg_price: null,
    slippage_bps: null,
    child_count: 0,
    paused_reason: null,
    error: null,
    message: '',
    strategy_name: '',
    remark: '',
    created_at: '2026-11-25T10:00:00+08:00',
    updated_at: '2026-11-25T10:00:00+08:00',
    finished_at: null,
    ...p,
  }
}

const FRAME_TIME = '2026-11-25T10:00:00+08:00'

/** An `orders` frame as the WebSocket sends it. */
export function orderFrame(seq: number, data: Order): StreamMessage {
  return { stream: 'orders', seq, time: FRAME_TIME, data }
}

/** A `trades` frame as the WebSocket sends it. */
export function tradeFrame(seq: number, data: Trade): StreamMessage {
  return { stream: 'trades', seq, time: FRAME_TIME, data }
}

type PlainFrame = Exclude<StreamMessage, { seq: number }>
type PlainData = { [F in PlainFrame as F['stream']]: F['data'] }

/** A frame of a plain stream (its seq null): `frame('positions', { items: [...] })`. */
export function frame<N extends keyof PlainData>(stream: N, data: PlainData[N]): StreamMessage {
  return { stream, seq: null, time: FRAME_TIME, data } as StreamMessage
}

export function quote(p: Partial<Quote> & { stock_code: string }): Quote {
  return {
    stock_name: '浦发银行',
    last_price: '11.50',
    prev_close: '11.40',
    open: '11.42',
    high: '11.55',
    low: '11.38',
    volume: 1_000_000,
    amount: '11500000.00',
    bid: [{ price: '11.49', volume: 1000 }],
    ask: [{ price: '11.50', volume: 1200 }],
    limit_up: '12.54',
    limit_down: '10.26',
    cage: null,
    time: '2026-11-25T10:00:00+08:00',
    source: 'paper',
    ...p,
  }
}

export function position(p: Partial<Position> & { stock_code: string }): Position {
  return {
    stock_name: '浦发银行',
    volume: 100,
    can_use_volume: 100,
    frozen_volume: 0,
    yesterday_volume: 100,
    avg_price: '11.00',
    last_price: '11.50',
    prev_close: '11.40',
    change_pct: '0.0088',
    market_value: '1150.00',
    profit: '50.00',
    profit_rate: '0.0455',
    today_profit: '10.00',
    holding_days: 3,
    opened_at: '2026-11-20T10:00:00+08:00',
    ...p,
  }
}

export function accountFigures(p: Partial<Account> & { account_id: string }): Account {
  return {
    account_type: 'STOCK',
    cash: '1000000.00',
    frozen_cash: '0.00',
    market_value: '0.00',
    total_asset: '1000000.00',
    withdrawable: '1000000.00',
    total_profit: '0.00',
    realized_profit: '0.00',
    floating_profit: '0.00',
    today_profit: '0.00',
    today_realized_profit: '0.00',
    today_floating_profit: '0.00',
    updated_at: '2026-11-25T10:00:00+08:00',
    ...p,
  }
}

export function tradingStatus(p: Partial<TradingStatus> = {}): TradingStatus {
  return {
    broker: 'paper',
    connected: true,
    state: 'connected',
    account_id: 'PAPER',
    account_type: 'STOCK',
    trading_day: '2026-11-25',
    is_trading_day: true,
    market_phase: 'continuous',
    phase_detail: 'continuous',
    server_time: '2026-11-25T10:00:00+08:00',
    halted: false,
    trading_state: 'active',
    message: '',
    session_id: 1,
    quotes: 'live',
    fees: { commission_rate: '0.00025', commission_min: '5' },
    ...p,
  }
}

export function user(p: Partial<User> = {}): User {
  return {
    id: 1,
    username: 'admin',
    role: 'admin',
    active: true,
    must_change_password: false,
    trading_password_set: true,
    created_at: '2026-11-01T09:00:00+08:00',
    updated_at: '2026-11-01T09:00:00+08:00',
    account_ids: null,
    ...p,
  }
}

export function signalRecord(p: Partial<Signal> & { signal_id: string }): Signal {
  return {
    id: 1,
    account_id: 'PAPER',
    stock_code: '600000.SH',
    action: 'buy',
    strategy_name: 'ma1',
    confidence: null,
    price: null,
    sizing: { method: 'quantity', value: '100' },
    expires_at: null,
    reason: '',
    source: 'api',
    decision: 'executed',
    decision_reason: '已执行',
    decision_reason_en: 'executed',
    error: null,
    side: 'buy',
    quantity: 100,
    order_id: null,
    order: null,
    replays: 0,
    created_at: '2026-11-25T10:00:00+08:00',
    decided_at: '2026-11-25T10:00:00+08:00',
    ...p,
  }
}
