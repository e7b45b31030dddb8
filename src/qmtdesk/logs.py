"""Logging: console plus rotating files in the data directory, one line per event, JSON on request.

Records are handed to a queue and written by a thread of their own: the event loop, which runs the
order engine, never waits for a terminal or a disk.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import logging.handlers
import os
import queue
import signal
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
        elif record.exc_text:  # formatted already when the record was handed to the writing thread
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


class _Handoff(logging.handlers.QueueHandler):
    """Queues a record with only its message merged in; the writing thread formats it."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        record.msg, record.args = record.message, None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


def _hand_off(root: logging.Logger, handlers: list[logging.Handler]) -> None:
    """Route ``root`` through a queue to ``handlers``, written by a listener thread (flushed at exit)."""
    # No line shows the caller's source line, thread or process: not looking them up makes a record
    # several times cheaper to create (the documented knobs of the logging module).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    atexit.register(_stop_listener, listener)
    root.handlers[:] = [_Handoff(records)]
    root._qmtdesk_listener = listener  # type: ignore[attr-defined]


def _stop_listener(listener: logging.handlers.QueueListener) -> None:
    if getattr(listener, "_thread", None) is not None:  # not stopped already
        listener.stop()


def file_logging(data_dir: Path, level: str = "INFO") -> None:
    """The server's file log without the console (benchmarks run the desk in process this way)."""
    root = logging.getLogger()
    previous = getattr(root, "_qmtdesk_listener", None)
    if previous is not None:
        _stop_listener(previous)
    handler = _file_handler(data_dir, logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _hand_off(root, [handler])
    root.setLevel(level)


def flush_logging() -> None:
    """Wait until every record logged so far is written."""
    listener = getattr(logging.getLogger(), "_qmtdesk_listener", None)
    if listener is not None:
        listener.stop()  # processes what is queued, then ends its thread
        listener.start()
        for handler in listener.handlers:
            handler.flush()


def flush_at_signals() -> None:
    """On SIGTERM/SIGINT, write out what is queued before the process ends.

    uvicorn catches these signals and, once it has shut down, raises them again with the handlers it
    found installed: these, which flush the log and then let the signal end the process as it would.
    """

    def flush_then_end(signum: int, _frame: object) -> None:
        stop_logging()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, flush_then_end)


def stop_logging() -> None:
    """Write out what is queued and stop the writing thread."""
    root = logging.getLogger()
    listener = getattr(root, "_qmtdesk_listener", None)
    if listener is not None:
        _stop_listener(listener)
        for handler in listener.handlers:
            handler.close()
        root._qmtdesk_listener = None  # type: ignore[attr-defined]
    root.handlers[:] = []
    root._qmtdesk_configured = False  # type: ignore[attr-defined]


def _file_handler(data_dir: Path, formatter: logging.Formatter) -> logging.Handler:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    file_handler = logging.handlers.RotatingFileHandler(
        logs / "qmtdesk.log", maxBytes=10 * 1024 * 1024, backupCount=10, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    with contextlib.suppress(OSError):
        os.chmod(logs / "qmtdesk.log", 0o600)  # logs name orders and users: owner only
    return file_handler


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
    _hand_off(root, [console, _file_handler(data_dir, formatter)])
    root.setLevel(level)
    # Access logs would print query strings; the desk logs its own events instead.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    root._qmtdesk_configured = True  # type: ignore[attr-defined]
