"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from qmtdesk.auth import errors

MIN_PASSWORD_LENGTH = 8
MIN_TRADING_PASSWORD_LENGTH = 6
# Argon2 cost does not grow with length, but megabyte "passwords" are a cheap way to waste a request.
MAX_PASSWORD_LENGTH = 256

# argon2-cffi's defaults (Argon2id, t=3, m=64 MiB, p=4) follow RFC 9106's second recommendation.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An encoded Argon2id hash of ``password`` (salted; parameters included in the string)."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``. False on mismatch or a bad hash; never raises."""
    if not password_hash or not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash after a good login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a random password, verified for unknown users so a login costs the same either way."""
    return hash_password(secrets.token_urlsafe(16))


def check_password_policy(
    password: str, *, field: str = "password", label_zh: str = "密码", min_length: int | None = None
) -> None:
    """Refuse a password that is too short, too long or blank with ``422 VALIDATION_ERROR``.

    ``field`` names the request field in the error data; ``label_zh`` is how the message names it
    (``密码``, ``交易密码``).
    """
    label_en = "Trading password" if "交易" in label_zh else "Password"
    # Broker trading passwords are customarily six digits; login passwords need more.
    minimum = min_length or (MIN_TRADING_PASSWORD_LENGTH if "交易" in label_zh else MIN_PASSWORD_LENGTH)
    if not isinstance(password, str) or not password.strip():
        raise errors.validation(field, f"{label_zh}不能为空", f"{label_en} must not be empty", reason="empty")
    if len(password) < minimum:
        raise errors.validation(
            field,
            f"{label_zh}至少需要 {minimum} 个字符",
            f"{label_en} must be at least {minimum} characters",
            reason="too_short",
            min_length=minimum,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise errors.validation(
            field,
            f"{label_zh}不能超过 {MAX_PASSWORD_LENGTH} 个字符",
            f"{label_en} must be at most {MAX_PASSWORD_LENGTH} characters",
            reason="too_long",
            max_length=MAX_PASSWORD_LENGTH,
        )
