"""Webhook notifications of fills, rejections, risk denials, halts and broker disconnects.

:class:`Notifier` posts one message per notification to a webhook URL, as plain JSON
(``{kind, title, time, data}``) or as the text message of WeCom, Feishu or DingTalk group bots.
Callers never wait: :meth:`Notifier.notify` puts the notification on a bounded queue and a
background task delivers it, retrying with exponential backoff on network errors, HTTP 429 and
5xx. When the queue is full the oldest notification is dropped (and logged).

Webhook URLs carry their secret in the query (WeCom ``key=``, DingTalk ``access_token=``) or the
path (Feishu ``/hook/<token>``). Logs name the webhook by scheme and host only, and a filter on
the ``httpx`` logger masks the URL in httpx's own request lines.

For DingTalk/Feishu bots protected by a keyword, use ``qmtdesk``: every text message starts with
``【qmtdesk·…】``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from qmtdesk.domain.clock import SHANGHAI, Clock, SystemClock
from qmtdesk.oms.bus import EventBus, Published

log = logging.getLogger(__name__)

NotificationKind = Literal["fill", "rejection", "denial", "halt", "disconnect"]
WebhookFormat = Literal["json", "wecom", "feishu", "dingtalk"]

KINDS: frozenset[str] = frozenset({"fill", "rejection", "denial", "halt", "disconnect"})
FORMATS: frozenset[str] = frozenset({"json", "wecom", "feishu", "dingtalk"})

#: zh-CN label of each kind, in the text formats' first line.
KIND_ZH: dict[str, str] = {
    "fill": "成交",
    "rejection": "废单",
    "denial": "风控拒绝",
    "halt": "交易暂停",
    "disconnect": "连接中断",
}

#: Data fields shown in text messages, in order, with their zh-CN labels.
_TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("stock_code", "代码"),
    ("stock_name", "名称"),
    ("side", "方向"),
    ("price", "价格"),
    ("quantity", "数量"),
    ("filled_quantity", "已成数量"),
    ("amount", "金额"),
    ("status", "状态"),
    ("error", "错误码"),
    ("error_message", "原因"),
    ("status_msg", "券商说明"),
    ("rule", "规则"),
    ("reason", "原因"),
    ("message", "说明"),
    ("state", "连接状态"),
    ("order_id", "委托编号"),
    ("strategy_name", "策略"),
)

_SIDE_ZH = {"buy": "买入", "sell": "卖出"}
_LINK_ZH = {"disconnected": "已断开", "reconnecting": "重连中", "connecting": "连接中"}

#: WeCom text messages are limited to 2048 bytes; stay under it for every platform.
_TEXT_LIMIT_BYTES = 2000


def mask_url(url: str) -> str:
    """Only ``scheme://host[:port]`` of ``url``: no user info, path, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


class _UrlRedactor(logging.Filter):
    """Masks registered webhook URLs (and their path/query) in records of the logger it sits on."""

    def __init__(self) -> None:
        super().__init__()
        self.replacements: dict[str, str] = {}

    def add(self, url: str) -> None:
        masked = mask_url(url)
        parsed = httpx.URL(url)
        forms = {url: f"{masked}/***", str(parsed): f"{masked}/***"}
        path_query = parsed.raw_path.decode("ascii", "replace")
        if path_query not in ("", "/"):
            forms[path_query] = "/***"
        if parsed.query:
            forms[parsed.query.decode("ascii", "replace")] = "***"
        self.replacements.update(forms)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.replacements:
            return True
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is not ours to fix
            return True
        redacted = message
        for secret in sorted(self.replacements, key=len, reverse=True):
            if secret in redacted:
                redacted = redacted.replace(secret, self.replacements[secret])
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _UrlRedactor()


def _install_redactor(url: str) -> None:
    _REDACTOR.add(url)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


@dataclass(frozen=True)
class Notification:
    """One message to deliver."""

    kind: str
    title: str
    data: Mapping[str, Any]
    time: datetime


