"""Settings editable in the UI (the ``MINIQMT_*`` keys), stored as key/value text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime


class AppConfig(Base):
    """One configuration key; environment variables of the same name win over it."""

    __tablename__ = "app_config"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def read_app_config(session: Session) -> dict[str, str]:
    """Every stored key and its value."""
    return {row.key: row.value for row in session.scalars(select(AppConfig))}


def write_app_config(session: Session, values: Mapping[str, str | None], now: datetime) -> None:
    """Insert or update each key; a ``None`` value deletes the key (back to the default)."""
    for key, value in values.items():
        row = session.get(AppConfig, key)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(AppConfig(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
