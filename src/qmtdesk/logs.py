"""Logging: console plus rotating files in the data directory, one line per event, JSON on request."""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with any ``extra`` context fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(data_dir: Path, level: str = "INFO", as_json: bool = False) -> None:
    """Configure the root logger once: console and ``<data_dir>/logs/qmtdesk.log`` (rotated)."""
    root = logging.getLogger()
    if getattr(root, "_qmtdesk_configured", False):
        return
    formatter: logging.Formatter = (
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    file_handler = logging.handlers.RotatingFileHandler(
        logs / "qmtdesk.log", maxBytes=10 * 1024 * 1024, backupCount=10, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    with contextlib.suppress(OSError):
        os.chmod(logs / "qmtdesk.log", 0o600)  # logs name orders and users: owner only
    root.handlers[:] = [console, file_handler]
    root.setLevel(level)
    # Access logs would print query strings; the desk logs its own events instead.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    root._qmtdesk_configured = True  # type: ignore[attr-defined]
