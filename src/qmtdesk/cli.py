"""The ``qmtdesk`` command: serve, gateway, init, user management and database upgrades."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from typing import Any

from qmtdesk import __version__
from qmtdesk.config import Settings, is_loopback, load_settings

log = logging.getLogger("qmtdesk")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "broker": getattr(args, "broker", None),
        "data_dir": getattr(args, "data_dir", None),
    }
    return load_settings(**overrides)


def _banner(settings: Settings, generated_password: str | None) -> None:
    url = f"http://{settings.host if ':' not in settings.host else f'[{settings.host}]'}:{settings.port}"
    print(f"qmtdesk {__version__} — broker: {settings.broker}, data: {settings.data_dir}")
    print(f"  web UI   {url}/")
    print(f"  API docs {url}/docs")
    if generated_password:
        print("")
        print("  首次启动已创建管理员账户 / first start created the admin user:")
        print(f"    username: {settings.admin_username}")
        print(f"    password: {generated_password}   (只显示这一次 / shown only once)")
        print("  下一步 / next steps:")
        print("    1. 登录后先修改这个密码（其他操作在此之前都会被拒绝）/ sign in and change it first")
        print("       POST /api/v1/auth/password {old_password, new_password}")
        print("    2. 设置交易密码（下单、撤单要用）/ set a trading password (orders and cancels need it)")
        print("       界面 设置 → 交易密码 / POST /api/v1/auth/trading-password {password, new_trading_password}")
        print(f"       or: qmtdesk user trading-passwd {settings.admin_username}")
        print("")
    if not is_loopback(settings.host):
        print(
            f"WARNING: listening on {settings.host}: trading is exposed beyond this machine. Use TLS and "
            "strong passwords, or bind 127.0.0.1 (QMTDESK_HOST).",
            file=sys.stderr,
        )


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate, bootstrap and serve the UI + API."""
    import uvicorn

    from qmtdesk import gctune
    from qmtdesk.api.app import create_app
    from qmtdesk.desk import Desk
    from qmtdesk.logs import flush_at_signals, setup_logging

    settings = _settings(args)
    setup_logging(settings.data_dir, settings.log_level, settings.log_json)
    flush_at_signals()
    desk = Desk.build(settings)
    gctune.tune()
    desk.after_start.append(lambda: gctune.settle("start"))
    desk.jobs.idle_collection = True
    _banner(settings, desk.bootstrap_password)
    app = create_app(desk)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, ws_ping_interval=None)
    return 0


def cmd_gateway(args: argparse.Namespace) -> int:
    """Serve this PC's MiniQMT (or a practice paper counter) to a desk over NATS."""
    import asyncio
    import contextlib

    from qmtdesk.brokers.gateway.run import gateway_broker, serve_gateway
    from qmtdesk.logs import setup_logging

    overrides: dict[str, Any] = {"data_dir": args.data_dir}
    if args.nats_url:
        overrides["nats_url"] = args.nats_url
    settings = load_settings(**overrides)
    setup_logging(settings.data_dir, settings.log_level, settings.log_json)
    broker = gateway_broker(settings, args.broker, args.account_id)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_gateway(settings, broker))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create the data directory, migrate the database and bootstrap the admin user."""
    from qmtdesk.auth.service import AuthService
    from qmtdesk.store.db import make_engine, make_session_factory
    from qmtdesk.store.migrate import upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    auth = AuthService.from_settings(make_session_factory(engine), settings)
    generated = auth.bootstrap_admin(settings)
    print(f"database ready at {engine.url.render_as_string(hide_password=True)}")
    if generated:
        print(f"admin user {settings.admin_username!r} created; password (shown once): {generated}")
    engine.dispose()
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Bring the database schema to the latest version."""
    from qmtdesk.store.db import make_engine
    from qmtdesk.store.migrate import current_revision, upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _auth(args: argparse.Namespace) -> Any:
    from qmtdesk.auth.service import AuthService
    from qmtdesk.store.db import make_engine, make_session_factory
    from qmtdesk.store.migrate import upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return AuthService.from_settings(make_session_factory(engine), settings)


