"""Typed domain errors: a stable code, an HTTP status and a message in zh-CN and English."""

from __future__ import annotations

from typing import Any


class DeskError(Exception):
    """Base of every refusal the desk explains to a user.

    ``code`` is stable (UPPER_SNAKE); ``message_zh`` is shown by default, ``message_en`` when the
    client asks for English.
    """

    http_status: int = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str | None = None,
        *,
        http_status: int | None = None,
        data: Any = None,
    ) -> None:
        super().__init__(f"{code}: {message_en or message_zh}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        if http_status is not None:
            self.http_status = http_status
        self.data = data

    def message(self, lang: str = "zh") -> str:
        """The message in the requested language (``en`` or anything else for zh-CN)."""
        return self.message_en if lang.startswith("en") else self.message_zh


class OrderDenied(DeskError):
    """A pre-trade validation or risk refusal: the order is stored as ``denied``."""

    http_status = 422


class InvalidStockCode(OrderDenied):
    """The text cannot be read as an A-share code."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            "INVALID_STOCK_CODE",
            f"无效的证券代码：{raw!r}",
            f"Invalid stock code: {raw!r}",
        )


class UnknownInstrument(OrderDenied):
    """The code is well formed but the desk has no data for it."""

    def __init__(self, code: str) -> None:
        super().__init__("UNKNOWN_INSTRUMENT", f"未知证券：{code}", f"Unknown instrument: {code}")


class BrokerUnavailable(DeskError):
    """The broker link is down (or did not answer): orders fail fast rather than queue silently."""

    http_status = 503

    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__(
            "BROKER_UNAVAILABLE",
            f"券商连接不可用（{state}）{('：' + detail) if detail else ''}",
            f"The broker is not available ({state}){(': ' + detail) if detail else ''}",
        )
        self.state = state


class OrderNotFound(DeskError):
    """No such order in this account (or on this broker counter)."""

    http_status = 404

    def __init__(self, order_id: object) -> None:
        super().__init__("ORDER_NOT_FOUND", f"委托不存在：{order_id}", f"Order not found: {order_id}")


class OrderNotCancelable(DeskError):
    """A cancel refused: the order is final, not yet acknowledged, or the market takes no cancels now."""

    http_status = 409

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("ORDER_NOT_CANCELABLE", zh, en)


class AccountNotFound(DeskError):
    """No account of this desk has that id."""

    http_status = 404

    def __init__(self, account_id: object) -> None:
        super().__init__("ACCOUNT_NOT_FOUND", f"账户不存在：{account_id}", f"Account not found: {account_id}")


class InvalidValue(ValueError):
    """A request value a validator refuses, explained in zh-CN and English.

    Raised inside pydantic validators: the API's one validation handler shows the message in the
    client's language beside the field's name (``str()`` is the English text, for logs).
    """

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, lang: str = "zh") -> str:
        """The message in the requested language."""
        return self.message_en if lang.startswith("en") else self.message_zh
