"""Settings from the environment (names exactly as in API.md), the secret key, and config sources.

Precedence: explicit overrides (CLI flags) > environment > database (``app_config``, only the
``MINIQMT_*`` keys) > defaults. Nothing is read from ``.env`` files: a secret lying next to the code
is how secrets leak.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import stat
import tempfile
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from qmtdesk.domain.errors import DeskError
from qmtdesk.domain.instruments import normalize_code
from qmtdesk.domain.subscriptions import is_repo_code
from qmtdesk.store.db import sqlite_url

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET_KEY_FILE = "secret_key"
# HS256 keys shorter than the hash output weaken the signature; PyJWT warns below 32 bytes too.
MIN_SECRET_KEY_LENGTH = 32

BrokerName = Literal["paper", "xtquant"]
QuotesSource = Literal["paper", "xtdata"]
ConfigSource = Literal["env", "db", "default"]

# Environment variable -> Settings field, for the keys the UI may also store in app_config.
MINIQMT_KEYS: dict[str, str] = {
    "MINIQMT_ENABLED": "miniqmt_enabled",
    "MINIQMT_ACCOUNT_ID": "miniqmt_account_id",
    "MINIQMT_ACCOUNT_TYPE": "miniqmt_account_type",
    "MINIQMT_USERDATA_PATH": "miniqmt_userdata_path",
}

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})


class Settings(BaseSettings):
    """Every setting of the desk. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        env_ignore_empty=True,  # ``QMTDESK_SECRET_KEY=`` must not become an empty signing key
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
    )

    data_dir: Path = Field(Path("./qmtdesk-data"), alias="QMTDESK_DATA_DIR")
    database_url: str = Field("", alias="QMTDESK_DATABASE_URL")
    host: str = Field("127.0.0.1", alias="QMTDESK_HOST")
    port: int = Field(8000, ge=1, le=65535, alias="QMTDESK_PORT")
    secret_key: SecretStr | None = Field(None, alias="QMTDESK_SECRET_KEY")
    broker: BrokerName = Field("paper", alias="QMTDESK_BROKER")

    admin_username: str = Field("admin", min_length=1, alias="QMTDESK_ADMIN_USERNAME")
    admin_password: SecretStr | None = Field(None, alias="QMTDESK_ADMIN_PASSWORD")
    admin_trading_password: SecretStr | None = Field(None, alias="QMTDESK_ADMIN_TRADING_PASSWORD")

    miniqmt_enabled: bool = Field(False, alias="MINIQMT_ENABLED")
    miniqmt_account_id: str | None = Field(None, alias="MINIQMT_ACCOUNT_ID")
    miniqmt_account_type: str = Field("STOCK", min_length=1, alias="MINIQMT_ACCOUNT_TYPE")
    # Kept as text: the path is a Windows path even when settings are parsed elsewhere (tests, CI).
    miniqmt_userdata_path: str | None = Field(None, alias="MINIQMT_USERDATA_PATH")

    paper_cash: Decimal = Field(Decimal("1000000"), gt=0, alias="QMTDESK_PAPER_CASH")
    paper_clock: Literal["realtime"] | datetime = Field("realtime", alias="QMTDESK_PAPER_CLOCK")
    paper_universe: Path | None = Field(None, alias="QMTDESK_PAPER_UNIVERSE")
    paper_seed: int | None = Field(None, alias="QMTDESK_PAPER_SEED")
    paper_volatility: Decimal = Field(Decimal("0.3"), ge=0, alias="QMTDESK_PAPER_VOLATILITY")
    paper_tick_seconds: float = Field(3.0, gt=0, alias="QMTDESK_PAPER_TICK_SECONDS")
    commission_rate: Decimal = Field(Decimal("0.00025"), ge=0, lt=1, alias="QMTDESK_COMMISSION_RATE")
    commission_min: Decimal = Field(Decimal("5"), ge=0, alias="QMTDESK_COMMISSION_MIN")

    access_token_ttl: int = Field(28800, gt=0, alias="QMTDESK_ACCESS_TOKEN_TTL")
    trade_token_ttl: int = Field(900, gt=0, alias="QMTDESK_TRADE_TOKEN_TTL")
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="QMTDESK_CORS_ORIGINS")
    log_json: bool = Field(False, alias="QMTDESK_LOG_JSON")
    log_level: str = Field("INFO", alias="QMTDESK_LOG_LEVEL")
    quotes: QuotesSource = Field("paper", alias="QMTDESK_QUOTES")
    # Notifications of fills, rejections, denials, halts and disconnects; the URL is a secret (bot keys).
    webhook_url: SecretStr | None = Field(None, alias="QMTDESK_WEBHOOK_URL")
    webhook_format: Literal["json", "wecom", "feishu", "dingtalk"] = Field("json", alias="QMTDESK_WEBHOOK_FORMAT")
    # Remote MiniQMT gateways: the NATS server (JetStream on) the desk and its gateways meet at.
    nats_url: str | None = Field(None, alias="QMTDESK_NATS_URL")
    nats_creds: Path | None = Field(None, alias="QMTDESK_NATS_CREDS")
    nats_token: SecretStr | None = Field(None, alias="QMTDESK_NATS_TOKEN")
    nats_tls_ca: Path | None = Field(None, alias="QMTDESK_NATS_TLS_CA")
    # New-issue subscription (新股/新债申购) and reverse repo (逆回购), MiniQMT accounts: opt-in, dry by default.
    ipo_auto: bool = Field(False, alias="QMTDESK_IPO_AUTO")
    ipo_time: time = Field(time(9, 35), alias="QMTDESK_IPO_TIME")
    ipo_dry_run: bool = Field(True, alias="QMTDESK_IPO_DRY_RUN")
    ipo_include_bse: bool = Field(False, alias="QMTDESK_IPO_INCLUDE_BSE")
    ipo_include_bonds: bool = Field(True, alias="QMTDESK_IPO_INCLUDE_BONDS")
    repo_auto: bool = Field(False, alias="QMTDESK_REPO_AUTO")
    repo_time: time = Field(time(14, 50), alias="QMTDESK_REPO_TIME")
    repo_code: str = Field("204001.SH", alias="QMTDESK_REPO_CODE")
    repo_keep_cash: Decimal = Field(Decimal(0), ge=0, alias="QMTDESK_REPO_KEEP_CASH")
    repo_rate_floor: Decimal = Field(Decimal("1.0"), gt=0, lt=100, alias="QMTDESK_REPO_RATE_FLOOR")

    # Fields given by the environment or an override (not defaulted); model_fields_set would also
    # count values merged in later from the database, so the origin is captured once, here.
    _explicit: frozenset[str] = PrivateAttr(frozenset())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides and the environment only: no ``.env`` file, no secrets directory."""
        return (init_settings, env_settings)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # A comma list is what people type; a JSON list is accepted too.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("log_level", "miniqmt_account_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value not in _LOG_LEVELS:
            raise ValueError(f"QMTDESK_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")
        return value

    @field_validator("paper_clock", mode="before")
    @classmethod
    def _clock_keyword(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) and value.strip().lower() == "realtime" else value

    @field_validator("paper_clock")
    @classmethod
    def _clock_aware(cls, value: Literal["realtime"] | datetime) -> Literal["realtime"] | datetime:
        # A simulated start without an offset means exchange time.
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=SHANGHAI)
        return value

    @field_validator("ipo_time", "repo_time")
    @classmethod
    def _exchange_hours(cls, value: time) -> time:
        # A time of day on the exchange's clock (Asia/Shanghai); an offset given with it is dropped.
        value = value.replace(tzinfo=None, microsecond=0)
        if not time(9, 15) <= value <= time(15, 30):
            raise ValueError("must be a time of the trading day, between 09:15 and 15:30 (HH:MM)")
        return value

    @field_validator("repo_code")
    @classmethod
    def _repo_code(cls, value: str) -> str:
        if not is_repo_code(value):
            raise ValueError("must be a pledged-bond repo code: SH 204xxx (e.g. 204001.SH) or SZ 131xxx")
        return normalize_code(value)

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            # Refusing to start would lock users out of a running desk; say loudly that it is weak.
            log.warning(
                "QMTDESK_SECRET_KEY is shorter than %d characters: tokens are easier to forge; "
                "leave it unset to have a strong one generated",
                MIN_SECRET_KEY_LENGTH,
            )
        return value

    @model_validator(mode="after")
    def _derived_defaults(self) -> Settings:
        self._explicit = frozenset(self.model_fields_set)
        # Absolute once, so a later chdir (service managers, tests) cannot move the data.
        self.data_dir = self.data_dir.expanduser().absolute()
        if "broker" not in self._explicit and self.miniqmt_enabled:
            self.broker = "xtquant"
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir)
        return self

    @property
    def broker_explicit(self) -> bool:
        """Whether ``QMTDESK_BROKER`` (or an override) chose the broker, rather than the default."""
        return "broker" in self._explicit

    @property
    def explicit_fields(self) -> frozenset[str]:
        """Names of the fields set by the environment or an override rather than defaulted."""
        return self._explicit

    @property
    def secret_key_file(self) -> Path:
        """Where a generated secret key is kept."""
        return self.data_dir / SECRET_KEY_FILE


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (field names or env names) on top.

    ``None`` overrides are dropped, so CLI options that were not given do not mask the environment.
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in ("localhost", "localhost.") or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def resolve_secret_key(settings: Settings) -> str:
    """The JWT signing key: ``QMTDESK_SECRET_KEY``, else ``<data_dir>/secret_key``, else a new one.

    A generated key is written with mode 0600 (the data directory is created if needed) and reused
    on every later start, so sessions survive restarts. There is never a built-in default.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.secret_key_file
    existing = _read_secret_file(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    _write_new_secret_file(path, key)
    # Another process may have won the race to create the file; its key is the one to use.
    return _read_secret_file(path) or key


def _read_secret_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    if len(text) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"{path} holds a secret key shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            # Readable by others: tighten rather than keep serving a key anyone on the box can read.
            log.warning("secret key file %s had mode %o; setting it to 600", path, mode)
            path.chmod(0o600)
    return text


def _write_new_secret_file(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` only if no key is there yet, never exposing a half-written file."""
    fd, tmp_name = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mkstemp creates it 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        existing = path.exists() and path.read_text(encoding="utf-8").strip()
        if existing:
            return
        try:
            os.link(tmp, path)  # atomic and refuses to overwrite a key another process just wrote
        except FileExistsError:
            if not path.read_text(encoding="utf-8").strip():
                os.replace(tmp, path)  # an empty leftover file: take its place
        except OSError:
            os.replace(tmp, path)  # filesystems without hard links
    finally:
        tmp.unlink(missing_ok=True)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _db_value(key: str, text: str) -> Any:
    if key == "MINIQMT_ENABLED":
        return _parse_bool(text)
    if key == "MINIQMT_ACCOUNT_TYPE":
        return text.strip().upper() or "STOCK"
    return text.strip() or None


def env_locked_keys(settings: Settings) -> set[str]:
    """The ``MINIQMT_*`` keys the environment (or an override) sets; the UI may not change them."""
    return {key for key, field in MINIQMT_KEYS.items() if field in settings.explicit_fields}


def ensure_config_editable(settings: Settings, keys: set[str] | list[str]) -> None:
    """Refuse with ``409 CONFIG_LOCKED_BY_ENV`` when any of ``keys`` is set by the environment."""
    locked = sorted(env_locked_keys(settings).intersection(keys))
    if locked:
        raise DeskError(
            "CONFIG_LOCKED_BY_ENV",
            f"以下配置由环境变量设置，不能在界面修改：{', '.join(locked)}",
            f"These settings come from environment variables and cannot be changed here: {', '.join(locked)}",
            http_status=409,
            data={"keys": locked},
        )


def miniqmt_config_sources(settings: Settings, db_values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each ``MINIQMT_*`` key with its effective ``value`` and ``source`` (``env`` > ``db`` > ``default``).

    Values are typed (``MINIQMT_ENABLED`` is a bool, the others text or None). A database value that
    cannot be parsed is ignored in favour of the default, so a bad row cannot stop the desk.
    """
    locked = env_locked_keys(settings)
    result: dict[str, dict[str, Any]] = {}
    for key, field in MINIQMT_KEYS.items():
        if key in locked:
            result[key] = {"value": getattr(settings, field), "source": "env"}
            continue
        if key in db_values and db_values[key] is not None:
            try:
                result[key] = {"value": _db_value(key, db_values[key]), "source": "db"}
                continue
            except ValueError:
                log.warning("ignoring unreadable app_config value for %s", key)
        result[key] = {"value": Settings.model_fields[field].default, "source": "default"}
    return result


def with_db_config(settings: Settings, db_values: dict[str, str]) -> Settings:
    """A copy of ``settings`` with the ``MINIQMT_*`` values from the database where env is silent.

    The default broker follows the effective ``MINIQMT_ENABLED`` unless ``QMTDESK_BROKER`` was given.
    """
    sources = miniqmt_config_sources(settings, db_values)
    update: dict[str, Any] = {MINIQMT_KEYS[key]: item["value"] for key, item in sources.items()}
    if not settings.broker_explicit:
        update["broker"] = "xtquant" if update["miniqmt_enabled"] else "paper"
    return settings.model_copy(update=update)
