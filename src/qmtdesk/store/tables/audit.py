"""The append-only audit trail: logins, orders, cancels, config and risk changes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from qmtdesk.store.base import Base
from qmtdesk.store.types import UTCDateTime

# Keys whose values never reach the audit trail, whatever a caller passes in ``detail``.
_SECRET_KEY_MARKERS = ("password", "token", "secret", "authorization", "cookie")
REDACTED = "[redacted]"


class AuditLog(Base):
    """One audited action. Rows are only ever inserted."""

    __tablename__ = "audit_log"
    # AUTOINCREMENT on SQLite: ids of deleted rows are never reused, so gaps in the trail are visible.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(128), default=None)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str | None] = mapped_column(String(64), default=None)

    def detail_dict(self) -> dict[str, Any]:
        """The ``detail`` JSON decoded."""
        value = json.loads(self.detail or "{}")
        return value if isinstance(value, dict) else {"value": value}


@event.listens_for(AuditLog, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: AuditLog) -> None:
    raise RuntimeError(f"audit_log is append-only (attempt to update row {target.id})")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: AuditLog) -> None:
    raise RuntimeError(f"audit_log is append-only (attempt to delete row {target.id})")


def redact(value: Any) -> Any:
    """``value`` with the values of secret-looking keys (password, token, ...) replaced, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _redact_item(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    return value


def _redact_item(key: str, value: Any) -> Any:
    # Flags such as ``password_changed: true`` say what happened and cannot carry a secret.
    if value is None or isinstance(value, bool):
        return value
    if any(marker in key.lower() for marker in _SECRET_KEY_MARKERS):
        return REDACTED
    return redact(value)


def record_audit(
    session: Session,
    actor: str | None,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
    *,
    at: datetime,
) -> AuditLog:
    """Add an audit row to ``session`` (committed with the caller's transaction).

    ``actor`` is a username (``system`` when None), ``action`` a dotted verb such as ``auth.login``
    or ``order.submit``. ``detail`` is stored as JSON after secret-looking keys are redacted;
    callers must still never pass passwords or tokens as values. ``at`` comes from the desk's clock
    (simulated on a paper desk), the one every order and user row is stamped with: the trail is read
    newest first by it."""
    row = AuditLog(
        time=at,
        actor=(actor or "system")[:64],
        action=action[:64],
        target=None if target is None else str(target)[:128],
        detail=json.dumps(redact(dict(detail or {})), ensure_ascii=False, sort_keys=True, default=str),
        ip=None if ip is None else ip[:64],
    )
    session.add(row)
    return row


def list_audit(
    session: Session, *, page: int = 1, page_size: int = 20, action_prefix: str | None = None
) -> tuple[list[AuditLog], int]:
    """One page of the audit trail, newest first, and the total count."""
    query = select(AuditLog)
    count = select(func.count()).select_from(AuditLog)
    if action_prefix:
        query = query.where(AuditLog.action.startswith(action_prefix, autoescape=True))
        count = count.where(AuditLog.action.startswith(action_prefix, autoescape=True))
    page, page_size = max(page, 1), min(max(page_size, 1), 200)
    newest_first = query.order_by(AuditLog.time.desc(), AuditLog.id.desc())
    rows = session.scalars(newest_first.offset((page - 1) * page_size).limit(page_size))
    return list(rows), int(session.scalar(count) or 0)
