"""The auth refusals, each a DeskError with a stable code, HTTP status and zh-CN/English text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qmtdesk.domain.clock import SHANGHAI
from qmtdesk.domain.errors import DeskError


def auth_required() -> DeskError:
    """No credentials were presented."""
    return DeskError("AUTH_REQUIRED", "请先登录", "Authentication required", http_status=401)


def invalid_token(reason: str = "invalid") -> DeskError:
    """A bearer token that is malformed, forged, expired, revoked or of the wrong kind."""
    if reason == "expired":
        return DeskError(
            "AUTH_INVALID_TOKEN",
            "登录凭证已过期，请重新登录",
            "The token has expired; please sign in again",
            http_status=401,
            data={"reason": reason},
        )
    if reason == "inactive":
        return DeskError(
            "AUTH_INVALID_TOKEN",
            "账户已停用，请联系管理员",
            "This account is disabled; contact an administrator",
            http_status=401,
            data={"reason": reason},
        )
    return DeskError(
        "AUTH_INVALID_TOKEN",
        "登录凭证无效，请重新登录",
        "Invalid token; please sign in again",
        http_status=401,
        data={"reason": reason},
    )


def invalid_credentials() -> DeskError:
    """Wrong username or password (deliberately not saying which)."""
    return DeskError("AUTH_INVALID_CREDENTIALS", "用户名或密码错误", "Wrong username or password", http_status=401)


def account_disabled() -> DeskError:
    """Correct password for a deactivated account."""
    return DeskError(
        "AUTH_INVALID_CREDENTIALS",
        "账户已停用，请联系管理员",
        "This account is disabled; contact an administrator",
        http_status=401,
        data={"reason": "inactive"},
    )


def _lock_terms(kind: str, until: datetime, now: datetime) -> tuple[str, str, dict[str, Any]]:
    """The lock in words (zh, en) and as data: ``kind``, ``locked_until`` (+08:00), ``retry_after`` (s)."""
    retry_after = max(1, int((until - now).total_seconds() + 0.999))
    minutes = max(1, (retry_after + 59) // 60)
    what_zh, what_en = ("登录", "sign-in") if kind == "login" else ("交易解锁", "trade unlock")
    data = {"kind": kind, "locked_until": until.astimezone(SHANGHAI).isoformat(), "retry_after": retry_after}
    return f"{what_zh}已锁定，请约 {minutes} 分钟后再试", f"{what_en} is locked for about {minutes} minute(s)", data


def locked(kind: str, until: datetime, now: datetime) -> DeskError:
    """Too many wrong passwords: ``kind`` (``login`` or ``trade``) is locked until ``until``."""
    zh, en, data = _lock_terms(kind, until, now)
    zh, en = f"密码错误次数过多，{zh}", f"Too many wrong passwords; {en}"
    return DeskError("AUTH_LOCKED", zh, en, http_status=429, data=data)


def now_locked(refusal: DeskError, kind: str, until: datetime, now: datetime) -> DeskError:
    """The wrong password that reached the limit: still answered as wrong (its own code and status),
    saying the lock it started; the attempts after it get :func:`locked`."""
    zh, en, data = _lock_terms(kind, until, now)
    extra = refusal.data if isinstance(refusal.data, dict) else {}
    return DeskError(
        refusal.code,
        f"{refusal.message_zh}；错误次数过多，{zh}",
        f"{refusal.message_en}; too many wrong passwords, {en}",
        http_status=refusal.http_status,
        data=extra | data,
    )


def forbidden(message_zh: str = "没有权限执行此操作", message_en: str = "Permission denied") -> DeskError:
    """The caller is authenticated but its role or token scope does not allow this."""
    return DeskError("FORBIDDEN", message_zh, message_en, http_status=403)


def password_change_required() -> DeskError:
    """The user must replace an initial or reset password before anything else."""
    return DeskError(
        "PASSWORD_CHANGE_REQUIRED",
        "请先修改初始密码（POST /api/v1/auth/password），之后才能进行其他操作",
        "Change your initial password first (POST /api/v1/auth/password)",
        http_status=403,
    )


def trade_locked(reason: str) -> DeskError:
    """No valid trade token for an order-placing request."""
    return DeskError(
        "TRADE_LOCKED",
        "交易已锁定，请先输入交易密码解锁",
        "Trading is locked; unlock it with your trading password first",
        http_status=403,
        data={"reason": reason},
    )


def trading_password_not_set() -> DeskError:
    """The user has no trading password yet."""
    return DeskError(
        "TRADING_PASSWORD_NOT_SET",
        "尚未设置交易密码，请先设置交易密码",
        "No trading password is set; set one first",
        http_status=409,
    )


def trading_password_invalid(missing: bool = False) -> DeskError:
    """Wrong (or missing) trading password."""
    if missing:
        return DeskError(
            "TRADING_PASSWORD_INVALID",
            "此操作需要交易密码",
            "This action needs your trading password",
            http_status=403,
            data={"reason": "missing"},
        )
    return DeskError("TRADING_PASSWORD_INVALID", "交易密码错误", "Wrong trading password", http_status=403)


def password_invalid() -> DeskError:
    """The current login password given to confirm a change is wrong.

    403, not 401: the session itself is fine, and a 401 would make clients sign the user out.
    """
    return DeskError("PASSWORD_INVALID", "当前登录密码错误", "The current password is wrong", http_status=403)


def validation(field: str, message_zh: str, message_en: str, **detail: Any) -> DeskError:
    """``422 VALIDATION_ERROR`` about one input field."""
    return DeskError(
        "VALIDATION_ERROR",
        message_zh,
        message_en,
        http_status=422,
        data={"fields": [{"field": field, "message": message_en, **detail}]},
    )


def not_found(what_zh: str, what_en: str) -> DeskError:
    """``404 NOT_FOUND``."""
    return DeskError("NOT_FOUND", f"{what_zh}不存在", f"{what_en} not found", http_status=404)


def username_taken(username: str) -> DeskError:
    """Another user already has this username."""
    return DeskError(
        "USERNAME_TAKEN",
        f"用户名已存在：{username}",
        f"Username already taken: {username}",
        http_status=409,
        data={"username": username},
    )


def last_admin() -> DeskError:
    """The change would leave the desk without an active administrator."""
    return DeskError(
        "LAST_ADMIN",
        "不能停用或降级最后一个管理员",
        "The last active administrator cannot be deactivated or demoted",
        http_status=409,
    )
