// types.ts must stay the generated API (schema.d.ts, from the server's OpenAPI description): these
// type-level assertions fail — in `npm run typecheck` and in `vitest run` (its typecheck pass) — when
// a name the UI imports stops being the server's model, when a WebSocket payload stops being the
// model the REST routes answer, or when an endpoint's declared answer or body leaves its route's.
import { describe, expectTypeOf, it } from 'vitest'
import type { components } from '@/api/schema'
import type {
  Account,
  AccountInfo,
  AlgoOrder,
  AlgoOrderRequest,
  AnswerOf,
  BodyOf,
  HeldOrder,
  HeldOrderRequest,
  Instrument,
  MarketPhase,
  MonitoredStock,
  MonitoredStockBody,
  Order,
  OrderRequest,
  OrderStatus,
  Page,
  Position,
  PriceType,
  Quote,
  RiskMetrics,
  RiskRule,
  RiskRuleUpdate,
  Signal,
  SignalStreamItem,
  StatusChange,
  StreamMessage,
  Trade,
  TradingState,
  TradingStatus,
  User,
  WithDefaults,
} from '@/api/types'
import { accountsApi, algoApi, heldApi, monitorApi, riskApi, tradingApi } from '@/api/endpoints'

type S = components['schemas']
/** the payload of stream `N` */
type Payload<N extends StreamMessage['stream']> = Extract<StreamMessage, { stream: N }>['data']
/** what an endpoint call resolves to */
type Answer<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>

describe('types.ts is the generated API', () => {
  it('aliases the generated models', () => {
    expectTypeOf<Order>().toEqualTypeOf<S['Order']>()
    expectTypeOf<Order['status']>().toEqualTypeOf<S['OrderStatus']>()
    expectTypeOf<OrderStatus>().toEqualTypeOf<S['OrderStatus']>()
    expectTypeOf<PriceType>().toEqualTypeOf<S['PriceType']>()
    expectTypeOf<Trade>().toEqualTypeOf<S['Trade']>()
    expectTypeOf<Position>().toEqualTypeOf<S['Position']>()
    expectTypeOf<Account>().toEqualTypeOf<S['AccountFigures']>()
    expectTypeOf<AccountInfo>().toEqualTypeOf<S['DeskAccount']>()
    expectTypeOf<TradingStatus>().toEqualTypeOf<S['TradingStatus']>()
    expectTypeOf<MarketPhase>().toEqualTypeOf<S['TradingStatus']['market_phase']>()
    expectTypeOf<TradingState>().toEqualTypeOf<S['TradingStatus']['trading_state']>()
    expectTypeOf<Quote>().toEqualTypeOf<S['Quote']>()
    expectTypeOf<Instrument>().toEqualTypeOf<S['InstrumentInfo']>()
    expectTypeOf<HeldOrder>().toEqualTypeOf<S['HeldOrder']>()
    expectTypeOf<AlgoOrder>().toEqualTypeOf<S['AlgoOrder']>()
    expectTypeOf<RiskRule>().toEqualTypeOf<S['RiskRule']>()
    expectTypeOf<RiskMetrics>().toEqualTypeOf<S['RiskMetrics']>()
    expectTypeOf<Signal>().toEqualTypeOf<S['SignalRecord']>()
    expectTypeOf<MonitoredStock>().toEqualTypeOf<S['WatchedStock']>()
    expectTypeOf<User>().toEqualTypeOf<S['UserView']>()
  })

  it('pages are the server’s PageOf', () => {
    expectTypeOf<Page<Order>>().toEqualTypeOf<S['PageOf_Order_']>()
    expectTypeOf<Page<Trade>>().toEqualTypeOf<S['PageOf_Trade_']>()
    expectTypeOf<Page<HeldOrder>>().toEqualTypeOf<S['PageOf_HeldOrder_']>()
  })

  it('request bodies are the generated request models (the server-defaulted fields optional)', () => {
    expectTypeOf<OrderRequest>().toEqualTypeOf<WithDefaults<S['OrderBody'], 'price_type' | 'strategy_name' | 'remark'>>()
    expectTypeOf<BodyOf<'/trading/order', 'post'>>().toEqualTypeOf<S['OrderBody']>()
    // what the generated model accepts, the UI's request type accepts too
    expectTypeOf<S['OrderBody']>().toMatchTypeOf<OrderRequest>()
    expectTypeOf<S['HeldBody']>().toMatchTypeOf<HeldOrderRequest>()
    expectTypeOf<S['AlgoBody']>().toMatchTypeOf<AlgoOrderRequest>()
    expectTypeOf<S['RuleBody']>().toMatchTypeOf<RiskRuleUpdate>()
    expectTypeOf<S['WatchBody']>().toMatchTypeOf<MonitoredStockBody>()
  })
})

