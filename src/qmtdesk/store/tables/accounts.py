"""The trading accounts one desk serves: their id, display name and kind of broker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime


class AccountRow(Base):
    """One account; its orders, risk rules and paper state are keyed by ``account_id`` elsewhere."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: ``paper``, ``xtquant`` or ``gateway``.
    broker: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
