"""API token secrets, their stored hash, scopes and usability."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from qmtdesk.auth.api_tokens import (
    find_api_token,
    format_scopes,
    generate_api_token,
    hash_api_token,
    is_usable,
    looks_like_api_token,
    normalize_scopes,
    parse_scopes,
    touch,
)
from qmtdesk.domain.errors import DeskError
from qmtdesk.store.base import Base
from qmtdesk.store.db import make_engine, make_session_factory, sqlite_url
from qmtdesk.store.tables.auth import ApiToken, User

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(sqlite_url(tmp_path))
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        s.add(User(id=1, username="u", password_hash="x", role="trader", created_at=NOW, updated_at=NOW))
        s.commit()
        yield s
    engine.dispose()


def test_a_new_token_is_a_qmt_secret_with_a_visible_prefix_and_a_sha256_hash() -> None:
    token = generate_api_token()
    assert token.secret.startswith("qmt_")
    assert len(token.secret) >= 4 + 43  # 32 random bytes
    assert token.secret.startswith(token.prefix) and len(token.prefix) == 12
    assert token.token_hash == hashlib.sha256(token.secret.encode()).hexdigest()
    assert token.secret not in token.token_hash
    assert generate_api_token().secret != token.secret


def test_api_tokens_are_told_apart_from_jwts() -> None:
    assert looks_like_api_token(generate_api_token().secret)
    assert not looks_like_api_token("eyJhbGciOiJIUzI1NiJ9.e30.sig")


def test_trade_scope_implies_read_and_scopes_are_canonical() -> None:
    assert normalize_scopes(["trade"]) == ("read", "trade")
    assert normalize_scopes(["READ", " read "]) == ("read",)
    assert normalize_scopes(["trade", "read"]) == ("read", "trade")
    assert format_scopes(normalize_scopes(["trade"])) == "read,trade"


@pytest.mark.parametrize("scopes", [[], [""], ["admin"], ["read", "withdraw"]])
def test_unknown_or_missing_scopes_are_refused(scopes: list[str]) -> None:
    with pytest.raises(DeskError) as info:
        normalize_scopes(scopes)
    assert (info.value.code, info.value.http_status) == ("VALIDATION_ERROR", 422)
    assert info.value.data["fields"][0]["field"] == "scopes"


def test_stored_scopes_never_grant_unknown_words() -> None:
    assert parse_scopes("read,trade,admin") == frozenset({"read", "trade"})
    assert parse_scopes("") == frozenset()


def _store(session: Session, **extra: object) -> tuple[str, ApiToken]:
    new = generate_api_token()
    row = ApiToken(
        user_id=1, name="bot", prefix=new.prefix, token_hash=new.token_hash, scopes="read", created_at=NOW, **extra
    )
    session.add(row)
    session.commit()
    return new.secret, row


def test_a_token_is_found_by_its_secret_only(session: Session) -> None:
    secret, row = _store(session)
    assert find_api_token(session, secret) is row
    assert find_api_token(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert find_api_token(session, row.token_hash) is None  # the stored hash is not a credential
    assert find_api_token(session, "qmt_nothing") is None
    assert hash_api_token(secret) == row.token_hash


def test_revoked_and_expired_tokens_are_unusable(session: Session) -> None:
    _, live = _store(session, expires_at=NOW + timedelta(hours=1))
    assert is_usable(live, NOW) is None
    assert is_usable(live, NOW + timedelta(hours=1)) == "expired"
    _, revoked = _store(session, revoked_at=NOW)
    assert is_usable(revoked, NOW) == "revoked"
    _, forever = _store(session)
    assert is_usable(forever, NOW + timedelta(days=3650)) is None


def test_last_used_is_recorded_at_most_once_a_minute(session: Session) -> None:
    _, row = _store(session)
    touch(row, NOW)
    assert row.last_used_at == NOW
    touch(row, NOW + timedelta(seconds=30))
    assert row.last_used_at == NOW
    touch(row, NOW + timedelta(seconds=61))
    assert row.last_used_at == NOW + timedelta(seconds=61)
