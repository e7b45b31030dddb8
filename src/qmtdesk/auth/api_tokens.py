"""Scoped API tokens for scripts: ``qmt_<random>`` secrets stored only as SHA-256 hashes.

The secret has 256 bits of entropy, so a fast unsalted hash is the right tool: nothing can be
brute-forced, and lookup by hash stays an indexed equality query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qmtdesk.auth import errors
from qmtdesk.store.tables.auth import ApiToken

TOKEN_PREFIX = "qmt_"
VISIBLE_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
SCOPES: tuple[str, ...] = ("read", "trade")
# Writing last_used_at on every request would make each API call a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A freshly generated secret with what is stored about it."""

    secret: str
    prefix: str
    token_hash: str


def generate_api_token() -> NewApiToken:
    """A new random token. The secret is shown to the user once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewApiToken(secret=secret, prefix=secret[:VISIBLE_PREFIX_LENGTH], token_hash=hash_api_token(secret))


def hash_api_token(secret: str) -> str:
    """The stored form of a secret: its SHA-256 as lowercase hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_api_token(bearer: str) -> bool:
    """Whether a bearer value is an API token rather than a JWT."""
    return bearer.startswith(TOKEN_PREFIX)


def normalize_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Validated scopes in canonical order. ``trade`` implies ``read``: a trading script must see its orders.

    Raises ``422 VALIDATION_ERROR`` for an empty list or an unknown scope.
    """
    wanted = {str(s).strip().lower() for s in scopes if str(s).strip()}
    unknown = sorted(wanted.difference(SCOPES))
    if unknown:
        raise errors.validation(
            "scopes",
            f"未知的权限范围：{', '.join(unknown)}（可选 read、trade）",
            f"Unknown scope(s): {', '.join(unknown)} (allowed: read, trade)",
            reason="unknown_scope",
        )
    if not wanted:
        raise errors.validation("scopes", "至少需要一个权限范围", "At least one scope is required", reason="empty")
    if "trade" in wanted:
        wanted.add("read")
    return tuple(s for s in SCOPES if s in wanted)


def format_scopes(scopes: Iterable[str]) -> str:
    """Scopes as stored: a comma list."""
    return ",".join(scopes)


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from their stored comma list (unknown words are dropped, never granted)."""
    return frozenset(s for s in (p.strip() for p in text.split(",")) if s in SCOPES)


def find_api_token(session: Session, secret: str) -> ApiToken | None:
    """The token row whose hash matches ``secret``, revoked or not, or None."""
    digest = hash_api_token(secret)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The index lookup already matched; the constant-time compare keeps the final check side-channel free.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def is_usable(row: ApiToken, now: datetime) -> str | None:
    """None when ``row`` may authenticate at ``now``, else why not (``revoked`` or ``expired``)."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and now >= row.expires_at:
        return "expired"
    return None


def touch(row: ApiToken, now: datetime) -> None:
    """Record use of ``row`` at ``now``, at most once per ``LAST_USED_RESOLUTION``."""
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
