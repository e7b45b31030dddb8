"""Authentication: Argon2 password hashing, JWT access and trade tokens, scoped API tokens, lockouts."""

from qmtdesk.auth.service import (
    ROLES,
    ApiTokenInfo,
    AuthService,
    CreatedApiToken,
    LoginResult,
    Principal,
    TradeUnlock,
    UserInfo,
)
from qmtdesk.store.tables.audit import record_audit

__all__ = [
    "ROLES",
    "ApiTokenInfo",
    "AuthService",
    "CreatedApiToken",
    "LoginResult",
    "Principal",
    "TradeUnlock",
    "UserInfo",
    "record_audit",
]