describe('WebSocket payloads are the REST models', () => {
  it('orders, trades, held and algo orders, account, positions, quotes', () => {
    expectTypeOf<Payload<'orders'>>().toEqualTypeOf<S['Order']>()
    expectTypeOf<Payload<'trades'>>().toEqualTypeOf<S['Trade']>()
    expectTypeOf<Payload<'conditional_orders'>>().toEqualTypeOf<S['HeldOrder']>()
    expectTypeOf<Payload<'algo_orders'>>().toEqualTypeOf<S['AlgoOrder']>()
    expectTypeOf<Payload<'account'>>().toEqualTypeOf<S['AccountFigures']>()
    expectTypeOf<Payload<'positions'>>().toEqualTypeOf<{ items: S['Position'][] }>()
    expectTypeOf<Payload<`quotes:${string}`>>().toEqualTypeOf<S['Quote']>()
    expectTypeOf<Extract<StreamMessage, { stream: 'orders' }>['seq']>().toEqualTypeOf<number>()
  })

  it('the status change and the stored signals are parts of the REST models', () => {
    expectTypeOf<StatusChange>().toEqualTypeOf<Pick<S['TradingStatus'], 'state' | 'connected' | 'message'>>()
    expectTypeOf<S['SignalRecord']>().toMatchTypeOf<SignalStreamItem>()
  })
})

describe('endpoints answer what their routes answer', () => {
  it('trading', () => {
    expectTypeOf<Answer<typeof tradingApi.status>>().toEqualTypeOf<AnswerOf<'/trading/status', 'get'>>()
    expectTypeOf<Answer<typeof tradingApi.status>>().toEqualTypeOf<S['TradingStatus']>()
    expectTypeOf<Answer<typeof tradingApi.placeOrder>>().toEqualTypeOf<S['Placed']>()
    expectTypeOf<Answer<typeof tradingApi.cancel>>().toEqualTypeOf<S['Placed']>()
    expectTypeOf<Answer<typeof tradingApi.order>>().toEqualTypeOf<S['OrderWithEvents']>()
    expectTypeOf<Answer<typeof tradingApi.orders>>().toEqualTypeOf<S['PageOf_Order_']>()
    expectTypeOf<Answer<typeof tradingApi.positions>>().toEqualTypeOf<S['Position'][]>()
    expectTypeOf<Answer<typeof tradingApi.account>>().toEqualTypeOf<S['AccountFigures']>()
    expectTypeOf<Answer<typeof tradingApi.cancelAll>>().toEqualTypeOf<S['CanceledAll']>()
    expectTypeOf<Parameters<typeof tradingApi.placeOrder>[0]>().toEqualTypeOf<OrderRequest>()
  })

  it('held and algo orders, risk, monitor, accounts', () => {
    expectTypeOf<Answer<typeof heldApi.create>>().toEqualTypeOf<S['HeldOrder']>()
    expectTypeOf<Answer<typeof heldApi.bracket>>().toEqualTypeOf<S['Bracket']>()
    expectTypeOf<Answer<typeof algoApi.get>>().toEqualTypeOf<S['AlgoOrderWithChildren']>()
    expectTypeOf<Answer<typeof riskApi.halt>>().toEqualTypeOf<S['HaltAnswer']>()
    expectTypeOf<Answer<typeof riskApi.haltAll>>().toEqualTypeOf<S['HaltAllAnswer']>()
    expectTypeOf<Answer<typeof monitorApi.signals>>().toEqualTypeOf<S['PageOf_SignalRecord_']>()
    expectTypeOf<Answer<typeof accountsApi.list>>().toEqualTypeOf<S['DeskAccount'][]>()
  })
})