class Notifier:
    """Deliver notifications to one webhook in the background.

    ``url`` ``None`` (or empty) disables the notifier: every call is a no-op. ``format`` is
    ``json``, ``wecom``, ``feishu`` or ``dingtalk``. Each notification is tried ``1 + retries``
    times, waiting ``backoff × 2**n`` seconds (at most ``max_backoff``) between tries; ``timeout``
    bounds each request. At most ``queue_size`` notifications wait.
    """

    def __init__(
        self,
        url: str | None,
        format: WebhookFormat = "json",
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        *,
        max_backoff: float = 30.0,
        queue_size: int = 1000,
        clock: Clock | None = None,
    ) -> None:
        if format not in FORMATS:
            raise ValueError(f"unknown webhook format {format!r}; use one of {', '.join(sorted(FORMATS))}")
        if retries < 0 or timeout <= 0 or backoff < 0 or queue_size <= 0:
            raise ValueError("timeout and queue_size must be positive, retries and backoff not negative")
        self._url = url or None
        if self._url is not None:
            parts = urlsplit(self._url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("the webhook URL must be an http:// or https:// URL with a host")
            _install_redactor(self._url)
        self.format: WebhookFormat = format
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.queue_size = queue_size
        self.clock: Clock = clock or SystemClock()
        self.dropped = 0
        self._queue: asyncio.Queue[Notification] | None = None
        self._task: asyncio.Task[None] | None = None
        #: The last link state of each account (None: an untagged event), so each change alerts once.
        self._link_states: dict[str | None, str] = {}

    def __repr__(self) -> str:
        return f"Notifier(target={self.target!r}, format={self.format!r})"

    @property
    def enabled(self) -> bool:
        """Whether a webhook URL is configured."""
        return self._url is not None

    @property
    def target(self) -> str:
        """The webhook as it may be logged: scheme and host only."""
        return mask_url(self._url) if self._url else "(none)"

    # ------------------------------------------------------------------------------ message bodies
    def text(self, note: Notification) -> str:
        """The text of a chat message: a tagged title, the main data fields and the time."""
        lines = [f"【qmtdesk·{KIND_ZH.get(note.kind, note.kind)}】{note.title}"]
        shown = False
        for key, label in _TEXT_FIELDS:
            value = note.data.get(key)
            if value is None or value == "":
                continue
            if key == "side":
                value = _SIDE_ZH.get(str(value), value)
            lines.append(f"{label}：{value}")
            shown = True
        if not shown:
            lines.extend(
                f"{key}：{value}"
                for key, value in note.data.items()
                if value is not None and not isinstance(value, dict | list)
            )
        lines.append(f"时间：{note.time.astimezone(SHANGHAI).strftime('%Y-%m-%d %H:%M:%S')}")
        content = "\n".join(lines)
        raw = content.encode("utf-8")
        if len(raw) > _TEXT_LIMIT_BYTES:
            content = raw[: _TEXT_LIMIT_BYTES - 3].decode("utf-8", "ignore") + "…"
        return content

    def body(self, note: Notification) -> dict[str, Any]:
        """The JSON body for the configured format."""
        if self.format == "json":
            return {"kind": note.kind, "title": note.title, "time": note.time.isoformat(), "data": dict(note.data)}
        content = self.text(note)
        if self.format == "feishu":
            return {"msg_type": "text", "content": {"text": content}}
        return {"msgtype": "text", "text": {"content": content}}  # wecom and dingtalk share the shape

    # ------------------------------------------------------------------------------ queueing
    async def notify(
        self, kind: NotificationKind, title: str, data: Mapping[str, Any], time: datetime | None = None
    ) -> bool:
        """Queue a notification and return at once; ``False`` when disabled or not queued."""
        return self.notify_nowait(kind, title, data, time)

    def notify_nowait(
        self, kind: NotificationKind | str, title: str, data: Mapping[str, Any], time: datetime | None = None
    ) -> bool:
        """Synchronous :meth:`notify` for code running on the event loop (bus handlers)."""
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        if self._url is None:
            return False
        try:
            queue = self._ensure_worker()
        except RuntimeError:
            log.warning("webhook %s: no running event loop, %s notification dropped", self.target, kind)
            return False
        note = Notification(kind, title, dict(data), time or self.clock.now())
        if queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                oldest = queue.get_nowait()
                queue.task_done()
                self.dropped += 1
                log.warning("webhook %s: queue full, dropped the oldest (%s) notification", self.target, oldest.kind)
        queue.put_nowait(note)
        return True

    def _ensure_worker(self) -> asyncio.Queue[Notification]:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._queue = asyncio.Queue(self.queue_size)
            self._task = loop.create_task(self._run(self._queue), name="qmtdesk-webhook")
        assert self._queue is not None
        return self._queue

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued notification was delivered or given up on."""
        if self._queue is None or self._task is None or self._task.done():
            return
        await asyncio.wait_for(self._queue.join(), timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then stop the background task."""
        task, queue = self._task, self._queue
        if task is None or queue is None:
            return
        if not task.done():
            try:
                await asyncio.wait_for(queue.join(), timeout)
            except TimeoutError:
                log.warning("webhook %s: closing with %d notification(s) undelivered", self.target, queue.qsize())
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._task = self._queue = None

    # ------------------------------------------------------------------------------ delivery
    async def _run(self, queue: asyncio.Queue[Notification]) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                note = await queue.get()
                try:
                    await self._deliver(client, note)
                except Exception as exc:  # never let one message stop the worker
                    log.error("webhook %s: %s notification failed: %s", self.target, note.kind, type(exc).__name__)
                finally:
                    queue.task_done()

    async def send(self, note: Notification) -> bool:
        """Deliver one notification now, with retries, on a fresh client; ``True`` when accepted."""
        if self._url is None:
            return False
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await self._deliver(client, note)

    async def _deliver(self, client: httpx.AsyncClient, note: Notification) -> bool:
        assert self._url is not None
        content = json.dumps(self.body(note), ensure_ascii=False, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        attempts = 1 + self.retries
        problem = ""
        for attempt in range(attempts):
            try:
                response = await client.post(self._url, content=content, headers=headers)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                elif status >= 400:
                    log.warning("webhook %s refused the %s notification: HTTP %d", self.target, note.kind, status)
                    return False
                else:
                    refusal = _platform_error(response) if self.format != "json" else None
                    if refusal is not None:
                        log.warning("webhook %s refused the %s notification: %s", self.target, note.kind, refusal)
                        return False
                    log.info("webhook %s: %s notification delivered", self.target, note.kind)
                    return True
            if attempt + 1 < attempts:
                delay = min(self.backoff * 2**attempt, self.max_backoff)
                log.warning(
                    "webhook %s: %s notification failed (%s), retry %d/%d in %.2fs",
                    self.target,
                    note.kind,
                    problem,
                    attempt + 1,
                    self.retries,
                    delay,
                )
                await asyncio.sleep(delay)
        log.error(
            "webhook %s: gave up on the %s notification after %d tries (%s)", self.target, note.kind, attempts, problem
        )
        return False

    # ------------------------------------------------------------------------------ the event bus
    def subscribe(self, bus: EventBus) -> Callable[[], None]:
        """Turn bus events into notifications; returns the unsubscribe function."""

        def handle(event: Published) -> None:
            note = self.notification_for(event)
            if note is not None:
                self.notify_nowait(note.kind, note.title, note.data, note.time)

        # Rejections are read from the orders stream, which is only built while someone reads it.
        bus.watch(["orders"])
        unsubscribe = bus.subscribe(handle)

        def stop() -> None:
            unsubscribe()
            bus.unwatch(["orders"])

        return stop

    def notification_for(self, event: Published) -> Notification | None:
        """The notification a bus event calls for, if any.

        ``trades`` → fill; ``orders`` with status ``rejected`` → rejection; ``risk`` with
        ``kind`` denial/halt → denial/halt; ``status`` with a state other than ``connected`` →
        disconnect, once per change of each account's state (and not for the ``connecting`` of start-up),
        naming the account: a remote gateway that falls silent alerts as its MiniQMT link.
        """
        data = event.data
        if event.stream == "trades":
            side = _SIDE_ZH.get(str(data.get("side")), str(data.get("side", "")))
            title = f"成交：{side} {_name(data)} {data.get('quantity')}股 @ {data.get('price')}"
            return Notification("fill", title, data, event.time)
        if event.stream == "orders" and data.get("status") == "rejected":
            side = _SIDE_ZH.get(str(data.get("side")), str(data.get("side", "")))
            why = data.get("error_message") or data.get("status_msg") or data.get("error") or ""
            title = f"废单：{side} {_name(data)} {data.get('quantity')}股" + (f"，{why}" if why else "")
            return Notification("rejection", title, data, event.time)
        if event.stream == "risk":
            kind = str(data.get("kind") or data.get("type") or "")
            why = data.get("message") or data.get("reason") or data.get("error") or ""
            if kind in ("denial", "denied", "deny"):
                return Notification("denial", f"风控拒绝：{why}".rstrip("："), data, event.time)
            if kind in ("halt", "halted"):
                return Notification("halt", f"交易暂停：{why}".rstrip("："), data, event.time)
            return None
        if event.stream == "status":
            state, account_id = str(data.get("state", "")), event.account_id
            previous = self._link_states.get(account_id)
            self._link_states[account_id] = state
            if state == "connected" or state == previous or (previous is None and state == "connecting"):
                return None
            message = data.get("message") or ""
            where = f"（账户 {account_id}）" if account_id else ""
            title = f"券商连接{_LINK_ZH.get(state, state)}{where}" + (f"：{message}" if message else "")
            return Notification("disconnect", title, data, event.time)
        return None


def _name(data: Mapping[str, Any]) -> str:
    code = data.get("stock_code") or ""
    name = data.get("stock_name")
    return f"{name}({code})" if name else str(code)


def _platform_error(response: httpx.Response) -> str | None:
    """The bot platform's refusal in a 2xx reply (WeCom/DingTalk ``errcode``, Feishu ``code``), if any."""
    try:
        payload = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for code_key, message_key in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        code = payload.get(code_key)
        if code not in (None, 0, "0"):
            return f"{code_key}={code} {str(payload.get(message_key, ''))[:200]}".strip()
    return None
