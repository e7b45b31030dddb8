"""Signed access and trade tokens (JWT, HS256 only).

Expiry is checked against the caller's injected clock, not the process clock, so the same rules hold
in tests and under a simulated clock; PyJWT's own time checks are switched off for that reason.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import jwt

from qmtdesk.auth import errors

ALGORITHM = "HS256"
TokenType = Literal["access", "trade"]
_REQUIRED_CLAIMS = ("sub", "role", "typ", "jti", "iat", "exp")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The verified content of a token."""

    user_id: int
    role: str
    typ: TokenType
    jti: str
    issued_at: datetime
    expires_at: datetime
    # Trade tokens: the user's trade-token version at issue. Access tokens: the session version.
    version: int


def _encode(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _base_claims(user_id: int, role: str, typ: TokenType, now: datetime, ttl_seconds: int) -> dict[str, Any]:
    issued = int(now.timestamp())
    return {
        "sub": str(user_id),  # RFC 7519 (and PyJWT) want a string subject
        "role": role,
        "typ": typ,
        "jti": secrets.token_urlsafe(12),
        "iat": issued,
        "exp": issued + ttl_seconds,
    }


def issue_access_token(
    user_id: int, role: str, *, secret: str, now: datetime, ttl_seconds: int, session_version: int = 0
) -> tuple[str, int]:
    """A signed access token for ``user_id`` and its lifetime in seconds.

    ``session_version`` (claim ``sv``) lets the server revoke every access token of a user by bumping
    the stored version (password change, deactivation).
    """
    claims = _base_claims(user_id, role, "access", now, ttl_seconds)
    claims["sv"] = session_version
    return _encode(claims, secret), ttl_seconds


def issue_trade_token(
    user_id: int, role: str, *, secret: str, now: datetime, ttl_seconds: int, trade_version: int
) -> tuple[str, int]:
    """A signed trade token (``X-Trade-Token``) carrying the user's trade-token version ``tv``."""
    claims = _base_claims(user_id, role, "trade", now, ttl_seconds)
    claims["tv"] = trade_version
    return _encode(claims, secret), ttl_seconds


#: Tokens verified lately: a client sends the same access and trade token with every request, and
#: checking a signature again costs more than the rest of authentication. Only the signature and the
#: claims are remembered; the expiry is compared with the clock at every use, and revocation (session
#: and trade-token versions) is checked by the caller every time.
_VERIFIED: OrderedDict[tuple[str, str, str], TokenClaims] = OrderedDict()
_VERIFIED_MAX = 4096
_VERIFIED_LOCK = threading.Lock()


def decode(token: str, expected_typ: TokenType, *, secret: str, now: datetime) -> TokenClaims:
    """Verify ``token`` and return its claims.

    Raises ``AUTH_INVALID_TOKEN`` (401) for a malformed or forged token, another algorithm (``none``
    included), the wrong ``typ``, missing claims or an expiry at or before ``now``.
    """
    if not isinstance(token, str) or not token:
        raise errors.invalid_token("malformed")
    key = (token, expected_typ, secret)
    with _VERIFIED_LOCK:
        claims = _VERIFIED.get(key)
        if claims is not None:
            _VERIFIED.move_to_end(key)
    if claims is None:
        claims = _verify(token, expected_typ, secret)
        with _VERIFIED_LOCK:
            _VERIFIED[key] = claims
            if len(_VERIFIED) > _VERIFIED_MAX:
                _VERIFIED.popitem(last=False)
    if now >= claims.expires_at:
        raise errors.invalid_token("expired")
    return claims


def _verify(token: str, expected_typ: TokenType, secret: str) -> TokenClaims:
    """The claims of a token whose signature, algorithm, type and claims are valid (expiry unchecked)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "require": list(_REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise errors.invalid_token("malformed") from exc
    if payload.get("typ") != expected_typ:
        raise errors.invalid_token("wrong_type")
    version = payload.get("tv" if expected_typ == "trade" else "sv")
    if not isinstance(version, int) or isinstance(version, bool):
        raise errors.invalid_token("malformed")
    try:
        user_id = int(payload["sub"])
        iat = int(payload["iat"])
        exp = int(payload["exp"])
        role = str(payload["role"])
        jti = str(payload["jti"])
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.invalid_token("malformed") from exc
    return TokenClaims(
        user_id=user_id,
        role=role,
        typ=expected_typ,
        jti=jti,
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(exp, UTC),
        version=version,
    )
