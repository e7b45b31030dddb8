"""The statement (交割单) and the performance report."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from qmtdesk.api.schemas.common import Day, Dec, Model
from qmtdesk.api.schemas.orders import Trade


class StatementFill(Trade):
    """A fill on the statement: the trade and the cash it moved."""

    traded_time: str
    side_label: str
    net_amount: Dec


class StatementTotals(Model):
    """Sums of a day or of the whole statement."""

    buy_amount: Dec
    sell_amount: Dec
    commission: Dec
    stamp_duty: Dec
    transfer_fee: Dec
    fees: Dec
    net_amount: Dec


class StatementDay(StatementTotals):
    """One day's sums."""

    trading_day: Day


class StatementHolding(Model):
    """A stock's shares over the statement: opening + bought − sold against closing."""

    stock_code: str
    stock_name: str
    opening: int
    bought: int
    sold: int
    closing: int
    balanced: bool


class Statement(Model):
    """The statement (交割单)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str
    from_: Day = Field(alias="from")
    to: Day
    fills: list[StatementFill]
    days: list[StatementDay]
    positions: list[StatementHolding]
    totals: StatementTotals
    balanced: bool


class EquityPoint(Model):
    trading_day: Day
    total_asset: Dec


class DailyReturn(Model):
    trading_day: Day
    # "return" is a keyword: the field keeps its API name through the alias.
    value: Dec | None = Field(alias="return")


class StrategyHolding(Model):
    stock_code: str
    shares: int
    cost: Dec
    value: Dec


class StrategyDay(Model):
    trading_day: Day
    realized_profit: Dec
    cumulative: Dec


class StrategyPerformance(Model):
    """One strategy's (or the manual fills') results."""

    strategy_name: str
    manual: bool
    fills: int
    sales: int
    wins: int
    win_rate: Dec | None
    realized_profit: Dec
    floating_profit: Dec
    total_profit: Dec
    fees: Dec
    turnover: Dec
    holdings: list[StrategyHolding]
    daily: list[StrategyDay]


class Performance(Model):
    """The account's results and each strategy's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account_id: str
    from_: Day | None = Field(alias="from")
    to: Day | None
    equity: list[EquityPoint]
    returns: list[DailyReturn]
    total_return: Dec | None
    max_drawdown: Dec | None
    fees: Dec
    turnover: Dec
    strategies: list[StrategyPerformance]
