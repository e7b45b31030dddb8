"""Quotes."""

from __future__ import annotations

from qmtdesk.api.schemas.common import Dec, Model, Time
from qmtdesk.domain.instruments import Board, Exchange, Kind


class Level(Model):
    """One level of the book; an empty level (a thin book) has no price and volume 0."""

    price: Dec | None
    volume: int


class Cage(Model):
    buy_max: Dec
    sell_min: Dec


class Quote(Model):
    """A snapshot: last price, five levels each side, daily limits and the price cage."""

    stock_code: str
    stock_name: str
    last_price: Dec
    prev_close: Dec
    open: Dec | None
    high: Dec | None
    low: Dec | None
    volume: int
    amount: Dec
    bid: list[Level]
    ask: list[Level]
    limit_up: Dec | None
    limit_down: Dec | None
    cage: Cage | None
    time: Time
    source: str


class Bar(Model):
    """A chart bar: ``time`` is the minute's start (1m) or the day (1d)."""

    time: str
    open: Dec
    high: Dec
    low: Dec
    close: Dec
    volume: int
    amount: Dec


class InstrumentInfo(Model):
    """An instrument with its trading rules: lot, tick, daily limit."""

    stock_code: str
    stock_name: str
    exchange: Exchange
    board: Board
    kind: Kind
    lot_size: int
    lot_step: int
    price_tick: Dec
    is_st: bool
    limit_pct: Dec | None
    prev_close: Dec | None
    suspended: bool
