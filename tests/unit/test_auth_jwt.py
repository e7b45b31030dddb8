"""Access and trade JWTs: HS256 only, typed, expiring on the injected clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from qmtdesk.auth.jwt_tokens import decode, issue_access_token, issue_trade_token
from qmtdesk.domain.errors import DeskError

SECRET = "s" * 64
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _refused(token: str, typ: str = "access", *, secret: str = SECRET, now: datetime = NOW) -> DeskError:
    with pytest.raises(DeskError) as info:
        decode(token, typ, secret=secret, now=now)  # type: ignore[arg-type]
    assert info.value.code == "AUTH_INVALID_TOKEN"
    assert info.value.http_status == 401
    return info.value


def test_an_access_token_round_trips_its_claims() -> None:
    token, expires_in = issue_access_token(7, "trader", secret=SECRET, now=NOW, ttl_seconds=600, session_version=3)
    assert expires_in == 600
    claims = decode(token, "access", secret=SECRET, now=NOW)
    assert (claims.user_id, claims.role, claims.typ, claims.version) == (7, "trader", "access", 3)
    assert claims.issued_at == NOW
    assert claims.expires_at == NOW + timedelta(seconds=600)
    raw = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert set(raw) == {"sub", "role", "typ", "jti", "iat", "exp", "sv"}
    assert raw["sub"] == "7"


def test_a_trade_token_carries_the_trade_token_version() -> None:
    token, _ = issue_trade_token(7, "trader", secret=SECRET, now=NOW, ttl_seconds=900, trade_version=5)
    claims = decode(token, "trade", secret=SECRET, now=NOW)
    assert (claims.typ, claims.version) == ("trade", 5)


def test_every_token_has_its_own_id() -> None:
    a, _ = issue_access_token(1, "admin", secret=SECRET, now=NOW, ttl_seconds=60)
    b, _ = issue_access_token(1, "admin", secret=SECRET, now=NOW, ttl_seconds=60)
    assert decode(a, "access", secret=SECRET, now=NOW).jti != decode(b, "access", secret=SECRET, now=NOW).jti


def test_a_token_expires_exactly_at_its_expiry_on_the_injected_clock() -> None:
    token, _ = issue_access_token(1, "admin", secret=SECRET, now=NOW, ttl_seconds=60)
    decode(token, "access", secret=SECRET, now=NOW + timedelta(seconds=59))
    err = _refused(token, now=NOW + timedelta(seconds=60))
    assert err.data == {"reason": "expired"}
    assert "过期" in err.message_zh


def test_a_token_signed_with_another_key_is_refused() -> None:
    token, _ = issue_access_token(1, "admin", secret="o" * 64, now=NOW, ttl_seconds=60)
    _refused(token)


def test_the_token_type_must_match() -> None:
    access, _ = issue_access_token(1, "admin", secret=SECRET, now=NOW, ttl_seconds=60)
    trade, _ = issue_trade_token(1, "admin", secret=SECRET, now=NOW, ttl_seconds=60, trade_version=0)
    assert _refused(access, "trade").data == {"reason": "wrong_type"}
    assert _refused(trade, "access").data == {"reason": "wrong_type"}


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**extra: object) -> dict[str, object]:
    stamp = int(NOW.timestamp())
    return {"sub": "1", "role": "admin", "typ": "access", "jti": "x", "iat": stamp, "exp": stamp + 60, "sv": 0} | extra


def test_an_unsigned_alg_none_token_is_refused() -> None:
    token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + "."
    _refused(token)


def test_other_algorithms_are_refused_even_with_the_right_key() -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")
    _refused(token)


@pytest.mark.parametrize("missing", ["sub", "jti", "exp", "iat", "typ", "sv"])
def test_a_token_missing_a_claim_is_refused(missing: str) -> None:
    claims = _claims()
    del claims[missing]
    _refused(jwt.encode(claims, SECRET, algorithm="HS256"))


@pytest.mark.parametrize("claims", [_claims(sub="admin"), _claims(sv="0"), _claims(sv=True)])
def test_a_token_with_mistyped_claims_is_refused(claims: dict[str, object]) -> None:
    _refused(jwt.encode(claims, SECRET, algorithm="HS256"))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_malformed_tokens_are_refused(token: str) -> None:
    _refused(token)