def _secret(prompt: str, given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("再输入一次 / again: ") != first:
        raise SystemExit("两次输入不一致 / the two entries differ")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    """User management from the command line."""
    from qmtdesk.domain.errors import DeskError

    auth = _auth(args)
    try:
        if args.user_cmd == "list":
            for u in auth.list_users():
                flags = [] if u.active else ["inactive"]
                flags += ["trading-password"] if u.trading_password_set else []
                print(f"{u.id:4d}  {u.username:20s} {u.role:8s} {' '.join(flags)}")
        elif args.user_cmd == "add":
            password = _secret("密码 / password: ", args.password)
            user = auth.create_user(args.username, password, args.role, actor="cli")
            print(f"created {user.username} ({user.role})")
        elif args.user_cmd == "passwd":
            user = auth.get_user_by_username(args.username)
            if user is None:
                raise SystemExit(f"no such user: {args.username}")
            password = _secret("新密码 / new password: ", args.password)
            auth.update_user(user.id, password=password, actor="cli")
            print(f"password of {user.username} changed")
        elif args.user_cmd == "trading-passwd":
            user = auth.get_user_by_username(args.username)
            if user is None:
                raise SystemExit(f"no such user: {args.username}")
            password = _secret("新交易密码 / new trading password: ", args.password)
            auth.reset_trading_password(user.id, password, actor="cli")
            print(f"trading password of {user.username} set")
    except DeskError as exc:
        print(f"{exc.code}: {exc.message_zh}", file=sys.stderr)
        return 1
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    """Print (or write) the API's OpenAPI description; the UI's TypeScript types are generated from it."""
    import json
    import secrets
    import tempfile
    from pathlib import Path

    from qmtdesk.api.app import create_app
    from qmtdesk.desk import Desk

    # The routes do not depend on the settings, so a throwaway paper desk describes any desk.
    with tempfile.TemporaryDirectory(prefix="qmtdesk-openapi-") as tmp:
        data = Path(tmp)
        settings = load_settings(
            broker="paper",
            data_dir=data,
            database_url=f"sqlite:///{data / 'desk.db'}",
            secret_key=secrets.token_hex(32),
        )
        desk = Desk.build(settings)
        try:
            spec = create_app(desk).openapi()
        finally:
            desk.db.dispose()  # Windows cannot delete the folder while the database files are open
    text = json.dumps(spec, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qmtdesk``."""
    parser = argparse.ArgumentParser(prog="qmtdesk", description="A-share trading desk for MiniQMT")
    parser.add_argument("--version", action="version", version=f"qmtdesk {__version__}")
    parser.add_argument("--data-dir", help="data directory (QMTDESK_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        # accepted at every level (`qmtdesk --data-dir D user add`, `qmtdesk user add --data-dir D`);
        # SUPPRESS keeps a level that does not name it from resetting what an outer one set
        p.add_argument("--data-dir", default=argparse.SUPPRESS, help="data directory (QMTDESK_DATA_DIR)")

    serve = sub.add_parser("serve", help="run the desk: migrate, bootstrap, serve UI + API")
    serve.add_argument("--host", help="bind address (QMTDESK_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (QMTDESK_PORT, default 8000)")
    serve.add_argument("--broker", choices=["paper", "xtquant"], help="broker adapter (QMTDESK_BROKER)")
    common(serve)
    serve.set_defaults(func=cmd_serve)

    gateway = sub.add_parser("gateway", help="serve this PC's MiniQMT to a desk over NATS (run beside MiniQMT)")
    gateway.add_argument("--nats-url", help="the desk's NATS server (QMTDESK_NATS_URL)")
    gateway.add_argument("--broker", choices=["xtquant", "paper"], default="xtquant", help="what to serve")
    gateway.add_argument("--account-id", help="the account (default MINIQMT_ACCOUNT_ID)")
    common(gateway)
    gateway.set_defaults(func=cmd_gateway)

    init = sub.add_parser("init", help="create the data directory, database and admin user")
    common(init)
    init.set_defaults(func=cmd_init)

    db = sub.add_parser("db", help="database commands")
    common(db)
    db_sub = db.add_subparsers(dest="db_cmd", required=True)
    up = db_sub.add_parser("upgrade", help="migrate the schema to the latest version")
    common(up)
    up.set_defaults(func=cmd_db_upgrade)

    user = sub.add_parser("user", help="manage users")
    common(user)
    user_sub = user.add_subparsers(dest="user_cmd", required=True)
    lst = user_sub.add_parser("list", help="list users")
    common(lst)
    add = user_sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--role", choices=["admin", "trader", "viewer"], default="trader")
    add.add_argument("--password", help="read from the terminal (or stdin) when omitted")
    common(add)
    for name, helptext in (("passwd", "set a user's login password"), ("trading-passwd", "set a trading password")):
        p = user_sub.add_parser(name, help=helptext)
        p.add_argument("username")
        p.add_argument("--password", help="read from the terminal (or stdin) when omitted")
        common(p)
    openapi = sub.add_parser("openapi", help="print the API's OpenAPI description (JSON)")
    openapi.add_argument("-o", "--output", help="write to this file instead of stdout")
    openapi.set_defaults(func=cmd_openapi)

    for p in (lst, add, *[user_sub.choices[n] for n in ("passwd", "trading-passwd")]):
        p.set_defaults(func=cmd_user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
